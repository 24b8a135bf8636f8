//! Atomic writes: a file is written to a temporary name in the same directory
//! and renamed into place only when complete, so a failed run never leaves a
//! half-written layer.

use crate::Error;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The temporary files and directories being written now, so that a signal
/// handler can remove them ([`remove_live_temps`]) before the process
/// exits: an interrupted run leaves no `.stratmap-*` behind.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A temporary path on the live list while this guard holds it. Declared
/// before the temporary itself, it is dropped after it: the path leaves the
/// list only once the temporary is gone or renamed into place.
#[derive(Default)]
pub struct LiveTemp(Option<PathBuf>);

impl LiveTemp {
    /// Puts `path` (a file or a directory) on the live list.
    pub fn hold(&mut self, path: &Path) {
        live().push(path.to_path_buf());
        self.0 = Some(path.to_path_buf());
    }

    /// Runs `finish` (the rename into place, the removal of a temporary
    /// directory) with the live list locked, so that a signal handler sees
    /// the temporary either whole and still listed or gone; then takes it
    /// off the list.
    pub fn finish<T>(&mut self, finish: impl FnOnce() -> T) -> T {
        let mut list = live();
        let out = finish();
        if let Some(p) = self.0.take() {
            list.retain(|q| *q != p);
        }
        out
    }
}

impl Drop for LiveTemp {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            live().retain(|q| *q != p);
        }
    }
}

/// Removes every temporary on the live list (files and directories) and
/// keeps the list locked, so that no write renames a temporary into place
/// afterwards: for a signal handler that then exits the process.
pub fn remove_live_temps() -> MutexGuard<'static, Vec<PathBuf>> {
    let mut list = live();
    remove_all(&mut list);
    list
}

fn remove_all(list: &mut Vec<PathBuf>) {
    for p in list.drain(..) {
        if p.is_dir() {
            let _ = std::fs::remove_dir_all(&p);
        } else {
            let _ = std::fs::remove_file(&p);
        }
    }
}

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
    let mut file = AtomicFile::create(path)?;
    write(&mut file)?;
    file.commit()
}

/// A file written under a temporary name (`.stratmap-…`) in the directory
/// of its path and renamed into place by [`AtomicFile::commit`], for a
/// writer that streams: dropped before it is committed, or removed by a
/// signal ([`remove_live_temps`]), it leaves nothing behind.
///
/// ```
/// use std::io::Write;
/// use stratmap_io::AtomicFile;
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("cells.csv");
/// let mut file = AtomicFile::create(&path).unwrap();
/// file.write_all(b"cell_id\n").unwrap();
/// assert!(!path.exists()); // not until it is whole
/// file.commit().unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"cell_id\n");
/// ```
pub struct AtomicFile {
    // Fields drop in this order: the temporary (removing it when not
    // committed), then its place on the live list.
    out: BufWriter<tempfile::NamedTempFile>,
    path: PathBuf,
    held: LiveTemp,
}

impl AtomicFile {
    /// Opens a temporary beside `path` (whose directory is created when
    /// missing), listed for removal on a signal.
    pub fn create(path: &Path) -> Result<Self, Error> {
        let dir = parent_dir(path)?;
        let mut held = LiveTemp::default();
        let mut builder = tempfile::Builder::new();
        builder.prefix(".stratmap-");
        // tempfile makes files readable by the owner only; a layer is for sharing.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        let tmp = builder.tempfile_in(dir).map_err(|e| Error::io(path, e))?;
        held.hold(tmp.path());
        Ok(AtomicFile {
            out: BufWriter::new(tmp),
            path: path.to_path_buf(),
            held,
        })
    }

    /// The path the file will have once committed, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the file to disk and renames it into place.
    pub fn commit(self) -> Result<(), Error> {
        let AtomicFile {
            out,
            path,
            mut held,
        } = self;
        let tmp = out
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?;
        tmp.as_file().sync_all().map_err(|e| Error::io(&path, e))?;
        held.finish(|| tmp.persist(&path))
            .map_err(|e| Error::io(&path, e.error))?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// A file built by a library that writes files of its own beside it (GDAL,
/// SQLite: journals, `.aux.xml`) under a temporary directory beside its
/// path (listed while it lives, so that SIGINT or SIGTERM removes it),
/// renamed into place by [`Beside::persist`]; dropped before, it leaves
/// nothing.
#[cfg_attr(not(any(feature = "gdal", feature = "tiles")), allow(dead_code))]
pub(crate) struct Beside {
    // Fields drop in this order: the directory, then its place on the list.
    pub(crate) tmp: tempfile::TempDir,
    /// The file the library writes, in `tmp`.
    pub(crate) file: PathBuf,
    /// Where it goes.
    pub(crate) path: PathBuf,
    held: LiveTemp,
}

#[cfg_attr(not(any(feature = "gdal", feature = "tiles")), allow(dead_code))]
impl Beside {
    /// A temporary directory beside `path` (its directory created when
    /// missing) to build it in.
    pub(crate) fn new(path: &Path) -> Result<Self, Error> {
        let dir = parent_dir(path)?;
        let mut held = LiveTemp::default();
        let tmp = tempfile::Builder::new()
            .prefix(".stratmap-")
            .tempdir_in(dir)
            .map_err(|e| Error::io(path, e))?;
        held.hold(tmp.path());
        let file = tmp
            .path()
            .join(path.file_name().unwrap_or(std::ffi::OsStr::new("out")));
        Ok(Beside {
            tmp,
            file,
            path: path.to_path_buf(),
            held,
        })
    }

    /// Renames the file into place (the library must have closed it).
    pub(crate) fn persist(self) -> Result<(), Error> {
        let Beside {
            tmp,
            file,
            path,
            mut held,
        } = self;
        held.finish(|| {
            // what GDAL keeps beside a file (a raster attribute table goes
            // into `x.tif.aux.xml`) goes beside it too
            let aux = |p: &Path| {
                let mut name = p.as_os_str().to_owned();
                name.push(".aux.xml");
                PathBuf::from(name)
            };
            if aux(&file).exists() {
                std::fs::rename(aux(&file), aux(&path))?;
            }
            let renamed = std::fs::rename(&file, &path);
            // the directory goes with the rename, under the same lock
            let _ = tmp.close();
            renamed
        })
        .map_err(|e| Error::io(&path, e))
    }
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
    fn temporaries_are_listed_while_written_and_removable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer.csv");
        write_atomic(&path, |w| {
            let listed: Vec<PathBuf> = live()
                .iter()
                .filter(|p| p.starts_with(dir.path()))
                .cloned()
                .collect();
            assert_eq!(listed.len(), 1);
            assert!(listed[0].exists());
            let name = listed[0]
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            assert!(name.starts_with(".stratmap-"), "{name}");
            w.write_all(b"a,b\n")
        })
        .unwrap();
        assert!(!live().iter().any(|p| p.starts_with(dir.path())));
        // what a signal handler removes: listed files and directories
        let (file, sub) = (
            dir.path().join(".stratmap-x"),
            dir.path().join(".stratmap-d"),
        );
        std::fs::write(&file, b"part").unwrap();
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("out.gpkg-journal"), b"j").unwrap();
        let mut list = vec![file.clone(), sub.clone()];
        remove_all(&mut list);
        assert!(list.is_empty() && !file.exists() && !sub.exists());
        assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n");
    }

    #[test]
    fn an_uncommitted_file_is_removed_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer.geojson");
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"{\"type\":").unwrap();
        assert_eq!(
            live().iter().filter(|p| p.starts_with(dir.path())).count(),
            1
        );
        drop(file);
        assert!(!live().iter().any(|p| p.starts_with(dir.path())));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
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
