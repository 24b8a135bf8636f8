//! GeoPackage and GeoTIFF through GDAL.
