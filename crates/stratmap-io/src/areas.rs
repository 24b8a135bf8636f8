//! Area polygons (SPEC §3.2): a GeoJSON FeatureCollection of Polygon and
//! MultiPolygon features with `name` and `category`, read into the working
//! CRS through PROJ. Coordinates are WGS 84 lon/lat (RFC 7946) unless the
//! file's legacy `crs` member or the caller names another CRS.
//!
//! Every problem names the file, the line and column where the feature
//! starts, and the feature's name: unclosed rings, rings of fewer than four
//! positions, self-intersections, other geometry types, coordinates in the
//! wrong units, missing or duplicate names.

use crate::crs::{area_of_use, Transform, WGS84};
use crate::{Error, Problem};
use geo::algorithm::validation::{InvalidMultiPolygon, InvalidPolygon, RingRole};
use geo::{MultiPolygon, Polygon};
use serde::Deserialize;
use serde_json::value::RawValue;
use stratmap_core::Epsg;

/// One area: a police area (or any polygon) with its name and category.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// Unique among the areas of a file.
    pub name: String,
    /// `SUO`, `RO`, `UO`, `reported` (in any case, written so) or any text.
    pub category: String,
    /// The area in the working CRS (metres).
    pub geometry: MultiPolygon<f64>,
    /// Whether it was a single Polygon in the file (a layer of single
    /// polygons is written back as Polygons).
    pub single: bool,
}

/// The areas of a file, sorted by name, in the working CRS.
#[derive(Debug, Clone)]
pub struct AreaTable {
    /// The areas, sorted by name.
    pub areas: Vec<Area>,
    /// The working CRS.
    pub epsg: Epsg,
    /// The overlapping pairs, found when first asked for.
    overlaps: std::sync::OnceLock<Vec<(usize, usize, f64)>>,
}

impl AreaTable {
    /// The areas of a file, sorted by name, in the working CRS `epsg`.
    pub fn new(areas: Vec<Area>, epsg: Epsg) -> Self {
        AreaTable {
            areas,
            epsg,
            overlaps: std::sync::OnceLock::new(),
        }
    }

    /// The pairs of areas (i < j) that overlap by a positive area, with the
    /// overlap in m²: sought once, however many layers ask (SPEC §3.2:
    /// overlaps are allowed but always warned about).
    pub fn overlaps(&self) -> &[(usize, usize, f64)] {
        self.overlaps.get_or_init(|| {
            let index = stratmap_core::PolygonIndex::new(self.polygons());
            stratmap_core::overlapping_pairs(&index)
        })
    }

    /// How many areas.
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// Area `i`'s name.
    pub fn name(&self, i: usize) -> &str {
        &self.areas[i].name
    }

    /// The categories, in area order.
    pub fn categories(&self) -> Vec<String> {
        self.areas.iter().map(|a| a.category.clone()).collect()
    }

    /// The geometries, in area order (a copy, for the methods of the core,
    /// which take them as a slice).
    pub fn polygons(&self) -> Vec<MultiPolygon<f64>> {
        self.areas.iter().map(|a| a.geometry.clone()).collect()
    }

    /// The area named `name`, if any (names are sorted).
    pub fn find(&self, name: &str) -> Option<&Area> {
        self.areas
            .binary_search_by(|a| a.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.areas[i])
    }
}

#[derive(Deserialize)]
struct RawCollection<'a> {
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow, default)]
    features: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    crs: Option<serde_json::Value>,
}

/// 1-based line and column of byte `offset` in `data`.
fn line_col(data: &[u8], offset: usize) -> (u64, usize) {
    let before = &data[..offset.min(data.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
    let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    (line, col)
}

/// The EPSG code of a legacy GeoJSON `crs` member (`urn:ogc:def:crs:EPSG::3006`,
/// `EPSG:3006`, or OGC CRS84 for lon/lat).
fn crs_member(crs: &serde_json::Value) -> Result<Epsg, String> {
    let name = crs
        .pointer("/properties/name")
        .and_then(|v| v.as_str())
        .ok_or(
            "the crs member has no properties.name: expected e.g. \"urn:ogc:def:crs:EPSG::3006\"",
        )?;
    if name.ends_with("CRS84") {
        return Ok(WGS84);
    }
    let code: u32 = name
        .rsplit(':')
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| {
            format!("crs {name:?}: expected an EPSG code such as \"urn:ogc:def:crs:EPSG::3006\"")
        })?;
    let code = Epsg(code);
    if !crate::crs::known_epsg(code) {
        return Err(format!("crs {name:?}: {}", crate::crs::UNKNOWN_CRS));
    }
    Ok(code)
}

fn located(file: &str, data: &[u8], offset: usize, msg: String) -> Problem {
    let (line, col) = line_col(data, offset);
    let mut p = Problem::file(file, msg).at_line(line);
    p.column = Some((col, "feature".into()));
    p
}

/// Where the areas' names and categories are, and which layer of a file with
/// several (`[areas]` in the config, `--areas-layer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaOptions {
    /// The property (field) with the area's name.
    pub name: String,
    /// The property (field) with the area's category.
    pub category: String,
    /// The layer to read from a GeoPackage of several.
    pub layer: Option<String>,
}

impl Default for AreaOptions {
    fn default() -> Self {
        AreaOptions {
            name: "name".into(),
            category: "category".into(),
            layer: None,
        }
    }
}

/// Reads areas into `epsg` (the working CRS), with the names and categories
/// in the default properties `name` and `category`. `file_crs` overrides
/// what the file says about its own CRS.
pub fn read_areas(
    file: &str,
    data: &[u8],
    epsg: Epsg,
    file_crs: Option<Epsg>,
) -> Result<AreaTable, Error> {
    read_areas_with(file, data, epsg, file_crs, &AreaOptions::default())
}

/// [`read_areas`] with the names and categories in the properties `opts`
/// names (matched exactly, else ignoring case).
pub fn read_areas_with(
    file: &str,
    data: &[u8],
    epsg: Epsg,
    file_crs: Option<Epsg>,
    opts: &AreaOptions,
) -> Result<AreaTable, Error> {
    // a UTF-8 byte-order mark, as editors on Windows write, is not JSON
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let raw: RawCollection = serde_json::from_slice(data).map_err(|e| {
        let mut p = Problem::file(file, format!("expected a GeoJSON FeatureCollection: {e}"));
        if e.line() > 0 {
            p = p.at_line(e.line() as u64);
            p.column = Some((e.column(), "JSON".into()));
        }
        p
    })?;
    if raw.kind != "FeatureCollection" {
        return Err(Problem::file(
            file,
            format!(
                "expected a GeoJSON FeatureCollection of areas, found a {:?}",
                raw.kind
            ),
        )
        .into());
    }
    let source = match (file_crs, &raw.crs) {
        (Some(c), _) => c,
        (None, Some(c)) => crs_member(c).map_err(|m| Problem::file(file, m))?,
        (None, None) => WGS84,
    };
    let features = raw.features.unwrap_or_default();
    let to = Transform::new(source, epsg)?;
    let extent = (source != WGS84).then(|| area_of_use(source)).flatten();
    let mut problems = Vec::new();
    let mut rows: Vec<(String, String, MultiPolygon<f64>, bool)> = Vec::new();
    for (k, f) in features.iter().enumerate() {
        let offset = f.get().as_ptr() as usize - data.as_ptr() as usize;
        let here = |msg: String| located(file, data, offset, msg);
        let feature: geojson::Feature = match serde_json::from_str(f.get()) {
            Ok(x) => x,
            Err(e) => {
                problems.push(here(format!(
                    "feature {}: expected a GeoJSON Feature: {e}",
                    k + 1
                )));
                continue;
            }
        };
        let prop = |key: &str| {
            feature
                .properties
                .as_ref()
                .and_then(|p| {
                    p.get(key).or_else(|| {
                        p.iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(key))
                            .map(|(_, v)| v)
                    })
                })
                .and_then(|v| match v {
                    serde_json::Value::String(s) => Some(s.trim().to_string()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .filter(|s| !s.is_empty())
        };
        // the feature's property names, to say where the names may be
        let has = || -> String {
            let keys: Vec<&str> = feature
                .properties
                .as_ref()
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            if keys.is_empty() {
                " (it has no properties)".into()
            } else {
                format!(
                    " (it has {}; name the right one with [areas] name = … and category = … in the config)",
                    keys.join(", ")
                )
            }
        };
        let Some(name) = prop(&opts.name) else {
            problems.push(here(format!(
                "feature {}: expected a property {:?} (text) naming the area{}",
                k + 1,
                opts.name,
                has()
            )));
            continue;
        };
        let label = format!("area {name:?}");
        let Some(category) = prop(&opts.category) else {
            problems.push(here(format!(
                "{label}: expected a property {:?} (SUO, RO, UO, reported or any text){}",
                opts.category,
                has()
            )));
            continue;
        };
        // the police categories in any case ("uo", "Suo") are the same category
        let category = stratmap_core::CATEGORY_ORDER
            .iter()
            .find(|c| c.eq_ignore_ascii_case(&category))
            .map_or(category, |c| c.to_string());
        let parts: Vec<&geojson::PolygonType> = match feature.geometry.as_ref().map(|g| &g.value) {
            Some(geojson::GeometryValue::Polygon { coordinates }) => vec![coordinates],
            Some(geojson::GeometryValue::MultiPolygon { coordinates }) => {
                coordinates.iter().collect()
            }
            Some(other) => {
                problems.push(here(format!(
                    "{label}: expected a Polygon or MultiPolygon, found a {}",
                    other.type_name()
                )));
                continue;
            }
            None => {
                problems.push(here(format!(
                    "{label}: the feature has no geometry: expected a Polygon or MultiPolygon"
                )));
                continue;
            }
        };
        let single = parts.len() == 1
            && matches!(
                feature.geometry.as_ref().map(|g| &g.value),
                Some(geojson::GeometryValue::Polygon { .. })
            );
        match polygons(&label, &parts, source, &to, extent.as_ref()) {
            Ok(mp) => rows.push((name, category, mp, single)),
            Err(m) => problems.push(here(m)),
        }
    }
    if features.is_empty() {
        problems.push(Problem::file(
            file,
            "the FeatureCollection holds no features: expected at least one area",
        ));
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 {
            problems.push(Problem::file(
                file,
                format!(
                    "area {:?} appears more than once: expected unique names (make one MultiPolygon of its parts)",
                    w[0].0
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    Ok(AreaTable::new(
        rows.into_iter()
            .map(|(name, category, geometry, single)| Area {
                name,
                category,
                geometry,
                single,
            })
            .collect(),
        epsg,
    ))
}

/// Whether a file of areas is GeoJSON (read as text) rather than a GDAL format.
pub fn is_geojson(path: &std::path::Path) -> bool {
    matches!(crate::extension(path).as_str(), "geojson" | "json")
}

/// What a build without the `gdal` feature says of a GeoPackage or
/// Shapefile of areas.
pub const NO_GDAL: &str =
    "this build of stratmap has no GDAL: rebuild with the `gdal` feature, or give GeoJSON";

/// Reads areas from a file: GeoJSON by its text, anything else (GeoPackage,
/// Shapefile, …) through GDAL, from its first layer. Without the `gdal`
/// feature anything but GeoJSON is refused with [`NO_GDAL`].
pub fn read_areas_file(
    path: &std::path::Path,
    epsg: Epsg,
    file_crs: Option<Epsg>,
) -> Result<AreaTable, Error> {
    read_areas_file_with(path, epsg, file_crs, &AreaOptions::default())
}

/// [`read_areas_file`] with the field names and layer of `opts`.
pub fn read_areas_file_with(
    path: &std::path::Path,
    epsg: Epsg,
    file_crs: Option<Epsg>,
    opts: &AreaOptions,
) -> Result<AreaTable, Error> {
    if is_geojson(path) {
        let name = path.display().to_string();
        let data =
            crate::limited::read_text_file(path, &name, crate::limited::TextLimits::GEOJSON)?;
        return read_areas_with(&name, &data, epsg, file_crs, opts);
    }
    #[cfg(feature = "gdal")]
    {
        read_areas_gdal_with(path, epsg, file_crs, opts)
    }
    #[cfg(not(feature = "gdal"))]
    {
        Err(Problem::file(&path.display().to_string(), NO_GDAL).into())
    }
}

/// Areas from the one layer of a GDAL vector file (GeoPackage, Shapefile,
/// …) with fields `name` and `category`. The features are checked exactly as
/// GeoJSON areas are; problems name the feature by its FID.
#[cfg(feature = "gdal")]
pub fn read_areas_gdal(
    path: &std::path::Path,
    epsg: Epsg,
    file_crs: Option<Epsg>,
) -> Result<AreaTable, Error> {
    read_areas_gdal_with(path, epsg, file_crs, &AreaOptions::default())
}

/// [`read_areas_gdal`] with the field names and layer of `opts`: a file of
/// several layers needs `opts.layer` (it is refused with the layers' names
/// rather than read from its first layer).
#[cfg(feature = "gdal")]
pub fn read_areas_gdal_with(
    path: &std::path::Path,
    epsg: Epsg,
    file_crs: Option<Epsg>,
    opts: &AreaOptions,
) -> Result<AreaTable, Error> {
    use gdal::vector::LayerAccess;
    let name = path.display().to_string();
    let gdal_err = |e: gdal::errors::GdalError| Error::Gdal {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    // a missing file is an I/O error, said as such, before GDAL guesses
    std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let ds = gdal::Dataset::open_ex(
        path,
        gdal::DatasetOptions {
            open_flags: gdal::GdalOpenFlags::GDAL_OF_VECTOR,
            ..Default::default()
        },
    )
    .map_err(|_| {
        Problem::file(
            &name,
            format!("cannot be read as {}", gdal_format_name(path)),
        )
    })?;
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    let mut layer = match (&opts.layer, names.len()) {
        (Some(wanted), _) => ds.layer_by_name(wanted).map_err(|_| {
            Problem::file(
                &name,
                format!(
                    "has no layer {wanted:?}: expected one of {}",
                    names.join(", ")
                ),
            )
        })?,
        (None, 0) => {
            return Err(Problem::file(
                &name,
                "the file has no layer: expected one layer of area polygons",
            )
            .into())
        }
        (None, 1) => ds.layer(0).map_err(gdal_err)?,
        (None, n) => {
            return Err(Problem::file(
                &name,
                format!(
                    "the file has {n} layers ({}): name the one with the areas with --areas-layer or [areas] layer = … in the config",
                    names.join(", ")
                ),
            )
            .into())
        }
    };
    // the fields, matched exactly, else ignoring case
    let defn: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    let pick = |wanted: &str| -> Result<String, Error> {
        defn.iter()
            .find(|f| *f == wanted)
            .or_else(|| defn.iter().find(|f| f.eq_ignore_ascii_case(wanted)))
            .cloned()
            .ok_or_else(|| {
                Problem::file(
                    &name,
                    format!(
                        "the layer {:?} has no field {wanted:?}: it has {}; name the right ones with [areas] name = … and category = … in the config",
                        layer.name(),
                        defn.join(", ")
                    ),
                )
                .into()
            })
    };
    let (name_field, category_field) = (pick(&opts.name)?, pick(&opts.category)?);
    let source = match file_crs {
        Some(c) => c,
        None => match layer.spatial_ref() {
            Some(srs) => srs.auth_code().map(|c| Epsg(c as u32)).map_err(|_| {
                Problem::file(
                    &name,
                    "the layer's CRS has no EPSG code: name it with --areas-crs",
                )
            })?,
            None => WGS84,
        },
    };
    // One feature per line of a GeoJSON text, so line k + 2 is feature k.
    let mut text = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    let mut fids = Vec::new();
    for (k, f) in layer.features().enumerate() {
        let field = |n: &str| {
            f.field_index(n)
                .ok()
                .and_then(|i| f.field_as_string(i).ok().flatten())
                .map_or(serde_json::Value::Null, serde_json::Value::String)
        };
        let geometry = match f.geometry().map(|g| g.json()) {
            Some(Ok(j)) => j,
            Some(Err(e)) => return Err(gdal_err(e)),
            None => "null".into(),
        };
        if k > 0 {
            text.push_str(",\n");
        }
        text.push_str(&format!(
            "{{\"type\":\"Feature\",\"properties\":{{{}:{},{}:{}}},\"geometry\":{geometry}}}",
            serde_json::Value::String(opts.name.clone()),
            field(&name_field),
            serde_json::Value::String(opts.category.clone()),
            field(&category_field)
        ));
        fids.push(f.fid().unwrap_or(k as u64));
    }
    text.push_str("\n]}");
    read_areas_with(&name, text.as_bytes(), epsg, Some(source), opts).map_err(|e| match e {
        Error::Input(problems) => Error::Input(
            problems
                .into_iter()
                .map(|mut p| {
                    if let Some(line) = p.line.take() {
                        let fid = fids
                            .get((line as usize).saturating_sub(2))
                            .copied()
                            .unwrap_or_default();
                        p.message = format!("feature FID {fid}: {}", p.message);
                        p.column = None;
                    }
                    p
                })
                .collect(),
        ),
        other => other,
    })
}

/// The format a file's extension promises, for messages.
#[cfg(feature = "gdal")]
fn gdal_format_name(path: &std::path::Path) -> &'static str {
    match crate::extension(path).as_str() {
        "gpkg" => "a GeoPackage: expected an SQLite GeoPackage with a layer of area polygons",
        "shp" => "a Shapefile: expected a .shp of area polygons with its .shx and .dbf beside it",
        _ => "a vector file: expected a GeoPackage or Shapefile of area polygons, or GeoJSON named .geojson",
    }
}

/// The parts of one feature, checked, transformed and validated.
fn polygons(
    label: &str,
    parts: &[&geojson::PolygonType],
    source: Epsg,
    to: &Transform,
    extent: Option<&crate::crs::Extent>,
) -> Result<MultiPolygon<f64>, String> {
    let mut out = Vec::new();
    for (pi, rings) in parts.iter().enumerate() {
        let part = if parts.len() > 1 {
            format!(", part {}", pi + 1)
        } else {
            String::new()
        };
        if rings.is_empty() {
            return Err(format!(
                "{label}{part}: the polygon has no rings: expected an exterior ring"
            ));
        }
        let mut lines = Vec::new();
        for (ri, ring) in rings.iter().enumerate() {
            let which = if ri == 0 {
                "exterior ring".to_string()
            } else {
                format!("hole {ri}")
            };
            if ring.len() < 4 {
                return Err(format!(
                    "{label}{part}: the {which} has {} positions: expected at least 4 (a closed triangle)",
                    ring.len()
                ));
            }
            let mut coords = Vec::with_capacity(ring.len());
            for p in ring {
                if p.len() < 2 {
                    return Err(format!(
                        "{label}{part}: a position of the {which} has fewer than 2 numbers"
                    ));
                }
                let (x, y) = (p[0], p[1]);
                if !(x.is_finite() && y.is_finite()) {
                    return Err(format!(
                        "{label}{part}: the {which} holds a non-finite coordinate"
                    ));
                }
                if source == WGS84 && (x.abs() > 180.0 || y.abs() > 90.0) {
                    return Err(format!(
                        "{label}{part}: ({x}, {y}) is not longitude/latitude in degrees; if the file is in metres, name its CRS (e.g. --areas-crs EPSG:3006)"
                    ));
                }
                if source != WGS84 && x.abs() <= 180.0 && y.abs() <= 90.0 {
                    return Err(format!(
                        "{label}{part}: ({x}, {y}) looks like longitude/latitude in degrees: expected metres in EPSG:{source}"
                    ));
                }
                if let Some(e) = extent {
                    if !e.contains(x, y) {
                        return Err(format!(
                            "{label}{part}: ({x}, {y}) lies outside {} where EPSG:{source} is used: are x and y swapped, or is the CRS wrong?",
                            e.name
                        ));
                    }
                }
                let (tx, ty) = to.point(x, y).map_err(|e| format!("{label}{part}: {e}"))?;
                coords.push(geo::coord! { x: tx, y: ty });
            }
            if ring.first() != ring.last() {
                return Err(format!(
                    "{label}{part}: the {which} is not closed: expected its last position to repeat the first"
                ));
            }
            lines.push(geo::LineString::new(coords));
        }
        let exterior = lines.remove(0);
        let polygon = Polygon::new(exterior, lines);
        if let Err(e) = check_polygon(&polygon) {
            return Err(format!("{label}{part}: invalid polygon: {e}"));
        }
        out.push(polygon);
    }
    let mp = MultiPolygon::new(out);
    if parts.len() > 1 {
        if let Err(e) = check_parts(&mp) {
            return Err(format!("{label}: invalid multipolygon: {e}"));
        }
    }
    Ok(mp)
}

/// geo's polygon validation (the same checks in the same order, and the
/// same errors), with the self-intersection test of each ring through an
/// R-tree of its segments: n log n where geo's is quadratic in the ring's
/// length.
fn check_polygon(polygon: &Polygon<f64>) -> Result<(), InvalidPolygon> {
    use geo::coordinate_position::CoordPos;
    use geo::dimensions::Dimensions;
    use geo::{PreparedGeometry, Relate, RemoveRepeatedPoints};
    let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
    for (k, ring) in rings.enumerate() {
        if ring.0.is_empty() {
            continue;
        }
        let role = if k == 0 {
            RingRole::Exterior
        } else {
            RingRole::Interior(k - 1)
        };
        if ring.remove_repeated_points().0.len() < 4 {
            return Err(InvalidPolygon::TooFewPointsInRing(role));
        }
        if ring_crosses_itself(ring) {
            return Err(InvalidPolygon::SelfIntersection(role));
        }
    }
    let interiors = polygon.interiors();
    if interiors.iter().all(|r| r.0.is_empty()) {
        return Ok(());
    }
    let exterior = Polygon::new(polygon.exterior().clone(), vec![]);
    let exterior = PreparedGeometry::from(&exterior);
    for (i, a) in interiors.iter().enumerate() {
        if a.0.is_empty() {
            continue;
        }
        let a_poly = Polygon::new(a.clone(), vec![]);
        let prepared = PreparedGeometry::from(&a_poly);
        let m = exterior.relate(&prepared);
        if !m.is_contains() {
            return Err(InvalidPolygon::InteriorRingNotContainedInExteriorRing(
                RingRole::Interior(i),
            ));
        }
        if m.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
            return Err(InvalidPolygon::IntersectingRingsOnALine(
                RingRole::Exterior,
                RingRole::Interior(i),
            ));
        }
        for (j, b) in interiors.iter().enumerate().skip(i + 1) {
            if b.0.is_empty() || !boxes_meet(a, b) {
                continue;
            }
            let m = prepared.relate(&Polygon::new(b.clone(), vec![]));
            if m.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Err(InvalidPolygon::IntersectingRingsOnAnArea(
                    RingRole::Interior(i),
                    RingRole::Interior(j),
                ));
            }
            if m.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                return Err(InvalidPolygon::IntersectingRingsOnALine(
                    RingRole::Interior(i),
                    RingRole::Interior(j),
                ));
            }
        }
    }
    Ok(())
}

/// Whether the bounding boxes of two geometries meet (touching counts).
fn boxes_meet(a: &impl geo::BoundingRect<f64>, b: &impl geo::BoundingRect<f64>) -> bool {
    use geo::Intersects;
    match (a.bounding_rect().into(), b.bounding_rect().into()) {
        (Some(a), Some(b)) => Intersects::intersects(&a, &b),
        _ => false,
    }
}

/// geo's test of a ring crossing itself: two of its segments meet, other
/// than where one ends and the next starts. The candidate pairs come from
/// an R-tree of the segments' bounding boxes.
fn ring_crosses_itself(ring: &geo::LineString<f64>) -> bool {
    use geo::Intersects;
    use rstar::primitives::{GeomWithData, Rectangle};
    use rstar::{RTree, AABB};
    let lines: Vec<geo::Line<f64>> = ring.lines().collect();
    let tree = RTree::bulk_load(
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                GeomWithData::new(
                    Rectangle::from_corners([l.start.x, l.start.y], [l.end.x, l.end.y]),
                    i,
                )
            })
            .collect(),
    );
    lines.iter().enumerate().any(|(i, line)| {
        let env = AABB::from_corners([line.start.x, line.start.y], [line.end.x, line.end.y]);
        tree.locate_in_envelope_intersecting(&env).any(|c| {
            let other = &lines[c.data];
            c.data > i
                && line.intersects(other)
                && line.start != other.end
                && line.end != other.start
        })
    })
}

/// geo's multipolygon validation past its parts (each already checked):
/// no two parts overlap or touch on a line. Parts whose boxes do not meet
/// are not compared.
fn check_parts(mp: &MultiPolygon<f64>) -> Result<(), InvalidMultiPolygon> {
    use geo::algorithm::validation::GeometryIndex;
    use geo::coordinate_position::CoordPos;
    use geo::dimensions::Dimensions;
    use geo::Relate;
    for (i, a) in mp.0.iter().enumerate() {
        for (j, b) in mp.0.iter().enumerate().skip(i + 1) {
            if !boxes_meet(a, b) {
                continue;
            }
            let m = a.relate(b);
            if m.get(CoordPos::Inside, CoordPos::Inside) == Dimensions::TwoDimensional {
                return Err(InvalidMultiPolygon::ElementsOverlaps(
                    GeometryIndex(i),
                    GeometryIndex(j),
                ));
            }
            if m.get(CoordPos::OnBoundary, CoordPos::OnBoundary) == Dimensions::OneDimensional {
                return Err(InvalidMultiPolygon::ElementsTouchOnALine(
                    GeometryIndex(i),
                    GeometryIndex(j),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    fn fc(features: &str) -> String {
        format!("{{\"type\":\"FeatureCollection\",\"features\":[\n{features}\n]}}")
    }

    fn feature(name: &str, cat: &str, geom: &str) -> String {
        format!("{{\"type\":\"Feature\",\"properties\":{{\"name\":\"{name}\",\"category\":\"{cat}\"}},\"geometry\":{geom}}}")
    }

    const SQUARE_3006: &str = "{\"type\":\"Polygon\",\"coordinates\":[[[600000,6600000],[601000,6600000],[601000,6601000],[600000,6601000],[600000,6600000]]]}";

    fn problems(text: &str, crs: Option<Epsg>) -> Vec<String> {
        match read_areas("a.geojson", text.as_bytes(), Epsg(3006), crs) {
            Err(Error::Input(p)) => p.iter().map(ToString::to_string).collect(),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    /// A ring of `n` positions on a circle of 20 km around a point in Sweden
    /// (EPSG:3006), closed, as GeoJSON coordinates.
    fn circle(n: usize, swap: Option<usize>) -> String {
        let mut pts: Vec<(f64, f64)> = (0..n)
            .map(|k| {
                let a = k as f64 / n as f64 * std::f64::consts::TAU;
                (
                    600_000.0 + 20_000.0 * a.cos(),
                    6_600_000.0 + 20_000.0 * a.sin(),
                )
            })
            .collect();
        if let Some(k) = swap {
            pts.swap(k, k + 1);
        }
        pts.push(pts[0]);
        let coords: Vec<String> = pts.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
        format!(
            "{{\"type\":\"Polygon\",\"coordinates\":[[{}]]}}",
            coords.join(",")
        )
    }

    #[test]
    fn a_ring_of_200_000_positions_is_checked_in_n_log_n() {
        let text = fc(&feature("Stor", "RO", &circle(200_000, None)));
        let t = std::time::Instant::now();
        let a = read_areas("a.geojson", text.as_bytes(), Epsg(3006), Some(Epsg(3006))).unwrap();
        assert_eq!(a.name(0), "Stor");
        assert_eq!(a.areas[0].geometry.0[0].exterior().0.len(), 200_001);
        // geo's pairwise check took 30 s for 40 000 positions
        assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
        // two positions swapped: the ring crosses itself once
        let text = fc(&feature("Stor", "RO", &circle(200_000, Some(123_456))));
        assert_eq!(
            problems(&text, Some(Epsg(3006))),
            ["a.geojson, line 2, column 1 (feature): area \"Stor\": invalid polygon: exterior ring has a self-intersection"]
        );
    }

    #[test]
    fn polygon_checks_agree_with_geo() {
        use geo::Validation;
        // random small polygons with holes and multipolygons: the same verdict
        // and the same error as geo's own validation
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 9) as f64
        };
        let mut ring = |n: usize| {
            let mut pts: Vec<geo::Coord<f64>> = (0..n)
                .map(|_| geo::coord! { x: next(), y: next() })
                .collect();
            pts.push(pts[0]);
            geo::LineString::new(pts)
        };
        let mut invalid = 0;
        for k in 0..3000 {
            let holes = (0..k % 3).map(|_| ring(3 + k % 4)).collect();
            let p = Polygon::new(ring(3 + k % 5), holes);
            let ours = check_polygon(&p).map_err(|e| e.to_string());
            let geos = p.check_validation().map_err(|e| e.to_string());
            assert_eq!(ours, geos, "{p:?}");
            invalid += usize::from(ours.is_err());
            let q = Polygon::new(ring(4), vec![]);
            if check_polygon(&q).is_ok() && ours.is_ok() {
                let mp = MultiPolygon::new(vec![p, q]);
                let ours = check_parts(&mp).map_err(|e| e.to_string());
                let geos = mp.check_validation().map_err(|e| e.to_string());
                assert_eq!(ours, geos, "{mp:?}");
            }
        }
        assert!((500..2900).contains(&invalid), "{invalid}");
    }

    #[test]
    fn police_categories_in_any_case_are_one() {
        let sq = "{\"type\":\"Polygon\",\"coordinates\":[[[18.0,59.3],[18.01,59.3],[18.01,59.31],[18.0,59.31],[18.0,59.3]]]}";
        let far = sq.replace("18.0", "18.1").replace("18.01", "18.11");
        let far2 = sq.replace("59.3", "59.4").replace("59.31", "59.41");
        let text = fc(&[
            feature("a", "uo", sq),
            feature("b", " Suo ", &far),
            feature("c", "Östra", &far2),
        ]
        .join(",\n"));
        let t = read_areas("a.geojson", text.as_bytes(), Epsg(3006), None).unwrap();
        assert_eq!(t.categories(), ["UO", "SUO", "Östra"]);
    }

    #[test]
    fn reads_projected_and_lonlat_sorted_by_name() {
        let text = fc(&[
            feature("b", "SUO", SQUARE_3006),
            feature("a", "RO", "{\"type\":\"Polygon\",\"coordinates\":[[[18.0,59.3],[18.01,59.3],[18.01,59.31],[18.0,59.3]]]}"),
        ]
        .join(",\n"));
        let err = problems(&text, None);
        assert!(
            err[0].contains("area \"b\": (600000, 6600000) is not longitude/latitude"),
            "{err:?}"
        );
        let t = read_areas("a.geojson", text.replace(SQUARE_3006, "{\"type\":\"Polygon\",\"coordinates\":[[[18.0,59.3],[18.01,59.3],[18.01,59.31],[18.0,59.31],[18.0,59.3]]]}").as_bytes(), Epsg(3006), None).unwrap();
        assert_eq!([t.name(0), t.name(1)], ["a", "b"]);
        assert_eq!(t.categories(), ["RO", "SUO"]);
        // 0.01° × 0.01° at 59.3° N is about 569 m × 1113 m
        let a = t.areas[1].geometry.unsigned_area();
        assert!((a - 569.0 * 1113.0).abs() / a < 0.01, "{a}");
        let t = read_areas(
            "a.geojson",
            fc(&feature("b", "SUO", SQUARE_3006)).as_bytes(),
            Epsg(3006),
            Some(Epsg(3006)),
        )
        .unwrap();
        assert_eq!(t.areas[0].geometry.unsigned_area(), 1e6);
        assert!(t.areas[0].single);
    }

    #[test]
    #[cfg(not(feature = "gdal"))]
    fn without_gdal_a_geopackage_is_refused() {
        let Err(Error::Input(p)) =
            read_areas_file(std::path::Path::new("a.gpkg"), Epsg(3006), None)
        else {
            panic!()
        };
        assert_eq!(p[0].to_string(), format!("a.gpkg: {NO_GDAL}"));
    }

    #[test]
    #[cfg(feature = "gdal")]
    fn geopackage_and_shapefile_through_gdal() {
        // write the areas with ogr2ogr, as an analyst's GIS would
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a.geojson");
        std::fs::write(&src, fc(&[feature("b", "SUO", SQUARE_3006), feature("a", "RO", "{\"type\":\"Polygon\",\"coordinates\":[[[602000,6600000],[603000,6600000],[603000,6601000],[602000,6600000]]]}")].join(",\n"))).unwrap();
        for (ext, driver) in [("gpkg", "GPKG"), ("shp", "ESRI Shapefile")] {
            let out = dir.path().join(format!("a.{ext}"));
            let ok = std::process::Command::new("ogr2ogr")
                .args(["-f", driver, "-a_srs", "EPSG:3006"])
                .arg(&out)
                .arg(&src)
                .status()
                .unwrap();
            assert!(ok.success());
            let t = read_areas_file(&out, Epsg(3006), None).unwrap();
            assert_eq!([t.name(0), t.name(1)], ["a", "b"], "{ext}");
            assert_eq!(t.areas[1].geometry.unsigned_area(), 1e6, "{ext}");
            assert!(
                (t.areas[0].geometry.unsigned_area() - 5e5).abs() < 1e-6,
                "{ext}"
            );
        }
        // problems name the feature by FID
        std::fs::write(&src, fc(&feature("c", "SUO", "{\"type\":\"Polygon\",\"coordinates\":[[[600000,6600000],[601000,6601000],[601000,6600000],[600000,6601000],[600000,6600000]]]}"))).unwrap();
        let out = dir.path().join("bad.gpkg");
        std::process::Command::new("ogr2ogr")
            .args(["-f", "GPKG", "-a_srs", "EPSG:3006"])
            .arg(&out)
            .arg(&src)
            .status()
            .unwrap();
        let Err(Error::Input(p)) = read_areas_file(&out, Epsg(3006), None) else {
            panic!()
        };
        assert!(
            p[0].to_string()
                .contains("bad.gpkg: feature FID 1: area \"c\": invalid polygon"),
            "{}",
            p[0]
        );
    }

    #[test]
    fn crs_member_names_the_crs() {
        let text = fc(&feature("b", "SUO", SQUARE_3006)).replacen(
            "{\"type\":\"FeatureCollection\",",
            "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::3006\"}},",
            1,
        );
        let t = read_areas("a.geojson", text.as_bytes(), Epsg(3006), None).unwrap();
        assert_eq!(t.areas[0].geometry.unsigned_area(), 1e6);
    }

    #[test]
    fn every_problem_is_located_and_named() {
        let open = "{\"type\":\"Polygon\",\"coordinates\":[[[600000,6600000],[601000,6600000],[601000,6601000],[600000,6601000]]]}";
        let short = "{\"type\":\"Polygon\",\"coordinates\":[[[600000,6600000],[601000,6600000],[600000,6600000]]]}";
        let bowtie = "{\"type\":\"Polygon\",\"coordinates\":[[[600000,6600000],[601000,6601000],[601000,6600000],[600000,6601000],[600000,6600000]]]}";
        let point = "{\"type\":\"Point\",\"coordinates\":[600000,6600000]}";
        let degrees = "{\"type\":\"Polygon\",\"coordinates\":[[[18.0,59.3],[18.01,59.3],[18.01,59.31],[18.0,59.3]]]}";
        let swapped = "{\"type\":\"Polygon\",\"coordinates\":[[[6600000,600000],[6601000,600000],[6601000,601000],[6600000,600000]]]}";
        let text = fc(&[
            feature("open", "SUO", open),
            feature("short", "SUO", short),
            feature("bowtie", "SUO", bowtie),
            feature("point", "SUO", point),
            feature("deg", "SUO", degrees),
            feature("swap", "SUO", swapped),
            "{\"type\":\"Feature\",\"properties\":{\"category\":\"RO\"},\"geometry\":null}".into(),
            feature("ok", "SUO", SQUARE_3006),
            feature("ok", "RO", SQUARE_3006),
        ]
        .join(",\n"));
        let p = problems(&text, Some(Epsg(3006)));
        let expect = [
            "a.geojson, line 2, column 1 (feature): area \"open\": the exterior ring is not closed",
            "a.geojson, line 3, column 1 (feature): area \"short\": the exterior ring has 3 positions: expected at least 4",
            "a.geojson, line 4, column 1 (feature): area \"bowtie\": invalid polygon",
            "a.geojson, line 5, column 1 (feature): area \"point\": expected a Polygon or MultiPolygon, found a Point",
            "a.geojson, line 6, column 1 (feature): area \"deg\": (18, 59.3) looks like longitude/latitude in degrees",
            "a.geojson, line 7, column 1 (feature): area \"swap\": (6600000, 600000) lies outside",
            "a.geojson, line 8, column 1 (feature): feature 7: expected a property \"name\"",
            "a.geojson: area \"ok\" appears more than once",
        ];
        assert_eq!(p.len(), expect.len(), "{p:#?}");
        for (got, want) in p.iter().zip(expect) {
            assert!(got.starts_with(want), "{got}\n  expected {want}");
        }
    }

    #[test]
    fn not_a_feature_collection() {
        let p = problems(
            "{\"type\":\"Feature\",\"geometry\":null,\"properties\":{}}",
            None,
        );
        assert!(p[0].contains("found a \"Feature\""), "{p:?}");
        let p = problems(&fc(&feature("b", "SUO", SQUARE_3006))[..60], None);
        assert!(p[0].starts_with("a.geojson, line 2, column"), "{p:?}");
        assert!(
            p[0].contains("expected a GeoJSON FeatureCollection"),
            "{p:?}"
        );
        let p = problems(&fc(""), None);
        assert!(p[0].contains("no features"), "{p:?}");
    }
}
