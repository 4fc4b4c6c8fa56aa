//! The data dir: where a server keeps its identity, its `credentials.env` and its store.
//!
//! Files that other processes read (`identity.json`, `credentials.env`) are replaced atomically (write
//! to a temporary file, then rename), and read-modify-write cycles hold an exclusive lock on `DIR/.lock`,
//! so an XDR and a SIEM started together over one data dir, in one process or two, neither see a
//! half-written file nor lose each other's keys.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::ServerError;

/// The lock file inside the data dir.
const LOCK_FILE: &str = ".lock";

/// An opened (existing, created if needed) data dir.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Opens `root`, creating it and its parents when missing.
    pub fn open(root: impl Into<PathBuf>) -> Result<DataDir, ServerError> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|e| ServerError::io(&root, e))?;
        Ok(DataDir { root })
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of `name` inside the data dir.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Reads `name`, or `None` when it does not exist.
    pub fn read(&self, name: &str) -> Result<Option<String>, ServerError> {
        let path = self.path(name);
        match fs::read_to_string(&path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ServerError::io(&path, e)),
        }
    }

    /// Replaces `name` with `contents` atomically; the file is readable by its owner only, since data-dir
    /// files hold secrets.
    pub fn write_atomic(&self, name: &str, contents: &[u8]) -> Result<(), ServerError> {
        let path = self.path(name);
        let temp = self.path(&format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let written = write_private(&temp, contents).and_then(|()| fs::rename(&temp, &path));
        written.map_err(|e| {
            let _ = fs::remove_file(&temp);
            ServerError::io(&path, e)
        })
    }

    /// Waits for, then holds, the data dir's exclusive lock until the guard drops. Other holders may be
    /// in this process or another one.
    pub fn lock(&self) -> Result<DirLock, ServerError> {
        let path = self.path(LOCK_FILE);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| ServerError::io(&path, e))?;
        file.lock().map_err(|e| ServerError::io(&path, e))?;
        Ok(DirLock { _file: file })
    }
}

/// The data dir's exclusive lock; released when dropped (closing the file releases it).
#[derive(Debug)]
pub struct DirLock {
    _file: fs::File,
}

fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(temp.path().join("a/b")).unwrap();
        assert_eq!(dir.read("x.txt").unwrap(), None);
        dir.write_atomic("x.txt", b"one").unwrap();
        dir.write_atomic("x.txt", b"two").unwrap();
        assert_eq!(dir.read("x.txt").unwrap().as_deref(), Some("two"));
        let names: Vec<_> = fs::read_dir(dir.root()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn lock_is_exclusive_until_dropped() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(temp.path()).unwrap();
        let held = dir.lock().unwrap();
        let probe = fs::OpenOptions::new()
            .write(true)
            .open(dir.path(LOCK_FILE))
            .unwrap();
        assert!(matches!(
            probe.try_lock(),
            Err(fs::TryLockError::WouldBlock)
        ));
        drop(held);
        assert!(probe.try_lock().is_ok());
    }
}
