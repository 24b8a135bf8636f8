//! The terminal: progress on stderr (a spinner, only on a terminal),
//! notices on stderr unless `--quiet`, results on stdout, where a closed
//! pipe (`stratmap validate … | head`) ends the program quietly with exit 0,
//! as ripgrep does.

use stratmap_jobs::Sink;

/// Progress, notices and results on the terminal.
pub struct Terminal {
    quiet: bool,
    /// Result lines go to stderr: the data itself goes to stdout (`--out -`).
    results_to_stderr: bool,
    spinner: Option<indicatif::ProgressBar>,
}

impl Terminal {
    /// A terminal sink; with `results_to_stderr` the result lines go to
    /// stderr too (the data is on stdout).
    pub fn new(quiet: bool, results_to_stderr: bool) -> Self {
        let spinner = (!quiet).then(|| {
            let pb = indicatif::ProgressBar::new_spinner();
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            {
                pb.set_style(style);
            }
            pb.enable_steady_tick(std::time::Duration::from_millis(120));
            pb
        });
        Terminal {
            quiet,
            results_to_stderr,
            spinner,
        }
    }
}

impl Sink for Terminal {
    fn stage(&self, msg: &str) {
        if let Some(pb) = &self.spinner {
            pb.set_message(msg.to_string());
        }
    }

    fn message(&self, line: &str) {
        if self.quiet {
            return;
        }
        match &self.spinner {
            Some(pb) => pb.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn result(&self, line: &str) {
        if self.results_to_stderr {
            self.message(line);
        } else {
            say_line(line);
        }
    }

    fn finish(&self) {
        if let Some(pb) = &self.spinner {
            pb.finish_and_clear();
        }
    }
}

/// Writes one line on stdout: a broken pipe ends the program with exit 0;
/// any other failure to write is reported and is exit 3.
pub fn say_line(line: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: standard output: {e}");
        std::process::exit(3);
    }
}
