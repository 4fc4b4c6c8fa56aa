//! Helpers shared by the model's integration tests.

use std::path::{Path, PathBuf};

/// The reference specs folder (`TANDEM_SPECS_DIR`, default `../shared/specs` beside the workspace), if
/// it exists.
pub fn specs_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TANDEM_SPECS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/specs"),
        PathBuf::from,
    );
    dir.is_dir().then_some(dir)
}
