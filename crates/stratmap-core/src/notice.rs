//! What a job tells its user besides its result: warnings (something in the
//! input may make the result not what was meant, and `summary.json` lists
//! them) and notes (how the input was read). Typed, so that a program does
//! not have to recognise them by a text prefix.
//!
//! ```
//! use stratmap_core::{Level, Notice};
//!
//! let w = Notice::warning("20 events outside the study grid, not counted");
//! assert_eq!(w.level, Level::Warning);
//! assert_eq!(w.to_string(), "warning: 20 events outside the study grid, not counted");
//! assert_eq!(Notice::note("read as Unix milliseconds").to_string(), "note: read as Unix milliseconds");
//! ```

/// How much a notice matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// How the input was read, what was chosen.
    Note,
    /// Something that may make the result not what was meant.
    Warning,
}

/// One warning or note, as a sentence without its level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Whether it is a warning or a note.
    pub level: Level,
    /// The sentence, without the `warning: ` or `note: ` it is shown with.
    pub text: String,
}

impl Notice {
    /// A warning.
    pub fn warning(text: impl Into<String>) -> Self {
        Notice {
            level: Level::Warning,
            text: text.into(),
        }
    }

    /// A note.
    pub fn note(text: impl Into<String>) -> Self {
        Notice {
            level: Level::Note,
            text: text.into(),
        }
    }
}

impl std::fmt::Display for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.level {
            Level::Note => write!(f, "note: {}", self.text),
            Level::Warning => write!(f, "warning: {}", self.text),
        }
    }
}
