//! Atomic writes: a file is written to a temporary name in the same directory
//! and renamed into place only when complete, so a failed run never leaves a
//! half-written layer.

use crate::Error;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes `path` atomically with the bytes `write` produces. The parent
/// directory is created when missing.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    try_write_atomic(path, |w| write(w).map_err(|e| Error::io(path, e)))
}

/// [`write_atomic`] for a writer that can fail with any [`Error`], such as
/// one that transforms coordinates as it writes.
pub fn try_write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<(), Error>,
) -> Result<(), Error> {
    let dir = parent_dir(path)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".stratmap-");
    // tempfile makes files readable by the owner only; a layer is for sharing.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let tmp = builder.tempfile_in(dir).map_err(|e| Error::io(path, e))?;
    let mut out = BufWriter::new(tmp);
    write(&mut out)?;
    let tmp = out
        .into_inner()
        .map_err(|e| Error::io(path, e.into_error()))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// The directory `path` will be written in, created when missing.
pub fn parent_dir(path: &Path) -> Result<&Path, Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer.geojson");
        let err = write_atomic(&path, |w: &mut dyn Write| {
            w.write_all(b"{\"type\":")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(err.is_err());
        assert!(!path.exists());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "temp file left behind"
        );
    }

    #[test]
    fn replaces_existing_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.csv");
        write_atomic(&path, |w| w.write_all(b"old")).unwrap();
        write_atomic(&path, |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }
}
