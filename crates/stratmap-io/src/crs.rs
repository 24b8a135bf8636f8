//! Coordinate transformations through PROJ, written once and used by every
//! reader and writer. Axis order is normalised for maps: x = easting or
//! longitude, y = northing or latitude, whatever the CRS's official order.

use crate::Error;
use proj::Proj;
use std::collections::HashMap;
use std::sync::{Mutex, Once};
pub use stratmap_core::Epsg;

/// Turns PROJ's own logging on stderr off (its `proj_create: crs not
/// found` lines): every failure is reported by stratmap in a sentence.
/// Contexts made later copy the default context's level.
pub fn quiet_proj() {
    static QUIET: Once = Once::new();
    QUIET.call_once(|| {
        // SAFETY: a null context is PROJ's default context; setting its log
        // level has no other effect, and it happens once, before any context
        // is made by this crate.
        unsafe {
            proj_sys::proj_log_level(std::ptr::null_mut(), proj_sys::PJ_LOG_LEVEL_PJ_LOG_NONE);
        }
    });
}

/// Whether PROJ knows `EPSG:<code>` as a CRS (asked once per code).
pub fn known_epsg(code: Epsg) -> bool {
    static KNOWN: Mutex<Option<HashMap<Epsg, bool>>> = Mutex::new(None);
    quiet_proj();
    if let Ok(mut k) = KNOWN.lock() {
        if let Some(&known) = k.get_or_insert_with(HashMap::new).get(&code) {
            return known;
        }
        let known = Proj::new(&format!("EPSG:{code}")).is_ok();
        k.get_or_insert_with(HashMap::new).insert(code, known);
        return known;
    }
    Proj::new(&format!("EPSG:{code}")).is_ok()
}

/// Whether `EPSG:<code>` is a projected CRS whose axes are in metres, as
/// every metric step needs (discs, distances, 250 m cells): not degrees
/// (EPSG:4326), not feet. `None` when PROJ does not know the code.
pub fn is_metric(code: Epsg) -> Option<bool> {
    use std::ffi::CString;
    quiet_proj();
    let def = CString::new(format!("EPSG:{code}")).ok()?;
    // SAFETY: every object made here is checked for null before use and
    // destroyed before return; the context is ours alone.
    unsafe {
        let ctx = proj_sys::proj_context_create();
        if ctx.is_null() {
            return None;
        }
        let pj = proj_sys::proj_create(ctx, def.as_ptr());
        if pj.is_null() {
            proj_sys::proj_context_destroy(ctx);
            return None;
        }
        let projected = proj_sys::proj_get_type(pj) == proj_sys::PJ_TYPE_PJ_TYPE_PROJECTED_CRS;
        let cs = proj_sys::proj_crs_get_coordinate_system(ctx, pj);
        let mut metres = false;
        if !cs.is_null() {
            let n = proj_sys::proj_cs_get_axis_count(ctx, cs);
            metres = n >= 2;
            for i in 0..n.min(2) {
                let mut factor = 0.0;
                let ok = proj_sys::proj_cs_get_axis_info(
                    ctx,
                    cs,
                    i,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    &mut factor,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                );
                metres &= ok == 1 && factor == 1.0;
            }
            proj_sys::proj_destroy(cs);
        }
        proj_sys::proj_destroy(pj);
        proj_sys::proj_context_destroy(ctx);
        Some(projected && metres)
    }
}

/// What is said of an EPSG code PROJ does not know.
pub const UNKNOWN_CRS: &str = "unknown CRS: expected an EPSG code PROJ knows, such as EPSG:3006";

/// A transformation between two EPSG coordinate systems.
pub struct Transform {
    proj: Proj,
    from: Epsg,
    to: Epsg,
}

/// EPSG code of WGS 84 longitude/latitude (RFC 7946 GeoJSON).
pub const WGS84: Epsg = Epsg::WGS84;

impl Transform {
    /// The transformation from `EPSG:<from>` to `EPSG:<to>`; an error when PROJ
    /// does not know one of them.
    pub fn new(from: Epsg, to: Epsg) -> Result<Self, Error> {
        for code in [from, to] {
            if !known_epsg(code) {
                return Err(Error::Crs(format!("EPSG:{code}: {UNKNOWN_CRS}")));
            }
        }
        let proj = Proj::new_known_crs(&format!("EPSG:{from}"), &format!("EPSG:{to}"), None)
            .map_err(|e| Error::Crs(format!("cannot transform EPSG:{from} to EPSG:{to}: {e}")))?;
        Ok(Transform { proj, from, to })
    }

    /// From a projected grid CRS to WGS 84 lon/lat.
    pub fn to_wgs84(from: Epsg) -> Result<Self, Error> {
        Self::new(from, WGS84)
    }

    /// The point (x, y) transformed, x = easting or longitude; unchanged when the
    /// two CRS are the same.
    pub fn point(&self, x: f64, y: f64) -> Result<(f64, f64), Error> {
        if self.from == self.to {
            return Ok((x, y));
        }
        self.proj.convert((x, y)).map_err(|e| {
            Error::Crs(format!(
                "cannot transform ({x}, {y}) from EPSG:{} to EPSG:{}: {e}",
                self.from, self.to
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweref99tm_to_wgs84_is_lon_lat() {
        // SWEREF 99 TM's false easting puts 15°E at x = 500 000; y is metres from the equator.
        let t = Transform::to_wgs84(Epsg(3006)).unwrap();
        let (lon, lat) = t.point(500_000.0, 6_500_000.0).unwrap();
        assert!((lon - 15.0).abs() < 1e-9, "{lon}");
        assert!((58.0..59.0).contains(&lat), "{lat}");
        let back = Transform::new(WGS84, Epsg(3006))
            .unwrap()
            .point(lon, lat)
            .unwrap();
        assert!((back.0 - 500_000.0).abs() < 1e-6 && (back.1 - 6_500_000.0).abs() < 1e-6);
    }

    #[test]
    fn metric_crs_are_told_from_degrees_and_feet() {
        assert_eq!(is_metric(Epsg(3006)), Some(true));
        assert_eq!(is_metric(Epsg(3035)), Some(true));
        assert_eq!(is_metric(Epsg(32633)), Some(true));
        assert_eq!(is_metric(Epsg(4326)), Some(false));
        assert_eq!(is_metric(Epsg(4619)), Some(false)); // SWEREF99 geographic
        assert_eq!(is_metric(Epsg(2263)), Some(false)); // NY Long Island, US feet
        assert_eq!(is_metric(Epsg(99999)), None);
    }

    #[test]
    fn unknown_crs_is_an_error() {
        let e = Transform::to_wgs84(Epsg(999_999)).err().unwrap();
        assert_eq!(
            e.to_string(),
            "coordinate transformation: EPSG:999999: unknown CRS: expected an EPSG code PROJ knows, such as EPSG:3006"
        );
        assert!(!known_epsg(Epsg(99_999)));
        assert!(known_epsg(Epsg(3006)) && known_epsg(Epsg(3035)) && known_epsg(Epsg(4326)));
    }
}

/// The extent in which a projected CRS is meant to be used, in its own
/// metres, from PROJ's area of use (with a margin), and the area's name.
#[derive(Debug, Clone, PartialEq)]
pub struct Extent {
    /// Smallest x (easting).
    pub xmin: f64,
    /// Smallest y (northing).
    pub ymin: f64,
    /// Largest x (easting).
    pub xmax: f64,
    /// Largest y (northing).
    pub ymax: f64,
    /// The name of the area of use as PROJ gives it, without a final full stop.
    pub name: String,
}

impl Extent {
    /// True when (x, y) lies in the extent, its edges included.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        (self.xmin..=self.xmax).contains(&x) && (self.ymin..=self.ymax).contains(&y)
    }
}

/// The area of use of `epsg` in its own coordinates, widened by 10 % on each
/// side; `None` when PROJ does not know one (then nothing is checked).
pub fn area_of_use(epsg: Epsg) -> Option<Extent> {
    quiet_proj();
    let crs = Proj::new(&format!("EPSG:{epsg}")).ok()?;
    let (area, name) = crs.area_of_use().ok()?;
    let a = area?;
    let to = Transform::new(WGS84, epsg).ok()?;
    // Sample the edges of the lon/lat box: a projected box's edges are curved.
    let n = 24;
    let mut pts = Vec::new();
    for i in 0..=n {
        let t = f64::from(i) / f64::from(n);
        let lon = a.west + t * (a.east - a.west);
        let lat = a.south + t * (a.north - a.south);
        pts.extend([(lon, a.south), (lon, a.north), (a.west, lat), (a.east, lat)]);
    }
    let xy: Vec<(f64, f64)> = pts
        .into_iter()
        .filter_map(|(lon, lat)| to.point(lon, lat).ok())
        .collect();
    let fold = |f: fn(f64, f64) -> f64, init: f64, pick: fn(&(f64, f64)) -> f64| {
        xy.iter().map(pick).fold(init, f)
    };
    let (xmin, xmax) = (
        fold(f64::min, f64::INFINITY, |p| p.0),
        fold(f64::max, f64::NEG_INFINITY, |p| p.0),
    );
    let (ymin, ymax) = (
        fold(f64::min, f64::INFINITY, |p| p.1),
        fold(f64::max, f64::NEG_INFINITY, |p| p.1),
    );
    if !(xmin.is_finite() && ymin.is_finite() && xmax.is_finite() && ymax.is_finite()) {
        return None;
    }
    let (mx, my) = (0.1 * (xmax - xmin), 0.1 * (ymax - ymin));
    Some(Extent {
        xmin: xmin - mx,
        ymin: ymin - my,
        xmax: xmax + mx,
        ymax: ymax + my,
        name: name.unwrap_or_default().trim_end_matches('.').to_string(),
    })
}

#[cfg(test)]
mod extent_tests {
    use super::*;

    #[test]
    fn sweref99tm_covers_sweden_not_swapped_axes() {
        let e = area_of_use(Epsg(3006)).unwrap();
        assert!(e.contains(674_000.0, 6_580_000.0), "Stockholm: {e:?}");
        assert!(e.contains(389_000.0, 7_550_000.0), "Kiruna: {e:?}");
        assert!(!e.contains(6_580_000.0, 674_000.0), "swapped axes: {e:?}");
        assert!(!e.contains(18.07, 59.33), "degrees: {e:?}");
    }
}
