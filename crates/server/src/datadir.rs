//! The data dir: where a server keeps its identity, its `credentials.env` and its store.
//!
//! Files that other processes read (`identity.json`, `credentials.env`) are replaced atomically (write
//! to a temporary file, then rename), and read-modify-write cycles in one process are serialised, so an
//! XDR and a SIEM started together over one data dir never see a half-written file.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::error::ServerError;

/// Serialises read-modify-write cycles on data-dir files within this process.
static FILE_LOCK: Mutex<()> = Mutex::new(());

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

    /// Holds off other read-modify-write cycles in this process until the guard drops.
    pub fn lock(&self) -> MutexGuard<'static, ()> {
        FILE_LOCK.lock().unwrap_or_else(|e| e.into_inner())
    }
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
}
