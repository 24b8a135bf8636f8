//! `stratmap demo`: the built-in sample town. Its inputs are the files in
//! `fixtures/sample-town/`, embedded in the binary so the demo runs anywhere.

use std::path::Path;
use stratmap_io::write_atomic;
use stratmap_io::Config;
use stratmap_jobs::{Failure, Notes};
use stratmap_jobs::{Inputs, Source, DEFAULT_FORMATS};

/// The sample town's inputs, by file name.
pub const SAMPLE_TOWN: [(&str, &str); 8] = [
    (
        "config.toml",
        include_str!("../../../fixtures/sample-town/config.toml"),
    ),
    (
        "grid.csv",
        include_str!("../../../fixtures/sample-town/grid.csv"),
    ),
    (
        "grid2019.csv",
        include_str!("../../../fixtures/sample-town/grid2019.csv"),
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
    let config = Config::parse("sample-town/config.toml", input("config.toml"))?;
    let source = |name: &str| {
        Some(Source::Embedded {
            given: name.to_string(),
            text: input(name),
        })
    };
    let inputs = Inputs {
        grid: source("grid.csv"),
        grid_before: config
            .change
            .before
            .as_ref()
            .and_then(|p| source(&p.display().to_string())),
        areas: source("areas.geojson"),
        towers: source("towers.csv"),
        records: source("records.csv"),
        events: source("events.csv"),
        answers: source("answers.csv"),
    };
    let formats: Vec<String> = DEFAULT_FORMATS.iter().map(|f| f.to_string()).collect();
    stratmap_jobs::run(&config, &inputs, &formats, out, notes)?;
    // The inputs too, so the analyst can look at them and run the commands on
    // them; but not the connection records: phone ids never go into output,
    // made-up ones included.
    let inputs = out.join("inputs");
    for (name, text) in SAMPLE_TOWN
        .iter()
        .filter(|(n, _)| !HOLDS_PHONE_IDS.contains(n))
    {
        // the copied config must run as it is, without the records
        let text = if *name == "config.toml" {
            without_records(text)
        } else {
            text.to_string()
        };
        write_atomic(&inputs.join(name), |w| w.write_all(text.as_bytes()))?;
    }
    notes.result(&format!(
        "wrote {} (the sample town's input files)",
        inputs.display()
    ));
    notes.tell(&format!(
        "the sample town is made up; try: stratmap run {}",
        inputs.join("config.toml").display()
    ));
    Ok(())
}

/// The sample's config with the connection records commented out (they are
/// not copied), so that `stratmap run inputs/config.toml` works.
fn without_records(config: &str) -> String {
    config
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("records") {
                format!("# {l}   # not copied: connection records hold phone ids\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}
