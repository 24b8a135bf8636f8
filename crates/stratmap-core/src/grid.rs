//! The statistical grid: square cells addressed by the lower-left corner in a
//! projected CRS, and the two families of cell identifiers in use in Sweden.
//!
//! * Statistics Sweden (SCB): 13 digits, the 6-digit easting then the 7-digit
//!   northing of the lower-left corner in SWEREF 99 TM (EPSG:3006), e.g.
//!   `3940006133000`. The cell size is not in the id; it comes from the config
//!   (250 m by default).
//! * EU/INSPIRE: `CRS3035RES1000mN2684000E4334000`, optionally with a country
//!   prefix (`SE_CRS3006RES250mN6133000E394000`). CRS and cell size are in the
//!   id.

use std::fmt;
use std::str::FromStr;

/// How a cell id is written. Output ids are written in the style of the input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdStyle {
    /// 13-digit Statistics Sweden id (EPSG:3006 only).
    Scb,
    /// INSPIRE id, with an optional prefix such as `SE` (written `SE_CRS…`).
    Inspire {
        /// The part before `_CRS`, e.g. `SE`; `None` when the id starts with `CRS`.
        prefix: Option<String>,
    },
}

/// A parsed cell identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellId {
    /// Easting of the lower-left corner, metres.
    pub x: i64,
    /// Northing of the lower-left corner, metres.
    pub y: i64,
    /// How the id was written, so that output ids are written the same way.
    pub style: IdStyle,
    /// The CRS the id names (SCB ids imply EPSG:3006).
    pub epsg: Epsg,
    /// Cell size named by the id (INSPIRE), metres. SCB ids carry none.
    pub cell_size: Option<u32>,
}

/// Why a cell id could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a 13-digit Statistics Sweden cell id (6-digit easting then 7-digit northing, e.g. 3940006133000) or an INSPIRE id (e.g. CRS3035RES1000mN2684000E4334000), found {found:?}")]
pub struct IdError {
    /// The text that was read.
    pub found: String,
}

impl FromStr for CellId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, IdError> {
        let err = || IdError {
            found: s.to_string(),
        };
        let t = s.trim();
        if t.len() == 13 && t.bytes().all(|b| b.is_ascii_digit()) {
            let x = t[..6].parse().map_err(|_| err())?;
            let y = t[6..].parse().map_err(|_| err())?;
            return Ok(CellId {
                x,
                y,
                style: IdStyle::Scb,
                epsg: Epsg::SWEREF99_TM,
                cell_size: None,
            });
        }
        parse_inspire(t).ok_or_else(err)
    }
}

/// Reads the leading run of ASCII digits of `s`, returning the number and the rest.
fn leading_number(s: &str) -> Option<(i64, &str)> {
    let end = s.bytes().take_while(u8::is_ascii_digit).count();
    if end == 0 || end > 12 {
        return None;
    }
    Some((s[..end].parse().ok()?, &s[end..]))
}

fn parse_inspire(s: &str) -> Option<CellId> {
    let at = s.find("CRS")?;
    let prefix = match &s[..at] {
        "" => None,
        p => {
            let p = p.strip_suffix('_')?;
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            Some(p.to_string())
        }
    };
    let (epsg, rest) = leading_number(&s[at + 3..])?;
    let rest = rest.strip_prefix("RES")?;
    let (res, rest) = leading_number(rest)?;
    let (size, rest) = if let Some(r) = rest.strip_prefix("km") {
        (res.checked_mul(1000)?, r)
    } else {
        (res, rest.strip_prefix('m')?)
    };
    let rest = rest.strip_prefix('N')?;
    let (y, rest) = leading_number(rest)?;
    let rest = rest.strip_prefix('E')?;
    let (x, rest) = leading_number(rest)?;
    if !rest.is_empty() || size == 0 {
        return None;
    }
    Some(CellId {
        x,
        y,
        style: IdStyle::Inspire { prefix },
        epsg: Epsg(u32::try_from(epsg).ok()?),
        cell_size: Some(u32::try_from(size).ok()?),
    })
}

/// An EPSG code naming a coordinate reference system: a type of its own, so
/// that a CRS is never mistaken for a cell size or a count. It displays as
/// its number (write `EPSG:{epsg}`).
///
/// ```
/// use stratmap_core::Epsg;
/// assert_eq!(format!("EPSG:{}", Epsg::SWEREF99_TM), "EPSG:3006");
/// assert_eq!(Epsg::WGS84.code(), 4326);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Epsg(pub u32);

impl Epsg {
    /// WGS 84 longitude/latitude (RFC 7946 GeoJSON, `lon,lat` columns).
    pub const WGS84: Epsg = Epsg(4326);
    /// SWEREF 99 TM, the Swedish national grid (Statistics Sweden's cells).
    pub const SWEREF99_TM: Epsg = Epsg(3006);
    /// ETRS89 LAEA Europe (EU/INSPIRE grid ids).
    pub const LAEA_EUROPE: Epsg = Epsg(3035);

    /// The code.
    pub fn code(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Epsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A square grid in a projected CRS: which CRS, and how large the cells are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridSpec {
    /// The projected CRS (EPSG:3006, SWEREF 99 TM, for Statistics Sweden).
    pub epsg: Epsg,
    /// Cell side, metres.
    pub cell_size: u32,
}

impl GridSpec {
    /// The Statistics Sweden grid: EPSG:3006 with the given cell size.
    pub fn scb(cell_size: u32) -> Self {
        GridSpec {
            epsg: Epsg::SWEREF99_TM,
            cell_size,
        }
    }

    /// True when (x, y) is a lower-left corner of this grid.
    ///
    /// ```
    /// use stratmap_core::GridSpec;
    /// let g = GridSpec::scb(250);
    /// assert!(g.is_aligned(394_000, 6_133_250));
    /// assert!(!g.is_aligned(394_100, 6_133_000));
    /// ```
    pub fn is_aligned(&self, x: i64, y: i64) -> bool {
        let s = i64::from(self.cell_size);
        x.rem_euclid(s) == 0 && y.rem_euclid(s) == 0
    }

    /// Column and row of the cell whose lower-left corner is (x, y), in
    /// whole metres: column 0 starts at x = 0, and negative coordinates
    /// count down from it (−1 m is in column −1).
    ///
    /// ```
    /// use stratmap_core::GridSpec;
    /// let g = GridSpec::scb(250);
    /// assert_eq!(g.col_row(394_000, 6_133_250), (1576, 24_533));
    /// assert_eq!(g.col_row(-250, 0), (-1, 0));
    /// ```
    pub fn col_row(&self, x: i64, y: i64) -> (i64, i64) {
        let s = i64::from(self.cell_size);
        (x.div_euclid(s), y.div_euclid(s))
    }

    /// Column and row of the cell that holds the point (x, y) in metres.
    /// Cells are half-open, [x₀, x₀ + size) × [y₀, y₀ + size): a point on a
    /// cell's edge is in the cell to its right or above it. The coordinates
    /// are floored to whole metres first (no edge lies between a point and
    /// its floor), so the answer is exact integer arithmetic.
    ///
    /// ```
    /// use stratmap_core::GridSpec;
    /// let g = GridSpec::scb(250);
    /// assert_eq!(g.cell_of_point(249.9, 250.0), (0, 1));
    /// assert_eq!(g.cell_of_point(-0.5, 0.0), (-1, 0));
    /// ```
    pub fn cell_of_point(&self, x: f64, y: f64) -> (i64, i64) {
        self.col_row(x.floor() as i64, y.floor() as i64)
    }

    /// The lower-left corner, in metres, of the cell at column `col` and row
    /// `row`: the inverse of [`GridSpec::col_row`] on corners.
    ///
    /// ```
    /// use stratmap_core::GridSpec;
    /// let g = GridSpec::scb(250);
    /// assert_eq!(g.corner(1576, 24_533), (394_000, 6_133_250));
    /// assert_eq!(g.corner(-1, 0), (-250, 0));
    /// ```
    pub fn corner(&self, col: i64, row: i64) -> (i64, i64) {
        let s = i64::from(self.cell_size);
        (col * s, row * s)
    }

    /// Centre of the cell with lower-left corner (x, y).
    ///
    /// ```
    /// use stratmap_core::GridSpec;
    /// assert_eq!(GridSpec::scb(250).centre(394_000, 6_133_000), (394_125.0, 6_133_125.0));
    /// ```
    pub fn centre(&self, x: i64, y: i64) -> (f64, f64) {
        let h = f64::from(self.cell_size) / 2.0;
        (x as f64 + h, y as f64 + h)
    }

    /// The id style used when the input gave none (x,y columns): SCB for
    /// EPSG:3006, INSPIRE otherwise.
    pub fn default_style(&self) -> IdStyle {
        if self.epsg == Epsg::SWEREF99_TM {
            IdStyle::Scb
        } else {
            IdStyle::Inspire { prefix: None }
        }
    }

    /// Whether the ids of these corners in `style` sort as the corners do,
    /// by easting then northing: SCB ids, fixed-width digits of x then y,
    /// when every corner fits them.
    fn ids_sort_as_corners(&self, style: &IdStyle, corners: &[(i64, i64)]) -> bool {
        *style == IdStyle::Scb
            && self.epsg == Epsg::SWEREF99_TM
            && corners
                .iter()
                .all(|&(x, y)| (0..1_000_000).contains(&x) && (0..10_000_000).contains(&y))
    }

    /// The positions of `corners` in the order of their ids in `style`
    /// (byte order of [`GridSpec::format_id`]), equal ids in their given
    /// order. SCB ids are sorted by their corners, without writing them.
    ///
    /// ```
    /// use stratmap_core::{GridSpec, IdStyle};
    /// let g = GridSpec::scb(250);
    /// let corners = [(394_250, 6_133_000), (394_000, 6_133_250), (394_000, 6_133_000)];
    /// assert_eq!(g.id_order(&IdStyle::Scb, &corners), vec![2, 1, 0]);
    /// ```
    pub fn id_order(&self, style: &IdStyle, corners: &[(i64, i64)]) -> Vec<usize> {
        use rayon::prelude::*;
        /// The positions of (key, position) pairs in key order, equal keys
        /// by position.
        fn by_key<K: Ord + Send>(mut keyed: Vec<(K, usize)>) -> Vec<usize> {
            keyed.par_sort_unstable();
            keyed.into_iter().map(|(_, i)| i).collect()
        }
        if self.ids_sort_as_corners(style, corners) {
            by_key(corners.iter().enumerate().map(|(i, &c)| (c, i)).collect())
        } else {
            by_key(
                corners
                    .par_iter()
                    .enumerate()
                    .map(|(i, &(x, y))| (self.format_id(style, x, y), i))
                    .collect(),
            )
        }
    }

    /// Writes the id of the cell at (x, y) in `style`. An SCB id that cannot
    /// hold the coordinates (outside 0–999 999 E, 0–9 999 999 N, or a CRS
    /// other than EPSG:3006) is written in INSPIRE style instead.
    ///
    /// ```
    /// use stratmap_core::{Epsg, GridSpec, IdStyle};
    /// let g = GridSpec { epsg: Epsg::LAEA_EUROPE, cell_size: 1000 };
    /// let prefix = None;
    /// assert_eq!(g.format_id(&IdStyle::Inspire { prefix }, 4_334_000, 2_684_000),
    ///            "CRS3035RES1000mN2684000E4334000");
    /// ```
    pub fn format_id(&self, style: &IdStyle, x: i64, y: i64) -> String {
        match style {
            IdStyle::Scb
                if self.epsg == Epsg::SWEREF99_TM
                    && (0..1_000_000).contains(&x)
                    && (0..10_000_000).contains(&y) =>
            {
                format!("{x:06}{y:07}")
            }
            IdStyle::Scb => self.format_id(&IdStyle::Inspire { prefix: None }, x, y),
            IdStyle::Inspire { prefix } => {
                let p = prefix
                    .as_deref()
                    .map(|p| format!("{p}_"))
                    .unwrap_or_default();
                format!("{p}CRS{}RES{}mN{y}E{x}", self.epsg, self.cell_size)
            }
        }
    }
}

impl fmt::Display for GridSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EPSG:{} grid of {} m cells", self.epsg, self.cell_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Corners sorted by id without writing the ids give the order of
        /// the written ids, for SCB ids that fit and for those that do not
        /// (written as INSPIRE ids), and for INSPIRE ids.
        #[test]
        fn id_order_is_the_order_of_the_written_ids(
            // x and y at and around the edges of what an SCB id holds
            corners in proptest::collection::vec((
                prop_oneof![-2i64..2, 999_998i64..1_000_002, 0i64..1_000_000],
                prop_oneof![-2i64..2, 9_999_990i64..10_000_002],
            ), 0..40),
            small in proptest::collection::vec((0i64..4, 0i64..4), 0..40),
        ) {
            for corners in [corners, small.iter().map(|&(x, y)| (x * 250_000, y * 2_500_000)).collect()] {
                for (spec, style) in [
                    (GridSpec::scb(250), IdStyle::Scb),
                    (GridSpec::scb(250), IdStyle::Inspire { prefix: Some("SE".into()) }),
                    (GridSpec { epsg: Epsg::LAEA_EUROPE, cell_size: 1000 }, IdStyle::Scb),
                ] {
                    let mut want: Vec<(String, usize)> = corners.iter().enumerate()
                        .map(|(i, &(x, y))| (spec.format_id(&style, x, y), i)).collect();
                    want.sort();
                    let got: Vec<String> = spec.id_order(&style, &corners).iter()
                        .map(|&i| spec.format_id(&style, corners[i].0, corners[i].1)).collect();
                    let want: Vec<String> = want.into_iter().map(|(id, _)| id).collect();
                    prop_assert_eq!(got, want);
                }
            }
        }
    }

    #[test]
    fn scb_id_splits_six_and_seven_digits() {
        let id: CellId = "3940006133000".parse().unwrap();
        assert_eq!(id.x, 394_000);
        assert_eq!(id.y, 6_133_000);
        assert_eq!(id.style, IdStyle::Scb);
        assert_eq!(id.epsg, Epsg::SWEREF99_TM);
        assert_eq!(id.cell_size, None);
    }

    #[test]
    fn inspire_ids_with_and_without_prefix() {
        let id: CellId = "CRS3035RES1000mN2684000E4334000".parse().unwrap();
        assert_eq!(
            (id.x, id.y, id.epsg, id.cell_size),
            (4_334_000, 2_684_000, Epsg::LAEA_EUROPE, Some(1000))
        );
        assert_eq!(id.style, IdStyle::Inspire { prefix: None });

        let id: CellId = "SE_CRS3006RES250mN6133000E394000".parse().unwrap();
        assert_eq!(
            (id.x, id.y, id.epsg, id.cell_size),
            (394_000, 6_133_000, Epsg::SWEREF99_TM, Some(250))
        );
        assert_eq!(
            id.style,
            IdStyle::Inspire {
                prefix: Some("SE".into())
            }
        );

        let id: CellId = "CRS3035RES1kmN2684000E4334000".parse().unwrap();
        assert_eq!(id.cell_size, Some(1000));
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for bad in [
            "",
            "394000613300",
            "39400061330000",
            "39400a6133000",
            "CRS3035RES1000mN2684000",
            "CRS3035RES1000mE4334000N2684000",
            "CRS3035RES0mN2684000E4334000",
            "CRS3035RES1000N2684000E4334000",
            "CRS3035RES1000mN2684000E4334000x",
            "_CRS3035RES1000mN2684000E4334000",
            "S-E_CRS3035RES1000mN2684000E4334000",
        ] {
            assert!(bad.parse::<CellId>().is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn scb_ids_fall_back_to_inspire_outside_their_range() {
        let g = GridSpec::scb(250);
        assert_eq!(
            g.format_id(&IdStyle::Scb, 394_000, 6_133_000),
            "3940006133000"
        );
        assert_eq!(
            g.format_id(&IdStyle::Scb, 1_000_000, 6_133_000),
            "CRS3006RES250mN6133000E1000000"
        );
        let g = GridSpec {
            epsg: Epsg::LAEA_EUROPE,
            cell_size: 1000,
        };
        assert_eq!(
            g.format_id(&IdStyle::Scb, 4_334_000, 2_684_000),
            "CRS3035RES1000mN2684000E4334000"
        );
    }

    #[test]
    fn alignment_and_centre() {
        let g = GridSpec::scb(250);
        assert!(g.is_aligned(394_000, 6_133_250));
        assert!(!g.is_aligned(394_100, 6_133_000));
        assert!(g.is_aligned(-250, -500));
        assert_eq!(g.centre(394_000, 6_133_000), (394_125.0, 6_133_125.0));
        assert_eq!(g.col_row(-250, 500), (-1, 2));
    }

    #[test]
    fn columns_rows_and_corners_by_hand() {
        let g = GridSpec::scb(250);
        // corners: 500 / 250 = 2; −500 / 250 = −2; 499 is still in column 1
        assert_eq!(g.col_row(500, -500), (2, -2));
        assert_eq!(g.col_row(499, -1), (1, -1));
        assert_eq!(g.corner(2, -2), (500, -500));
        assert_eq!(g.corner(0, 0), (0, 0));
        // points: an edge belongs to the cell right of it and above it
        assert_eq!(g.cell_of_point(250.0, 500.0), (1, 2));
        assert_eq!(g.cell_of_point(249.999, 499.5), (0, 1));
        assert_eq!(g.cell_of_point(0.0, -0.001), (0, -1));
        assert_eq!(g.cell_of_point(-250.0, -250.5), (-1, -2));
        // the largest f64 below the edge at 6 600 000 m is in row 26 399
        let y = f64::from_bits(6_600_000.0f64.to_bits() - 1);
        assert_eq!(g.cell_of_point(0.0, y), (0, 26_399));
        // a cell's corner is in the cell, and a point maps to its cell's corner
        for (c, r) in [(0, 0), (3, -7), (-1, 12)] {
            let (x, y) = g.corner(c, r);
            assert_eq!(g.col_row(x, y), (c, r));
            assert_eq!(g.cell_of_point(x as f64 + 125.0, y as f64 + 249.9), (c, r));
        }
    }

    proptest! {
        #[test]
        fn scb_round_trip(col in 0i64..4000, row in 0i64..40000) {
            let g = GridSpec::scb(250);
            let (x, y) = (col * 250, row * 250);
            let s = g.format_id(&IdStyle::Scb, x, y);
            prop_assert_eq!(s.len(), 13);
            let id: CellId = s.parse().unwrap();
            prop_assert_eq!((id.x, id.y, id.style), (x, y, IdStyle::Scb));
        }

        #[test]
        fn inspire_round_trip(col in 0i64..10000, row in 0i64..10000, size in prop::sample::select(vec![100u32, 250, 1000, 5000]),
                              prefix in prop::option::of("[A-Z]{2}")) {
            let g = GridSpec { epsg: Epsg::LAEA_EUROPE, cell_size: size };
            let (x, y) = (col * i64::from(size), row * i64::from(size));
            let style = IdStyle::Inspire { prefix };
            let s = g.format_id(&style, x, y);
            let id: CellId = s.parse().unwrap();
            prop_assert_eq!((id.x, id.y, id.epsg, id.cell_size), (x, y, Epsg::LAEA_EUROPE, Some(size)));
            prop_assert_eq!(id.style, style);
        }
    }
}
