//! Point positions in CSV files (SPEC §2): columns `lon,lat` (WGS 84
//! degrees) or `x,y` (metres in a projected CRS), checked by range so that
//! degrees given as metres, or the reverse, or swapped axes, are caught.

use crate::crs::{area_of_use, Extent, Transform, WGS84};
use crate::csv_table::column_index;
use crate::Error;
use stratmap_core::Epsg;

/// Where a file keeps its positions: column numbers and their CRS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointColumns {
    /// 0-based column of `lon` or `x`.
    pub x: usize,
    /// 0-based column of `lat` or `y`.
    pub y: usize,
    /// EPSG of the columns: 4326 for `lon,lat`.
    pub epsg: Epsg,
}

impl PointColumns {
    /// Finds `lon,lat` or else `x,y` among the headers (case-insensitive);
    /// `x,y` are in `xy_epsg`.
    pub fn find(headers: &[String], xy_epsg: Epsg) -> Option<Self> {
        let at = |n: &str| column_index(headers, n);
        match (at("lon"), at("lat"), at("x"), at("y")) {
            (Some(x), Some(y), _, _) => Some(PointColumns { x, y, epsg: WGS84 }),
            (_, _, Some(x), Some(y)) => Some(PointColumns {
                x,
                y,
                epsg: xy_epsg,
            }),
            _ => None,
        }
    }

    /// [`PointColumns::find`], refusing headers that have both `lon,lat`
    /// and `x,y`: two positions per row that may disagree, and no way to
    /// tell which is meant.
    pub fn find_one(headers: &[String], xy_epsg: Epsg) -> Result<Option<Self>, String> {
        let has = |n: &str| column_index(headers, n).is_some();
        if has("lon") && has("lat") && has("x") && has("y") {
            return Err("the header has both lon,lat and x,y: expected one position per row (remove or rename one pair)".into());
        }
        Ok(Self::find(headers, xy_epsg))
    }

    /// The columns' names: `("lon", "lat")` or `("x", "y")`.
    pub fn names(&self) -> (&'static str, &'static str) {
        if self.epsg == WGS84 {
            ("lon", "lat")
        } else {
            ("x", "y")
        }
    }
}

/// Checks positions of one CRS and transforms them to the working CRS.
pub struct PointReader {
    source: Epsg,
    extent: Option<Extent>,
    to: Transform,
    /// Where the working CRS is used, to catch lon/lat given in the wrong
    /// order (which is still a valid position, far away).
    target: Option<Extent>,
    working: Epsg,
}

impl PointReader {
    /// A reader of positions in `EPSG:<source>` into `EPSG:<working>`, checked
    /// against the CRS's areas of use as PROJ knows them.
    pub fn new(source: Epsg, working: Epsg) -> Result<Self, Error> {
        Ok(PointReader {
            source,
            extent: (source != WGS84).then(|| area_of_use(source)).flatten(),
            to: Transform::new(source, working)?,
            target: (source == WGS84 && working != WGS84)
                .then(|| area_of_use(working))
                .flatten(),
            working,
        })
    }

    /// The position in the working CRS, or what is wrong with it: a
    /// [`PositionError`], which can also be told without the coordinates
    /// (for records files, whose values never go into a message).
    pub fn check(&self, x: f64, y: f64) -> Result<(f64, f64), PositionError> {
        if !(x.is_finite() && y.is_finite()) {
            return Err(PositionError::NotFinite { x, y });
        }
        if self.source == WGS84 {
            if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
                return Err(PositionError::NotDegrees { x, y });
            }
        } else if x.abs() <= 180.0 && y.abs() <= 90.0 {
            return Err(PositionError::LooksLikeDegrees {
                x,
                y,
                epsg: self.source,
            });
        } else if let Some(e) = &self.extent {
            if !e.contains(x, y) {
                return Err(PositionError::OutsideUse {
                    x,
                    y,
                    place: e.name.clone(),
                    epsg: self.source,
                });
            }
        }
        let p = self
            .to
            .point(x, y)
            .map_err(|e| PositionError::Transform(e.to_string()))?;
        if let Some(e) = &self.target {
            if !e.contains(p.0, p.1) {
                return Err(PositionError::LonLatSwapped {
                    x,
                    y,
                    place: e.name.clone(),
                    epsg: self.working,
                });
            }
        }
        Ok(p)
    }
}

/// What is wrong with a position.
#[derive(Debug, Clone, PartialEq)]
pub enum PositionError {
    /// A coordinate is NaN or infinite.
    NotFinite {
        /// The x or longitude read.
        x: f64,
        /// The y or latitude read.
        y: f64,
    },
    /// `lon,lat` outside −180…180 and −90…90: metres in the degree columns.
    NotDegrees {
        /// The longitude read.
        x: f64,
        /// The latitude read.
        y: f64,
    },
    /// `x,y` within ±180 and ±90: degrees in the metre columns.
    LooksLikeDegrees {
        /// The x read.
        x: f64,
        /// The y read.
        y: f64,
        /// EPSG code of the `x,y` columns.
        epsg: Epsg,
    },
    /// `x,y` outside the area of use of their CRS (widened by 10 %): swapped
    /// axes or the wrong CRS.
    OutsideUse {
        /// The x read.
        x: f64,
        /// The y read.
        y: f64,
        /// Name of the area of use.
        place: String,
        /// EPSG code of the `x,y` columns.
        epsg: Epsg,
    },
    /// PROJ could not transform the position; the message says why.
    Transform(String),
    /// `lon,lat` that land outside the working CRS's area of use (widened by
    /// 10 %): lon and lat swapped, most likely.
    LonLatSwapped {
        /// The longitude read.
        x: f64,
        /// The latitude read.
        y: f64,
        /// Name of the working CRS's area of use.
        place: String,
        /// EPSG code of the working CRS.
        epsg: Epsg,
    },
}

impl std::fmt::Display for PositionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PositionError::NotFinite { x, y } => {
                write!(f, "expected finite coordinates, found ({x}, {y})")
            }
            PositionError::NotDegrees { x, y } => write!(
                f,
                "lon = {x}, lat = {y} are not degrees: expected longitude −180…180 and latitude −90…90 (metres go in columns x,y)"
            ),
            PositionError::LooksLikeDegrees { x, y, epsg } => write!(
                f,
                "x = {x}, y = {y} look like longitude/latitude in degrees: expected metres in EPSG:{epsg} (degrees go in columns lon,lat)"
            ),
            PositionError::OutsideUse { x, y, place, epsg } => write!(
                f,
                "x = {x}, y = {y} lies outside {place} where EPSG:{epsg} is used: are x and y swapped, or is the CRS wrong?"
            ),
            PositionError::Transform(m) => f.write_str(m),
            PositionError::LonLatSwapped { x, y, place, epsg } => write!(
                f,
                "lon = {x}, lat = {y} lies outside {place} where EPSG:{epsg} is used: are lon and lat swapped?"
            ),
        }
    }
}

impl std::error::Error for PositionError {}

impl PositionError {
    /// The reason without the coordinates.
    pub fn without_values(&self) -> String {
        match self {
            PositionError::NotFinite { .. } => "expected finite coordinates".into(),
            PositionError::NotDegrees { .. } => "expected longitude −180…180 and latitude −90…90 in degrees, found values out of range (metres go in columns x,y)".into(),
            PositionError::LooksLikeDegrees { epsg, .. } => format!("expected metres in EPSG:{epsg}, found values that look like longitude/latitude in degrees (degrees go in columns lon,lat)"),
            PositionError::OutsideUse { place, epsg, .. } => format!("expected a position in {place} where EPSG:{epsg} is used, found one outside it: are x and y swapped, or is the CRS wrong?"),
            PositionError::Transform(_) => "the position cannot be transformed to the working CRS".into(),
            PositionError::LonLatSwapped { place, epsg, .. } => format!("expected a position in {place} where EPSG:{epsg} is used, found one outside it: are lon and lat swapped?"),
        }
    }
}

/// The position of one CSV row in the working CRS, or its problems (an
/// empty or non-numeric coordinate, or a position that fails the checks).
pub fn read_point(
    table: &crate::csv_table::CsvTable,
    line: u64,
    rec: &csv::StringRecord,
    pc: &PointColumns,
    reader: &PointReader,
) -> Result<(f64, f64), Vec<crate::Problem>> {
    match (table.number(line, rec, pc.x), table.number(line, rec, pc.y)) {
        (Ok(Some(x)), Ok(Some(y))) => reader
            .check(x, y)
            .map_err(|e| vec![table.problem(line, pc.x, e.to_string())]),
        (x, y) => Err([(x, pc.x), (y, pc.y)]
            .into_iter()
            .filter_map(|(r, c)| match r {
                Err(p) => Some(p),
                Ok(None) => {
                    Some(table.problem(line, c, "expected a coordinate, found an empty field"))
                }
                Ok(Some(_)) => None,
            })
            .collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_columns_and_checks_ranges() {
        let h = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            PointColumns::find(&h("tower_id,LON,lat"), Epsg(3006)),
            Some(PointColumns {
                x: 1,
                y: 2,
                epsg: Epsg(4326)
            })
        );
        assert_eq!(
            PointColumns::find(&h("id,x,y"), Epsg(3006)).map(|p| p.epsg),
            Some(Epsg(3006))
        );
        assert_eq!(PointColumns::find(&h("id,lon,y"), Epsg(3006)), None);
        assert!(PointColumns::find_one(&h("id,lon,lat,X,y"), Epsg(3006)).is_err());
        assert_eq!(
            PointColumns::find_one(&h("id,x,y"), Epsg(3006)).map(|p| p.map(|p| p.x)),
            Ok(Some(1))
        );

        let ll = PointReader::new(WGS84, Epsg(3006)).unwrap();
        let (x, y) = ll.check(15.0, 60.0).unwrap();
        assert!((x - 500_000.0).abs() < 1e-6 && (6_600_000.0..6_700_000.0).contains(&y));
        assert!(ll
            .check(600_000.0, 6_600_000.0)
            .unwrap_err()
            .to_string()
            .contains("not degrees"));
        let xy = PointReader::new(Epsg(3006), Epsg(3006)).unwrap();
        assert_eq!(
            xy.check(600_000.0, 6_600_000.0),
            Ok((600_000.0, 6_600_000.0))
        );
        assert!(xy
            .check(18.07, 59.33)
            .unwrap_err()
            .to_string()
            .contains("look like longitude/latitude"));
        assert!(xy
            .check(6_600_000.0, 600_000.0)
            .unwrap_err()
            .to_string()
            .contains("swapped"));
        assert!(xy
            .check(f64::NAN, 1.0)
            .unwrap_err()
            .to_string()
            .contains("finite"));
    }
}
