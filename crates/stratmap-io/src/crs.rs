//! Coordinate transformations through PROJ, written once and used by every
//! reader and writer. Axis order is normalised for maps: x = easting or
//! longitude, y = northing or latitude, whatever the CRS's official order.

use crate::Error;
use proj::Proj;

/// A transformation between two EPSG coordinate systems.
pub struct Transform {
    proj: Proj,
    from: u32,
    to: u32,
}

/// EPSG code of WGS 84 longitude/latitude (RFC 7946 GeoJSON).
pub const WGS84: u32 = 4326;

impl Transform {
    pub fn new(from: u32, to: u32) -> Result<Self, Error> {
        let proj = Proj::new_known_crs(&format!("EPSG:{from}"), &format!("EPSG:{to}"), None)
            .map_err(|e| Error::Crs(format!("cannot transform EPSG:{from} to EPSG:{to}: {e}")))?;
        Ok(Transform { proj, from, to })
    }

    /// From a projected grid CRS to WGS 84 lon/lat.
    pub fn to_wgs84(from: u32) -> Result<Self, Error> {
        Self::new(from, WGS84)
    }

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
        let t = Transform::to_wgs84(3006).unwrap();
        let (lon, lat) = t.point(500_000.0, 6_500_000.0).unwrap();
        assert!((lon - 15.0).abs() < 1e-9, "{lon}");
        assert!((58.0..59.0).contains(&lat), "{lat}");
        let back = Transform::new(WGS84, 3006)
            .unwrap()
            .point(lon, lat)
            .unwrap();
        assert!((back.0 - 500_000.0).abs() < 1e-6 && (back.1 - 6_500_000.0).abs() < 1e-6);
    }

    #[test]
    fn unknown_crs_is_an_error() {
        assert!(Transform::to_wgs84(999_999).is_err());
    }
}
