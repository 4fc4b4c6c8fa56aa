//! Running `tandem bench` from the benchmark tests: the built binary, a scenario and its flags, and the
//! figures it wrote.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// What a run printed and wrote.
pub struct Run {
    /// The tables and notes on stdout.
    pub stdout: String,
    /// The JSON's `figures`.
    pub figures: Value,
}

/// Runs `tandem bench <args> --json <dir>/<name>.json`; fails the test when the run fails.
pub fn bench(dir: &Path, name: &str, args: &[&str]) -> Run {
    let json = dir.join(format!("{name}.json"));
    let output = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .arg("bench")
        .args(args)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    Run {
        stdout,
        figures: report["figures"].clone(),
    }
}
