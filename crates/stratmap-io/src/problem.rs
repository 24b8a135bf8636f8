//! Errors: problems in input files (each naming file, line and column) and
//! failures to read or write files.

use std::fmt;
use std::path::PathBuf;

/// One problem found in an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line number in the file (the header is line 1).
    pub line: Option<u64>,
    /// 1-based column number and the column's header name.
    pub column: Option<(usize, String)>,
    /// What was wrong and what was expected.
    pub message: String,
}

impl Problem {
    /// A problem with `file` (as the user named it), at no line or column yet.
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        Problem {
            file: file.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// The problem at 1-based line `line`.
    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    /// The problem at 1-based column `number`, whose header is `name`.
    pub fn at_column(mut self, number: usize, name: &str) -> Self {
        self.column = Some((number, name.to_string()));
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some((n, name)) = &self.column {
            write!(f, ", column {n} ({name})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is wrong: the user can fix the file (exit code 1).
    #[error("{}", list(.0))]
    Input(Vec<Problem>),
    /// A file could not be read or written (exit code 3).
    #[error("{}: {}", .path.display(), io_message(.source))]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A setting of a config file is out of range or unknown: a usage
    /// error (exit code 2) naming the file and the key.
    #[error("{0}")]
    Setting(Problem),
    /// A coordinate system could not be set up or a transformation failed.
    #[error("coordinate transformation: {0}")]
    Crs(String),
    /// The footprint's phone-days passed the memory budget of the records'
    /// reading (`RecordContext::memory`) after this many bytes of the input
    /// (estimated from the rows read, for Parquet): the caller reads the
    /// records again a share of the phones at a time.
    #[error("the phone-days passed the memory budget after {read} bytes of the records: expected them read again a share of the phones at a time")]
    OverBudget {
        /// Bytes of the input read.
        read: u64,
    },
    /// GDAL failed while writing a GeoPackage or GeoTIFF (exit code 3).
    #[error("{}: GDAL: {message}", .path.display())]
    Gdal {
        /// The file being written.
        path: PathBuf,
        /// GDAL's message.
        message: String,
    },
}

impl Error {
    /// An [`Error::Io`] on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The process exit code of SPEC §6: 1 bad input, 2 usage (a config
    /// setting), 3 I/O.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Crs(_) => 1,
            Error::Setting(_) => 2,
            Error::Io { .. } | Error::Gdal { .. } | Error::OverBudget { .. } => 3,
        }
    }
}

impl From<Problem> for Error {
    fn from(p: Problem) -> Self {
        Error::Input(vec![p])
    }
}

/// What went wrong reading or writing a file: "no such file or directory"
/// rather than the system's "No such file or directory (os error 2)".
fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        _ => e.to_string(),
    }
}

/// How many problems an error message lists before it sums up the rest.
pub const SHOWN_PROBLEMS: usize = 20;

fn list(problems: &[Problem]) -> String {
    let mut s: Vec<String> = problems
        .iter()
        .take(SHOWN_PROBLEMS)
        .map(Problem::to_string)
        .collect();
    if problems.len() > SHOWN_PROBLEMS {
        s.push(format!(
            "… and {} more problems (stratmap validate lists them all)",
            problems.len() - SHOWN_PROBLEMS
        ));
    }
    s.join("\n")
}
