//! Writes the sample town into a directory (default `fixtures/sample-town`).
//!
//! `cargo run -p stratmap-sample -- [DIR]`

fn main() -> std::process::ExitCode {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fixtures/sample-town".into());
    let files = match stratmap_sample::generate() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    for (name, text) in files {
        let path = std::path::Path::new(&dir).join(name);
        if let Err(e) = stratmap_io::write_atomic(&path, |w| w.write_all(text.as_bytes())) {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(3);
        }
        println!("wrote {}", path.display());
    }
    std::process::ExitCode::SUCCESS
}
