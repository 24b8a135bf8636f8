//! `stratmap demo`: the built-in sample town. Its inputs are the files in
//! `fixtures/sample-town/`, embedded in the binary so the demo runs anywhere.

use crate::analysis::{self, assessments, hotspot_params, indicator_table, study_grid_of};
use crate::footprint::{FootprintInputs, FootprintParams};
use crate::pipeline::{compute_index, counted, load_grid, youth_layer_of, Failure, Notes};
use std::path::Path;
use stratmap_io::areas::read_areas;
use stratmap_io::atomic::write_atomic;
use stratmap_io::config::Config;
use stratmap_io::csv_out::write_csv;
use stratmap_io::events::read_events;
use stratmap_io::gdal_out::{write_geotiff, write_gpkg};
use stratmap_io::geojson_out::write_geojson;
use stratmap_io::layers::{
    assessment_layer, assessment_rows, ASSESSMENT_COLUMNS, INDICATOR_COLUMNS,
};
use stratmap_io::layers::{index_raster, living_conditions_layer};
use stratmap_io::Problem;

/// The sample town's inputs, by file name.
pub const SAMPLE_TOWN: [(&str, &str); 7] = [
    (
        "config.toml",
        include_str!("../../../fixtures/sample-town/config.toml"),
    ),
    (
        "grid.csv",
        include_str!("../../../fixtures/sample-town/grid.csv"),
    ),
    (
        "areas.geojson",
        include_str!("../../../fixtures/sample-town/areas.geojson"),
    ),
    (
        "towers.csv",
        include_str!("../../../fixtures/sample-town/towers.csv"),
    ),
    (
        "records.csv",
        include_str!("../../../fixtures/sample-town/records.csv"),
    ),
    (
        "events.csv",
        include_str!("../../../fixtures/sample-town/events.csv"),
    ),
    (
        "answers.csv",
        include_str!("../../../fixtures/sample-town/answers.csv"),
    ),
];

/// Sample inputs that are not copied into the demo's output.
pub const HOLDS_PHONE_IDS: [&str; 1] = ["records.csv"];

fn input(name: &str) -> &'static str {
    SAMPLE_TOWN
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, text)| text)
}

pub fn run(out: &Path, notes: &Notes) -> Result<(), Failure> {
    notes.stage("computing the sample town's layers");
    let config = Config::parse("sample-town/config.toml", input("config.toml"))?;
    let grid = load_grid(
        "sample-town/grid.csv",
        input("grid.csv").as_bytes(),
        &config,
        true,
        notes,
    )?;
    let (lci, summary) = compute_index(&grid, &config)?;
    let living = living_conditions_layer(&grid, &lci);
    let youth = youth_layer_of(&grid, &config);

    let params = FootprintParams::new(&config, None, None, None)?;
    let footprint = crate::footprint::compute(
        FootprintInputs {
            areas: (
                "sample-town/areas.geojson",
                input("areas.geojson").as_bytes(),
            ),
            towers: ("sample-town/towers.csv", input("towers.csv").as_bytes()),
            records: ("sample-town/records.csv", input("records.csv").as_bytes()),
            records_size: Some(input("records.csv").len() as u64),
        },
        &params,
        notes,
    )?;

    notes.stage(&format!("writing to {}", out.display()));
    let path = out.join("living_conditions.geojson");
    write_geojson(&living, &path)?;
    println!("wrote {} ({summary})", path.display());
    let path = out.join("youth_groups.geojson");
    write_geojson(&youth, &path)?;
    println!(
        "wrote {} ({})",
        path.display(),
        counted(youth.features.len(), "youth group")
    );
    crate::footprint::write(&footprint, out)?;

    let epsg = grid.spec.epsg;
    let areas = read_areas(
        "sample-town/areas.geojson",
        input("areas.geojson").as_bytes(),
        epsg,
        None,
    )?;
    let events = read_events(
        "sample-town/events.csv",
        input("events.csv").as_bytes(),
        epsg,
        epsg,
    )?;
    let (band, fdr) = hotspot_params(&config, None, false)?;
    let (hotspots, summary) = analysis::hotspots(&study_grid_of(&grid), &events, band, fdr, notes);
    let path = out.join("hotspots.geojson");
    write_geojson(&hotspots, &path)?;
    println!("wrote {} ({summary})", path.display());
    let (rows, summary) =
        indicator_table(&events, &areas, &grid, config.indicators.total_area_km2)?;
    let path = out.join("indicators.csv");
    write_csv(&INDICATOR_COLUMNS, &rows, &path)?;
    println!("wrote {} ({summary})", path.display());
    let assessed = assessments(
        "sample-town/answers.csv",
        input("answers.csv").as_bytes(),
        Some(&areas),
        notes,
    )?;
    let path = out.join("assessment.csv");
    write_csv(&ASSESSMENT_COLUMNS, &assessment_rows(&assessed), &path)?;
    println!(
        "wrote {} ({})",
        path.display(),
        counted(assessed.len(), "area-year")
    );
    let assessment = assessment_layer(&areas, &assessed);

    let path = out.join("stratmap.gpkg");
    write_gpkg(
        &[&living, &youth, &footprint.layer, &hotspots, &assessment],
        &path,
    )?;
    println!(
        "wrote {} (layers living_conditions, youth_groups, footprint, hotspots, assessment in EPSG:{})",
        path.display(),
        epsg
    );
    let raster = index_raster(&grid, &lci).map_err(|m| Problem::file("sample-town/grid.csv", m))?;
    let path = out.join("living_conditions.tif");
    write_geotiff(&raster, &path)?;
    println!(
        "wrote {} ({} × {} pixels of {} m)",
        path.display(),
        raster.width,
        raster.height,
        raster.cell_size
    );
    // The inputs too, so the analyst can look at them and run the commands on
    // them; but not the connection records: phone ids never go into output,
    // made-up ones included.
    let inputs = out.join("inputs");
    for (name, text) in SAMPLE_TOWN
        .iter()
        .filter(|(n, _)| !HOLDS_PHONE_IDS.contains(n))
    {
        write_atomic(&inputs.join(name), |w| w.write_all(text.as_bytes()))?;
    }
    println!("wrote {} (the sample town's input files)", inputs.display());
    notes.note(&format!(
        "the sample town is made up; try: stratmap index --grid {} --out living_conditions.gpkg",
        inputs.join("grid.csv").display()
    ));
    Ok(())
}
