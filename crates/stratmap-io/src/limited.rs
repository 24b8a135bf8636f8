//! Reading text inputs with limits, so that a wrong file (`/dev/zero`, a
//! binary, a stream without line breaks) is refused as soon as it is seen,
//! naming the file and the line, instead of being read into memory until it
//! runs out.
//!
//! A CSV input's line is at most [`MAX_LINE_BYTES`] (1 MiB: no grid, tower,
//! event or answer row is that long), a config file at most
//! [`MAX_CONFIG_BYTES`] (4 MiB), and no text input holds a NUL byte.
//!
//! ```
//! use std::io::Read;
//! use stratmap_io::{problem_of, CheckedText, TextLimits};
//!
//! let mut text = CheckedText::new("grid.csv", &b"cell_id\n\0"[..], TextLimits::CSV);
//! let err = text.read_to_end(&mut Vec::new()).unwrap_err();
//! let p = problem_of(&err).unwrap();
//! assert_eq!(
//!     p.to_string(),
//!     "grid.csv, line 2: a NUL byte at column 1: expected UTF-8 text (is the file binary, or UTF-16?)"
//! );
//! ```

use crate::{Error, Problem};
use std::fmt;
use std::io::{self, Read};
use std::path::Path;

/// The longest line of a CSV input: 1 MiB.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The largest config file: 4 MiB (a real one is a few kB).
pub const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// What a text input may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimits {
    /// The longest line in bytes, when lines are bounded.
    pub max_line: Option<usize>,
    /// The largest file in bytes, when it is bounded.
    pub max_file: Option<u64>,
    /// What the file is expected to be, for messages ("a CSV row").
    pub what: &'static str,
}

impl TextLimits {
    /// A CSV input: lines of at most [`MAX_LINE_BYTES`].
    pub const CSV: TextLimits = TextLimits {
        max_line: Some(MAX_LINE_BYTES),
        max_file: None,
        what: "a CSV row",
    };
    /// A TOML config: at most [`MAX_CONFIG_BYTES`], lines of at most
    /// [`MAX_LINE_BYTES`].
    pub const CONFIG: TextLimits = TextLimits {
        max_line: Some(MAX_LINE_BYTES),
        max_file: Some(MAX_CONFIG_BYTES),
        what: "a TOML config of a few kB",
    };
    /// GeoJSON: any length of line (a whole file may be one line), but text.
    pub const GEOJSON: TextLimits = TextLimits {
        max_line: None,
        max_file: None,
        what: "GeoJSON text",
    };
}

/// A refusal of [`CheckedText`], carried inside an [`io::Error`] of kind
/// `InvalidData`; [`problem_of`] takes it out.
#[derive(Debug)]
struct Refused(Problem);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Refused {}

/// The problem a [`CheckedText`] refused its input with, if `e` is one.
pub fn problem_of(e: &io::Error) -> Option<Problem> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<Refused>())
        .map(|r| r.0.clone())
}

/// A reader of a text input that fails as soon as it reads a NUL byte, a
/// line longer than the limit or more bytes than the file limit: it never
/// reads far past what it refuses. The error is an [`io::Error`] whose
/// [`problem_of`] names the file and the line.
pub struct CheckedText<R> {
    inner: R,
    name: String,
    limits: TextLimits,
    /// 1-based number of the line being read.
    line: u64,
    /// Bytes of the current line read so far.
    line_len: usize,
    total: u64,
}

impl<R: Read> CheckedText<R> {
    /// Reads `inner` within `limits`; `name` is the file as problems call it.
    pub fn new(name: &str, inner: R, limits: TextLimits) -> Self {
        CheckedText {
            inner,
            name: name.to_string(),
            limits,
            line: 1,
            line_len: 0,
            total: 0,
        }
    }

    fn refuse(&self, line: Option<u64>, message: String) -> io::Error {
        let mut p = Problem::file(&self.name, message);
        p.line = line;
        io::Error::new(io::ErrorKind::InvalidData, Refused(p))
    }

    fn check(&mut self, chunk: &[u8]) -> io::Result<()> {
        if self.total == 0 && (chunk.starts_with(&[0xFF, 0xFE]) || chunk.starts_with(&[0xFE, 0xFF]))
        {
            return Err(self.refuse(
                Some(1),
                "the file is UTF-16 text: expected UTF-8 (save it as UTF-8)".into(),
            ));
        }
        if let Some(at) = memchr::memchr(0, chunk) {
            let before = &chunk[..at];
            let newlines = memchr::memchr_iter(b'\n', before).count();
            let column = match memchr::memrchr(b'\n', before) {
                Some(nl) => at - nl,
                None => self.line_len + at + 1,
            };
            return Err(self.refuse(
                Some(self.line + newlines as u64),
                format!(
                    "a NUL byte at column {column}: expected UTF-8 text (is the file binary, or UTF-16?)"
                ),
            ));
        }
        self.total += chunk.len() as u64;
        if let Some(max) = self.limits.max_file {
            if self.total > max {
                return Err(self.refuse(
                    None,
                    format!(
                        "the file is larger than {}: expected {}",
                        bytes(max),
                        self.limits.what
                    ),
                ));
            }
        }
        let Some(max) = self.limits.max_line else {
            return Ok(());
        };
        let mut start = 0;
        for i in memchr::memchr_iter(b'\n', chunk) {
            self.line_len += i - start;
            if self.line_len > max {
                break;
            }
            self.line += 1;
            self.line_len = 0;
            start = i + 1;
        }
        if self.line_len <= max {
            self.line_len += chunk.len() - start;
        }
        if self.line_len > max {
            return Err(self.refuse(
                Some(self.line),
                format!(
                    "the line is longer than {}: expected {}",
                    bytes(max as u64),
                    self.limits.what
                ),
            ));
        }
        Ok(())
    }
}

/// A size in bytes for messages: `1 MiB (1048576 bytes)`.
fn bytes(n: u64) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB ({n} bytes)", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

impl<R: Read> Read for CheckedText<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.check(&buf[..n])?;
        Ok(n)
    }
}

/// Reads a whole text file through [`CheckedText`]: a file that is not
/// there is an I/O error (exit 3, "no such file"), one that breaks the
/// limits a problem naming the file and line (exit 1). `name` is the file
/// as messages call it.
pub fn read_text_file(path: &Path, name: &str, limits: TextLimits) -> Result<Vec<u8>, Error> {
    if crate::is_stdio(path) {
        // `-`: standard input, within the same limits
        let mut out = Vec::new();
        CheckedText::new("stdin", std::io::stdin().lock(), limits)
            .read_to_end(&mut out)
            .map_err(|e| match problem_of(&e) {
                Some(p) => Error::from(p),
                None => Error::io(path, e),
            })?;
        return Ok(out);
    }
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    if let Ok(m) = file.metadata() {
        if m.is_file() {
            let len = m.len();
            out.reserve(limits.max_file.map_or(len, |max| len.min(max)) as usize);
        }
    }
    CheckedText::new(name, file, limits)
        .read_to_end(&mut out)
        .map_err(|e| match problem_of(&e) {
            Some(p) => Error::from(p),
            None => Error::io(path, e),
        })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(input: &[u8], limits: TextLimits) -> String {
        // read through a reader that hands out 7 bytes at a time, so limits
        // are checked across reads
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(7).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut r = CheckedText::new("f.csv", Trickle(input), limits);
        let e = r.read_to_end(&mut Vec::new()).unwrap_err();
        problem_of(&e).unwrap().to_string()
    }

    #[test]
    fn nul_bytes_long_lines_and_big_files_are_refused_where_they_are() {
        assert_eq!(
            refused(b"a,b\nc,d\nef\0g\n", TextLimits::CSV),
            "f.csv, line 3: a NUL byte at column 3: expected UTF-8 text (is the file binary, or UTF-16?)"
        );
        let small = TextLimits {
            max_line: Some(10),
            ..TextLimits::CSV
        };
        assert_eq!(
            refused(b"0123456789\n01234567890123\n", small),
            "f.csv, line 2: the line is longer than 10 bytes: expected a CSV row"
        );
        assert_eq!(
            refused(b"0123456789\n0123456789\n0123456789\n0123456789012", small),
            "f.csv, line 4: the line is longer than 10 bytes: expected a CSV row"
        );
        let config = TextLimits {
            max_file: Some(20),
            ..TextLimits::CONFIG
        };
        assert_eq!(
            refused(b"a = 1\nb = 2\nc = 3\nd = 4\n", config),
            "f.csv: the file is larger than 20 bytes: expected a TOML config of a few kB"
        );
        assert_eq!(
            refused(b"\xFF\xFEa\0,\0", TextLimits::CSV),
            "f.csv, line 1: the file is UTF-16 text: expected UTF-8 (save it as UTF-8)"
        );
    }

    #[test]
    fn text_within_the_limits_passes_whole() {
        let small = TextLimits {
            max_line: Some(10),
            ..TextLimits::CSV
        };
        let text = b"0123456789\n012345678\r\n\n\xEF\xBB\xBFabc";
        let mut out = Vec::new();
        CheckedText::new("f.csv", &text[..], small)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, text);
        // GeoJSON: one long line is fine
        let long = vec![b' '; 3 * MAX_LINE_BYTES];
        let mut out = Vec::new();
        CheckedText::new("a.geojson", &long[..], TextLimits::GEOJSON)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out.len(), long.len());
    }

    #[test]
    fn dev_zero_is_refused_at_once() {
        if !Path::new("/dev/zero").exists() {
            return;
        }
        for limits in [TextLimits::CSV, TextLimits::CONFIG, TextLimits::GEOJSON] {
            let e = read_text_file(Path::new("/dev/zero"), "/dev/zero", limits).unwrap_err();
            assert_eq!(e.exit_code(), 1);
            assert_eq!(
                e.to_string(),
                "/dev/zero, line 1: a NUL byte at column 1: expected UTF-8 text (is the file binary, or UTF-16?)"
            );
        }
        let e = read_text_file(Path::new("/no/such/file.csv"), "x", TextLimits::CSV).unwrap_err();
        assert_eq!(e.exit_code(), 3);
    }
}
