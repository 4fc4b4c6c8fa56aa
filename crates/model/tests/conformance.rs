//! Conformance: every payload in the reference specs parses into the typed model and writes back as an
//! equal JSON value (modulo the documented canonical spellings, see `canonical`).
//!
//! The specs live outside the repository, in `TANDEM_SPECS_DIR` (default `../shared/specs` from the
//! workspace root). A payload added there later is checked too. Where the folder is absent the test says
//! so and passes without checking anything.

mod support;

use support::specs_dir;

mod conformance {
    pub mod canonical;
    pub mod diff;
    pub mod graph;
    pub mod sentinel;
}

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Every `*.json` file under `dir`, sorted, recursively.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// One payload file checked: how many payloads it held.
type Checked = Result<usize, String>;

/// A checker for one kind of payload file.
type Checker = fn(&Path, Value) -> Checked;

/// Walks one payload folder with the checker for its kind of file.
fn walk(specs: &Path, sub: &str, check: Checker) -> (usize, Vec<String>) {
    let mut payloads = 0;
    let mut failures = Vec::new();
    for path in json_files(&specs.join(sub)) {
        let text = std::fs::read_to_string(&path).expect("read spec file");
        let value: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{}: not JSON: {e}", path.display()));
                continue;
            }
        };
        match check(&path, value) {
            Ok(n) => payloads += n,
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    (payloads, failures)
}

#[test]
fn every_spec_payload_round_trips() {
    let Some(specs) = specs_dir() else {
        eprintln!("specs folder not found (set TANDEM_SPECS_DIR); conformance skipped");
        return;
    };
    let folders: [(&str, Checker); 6] = [
        ("graph/examples", conformance::graph::check_example),
        (
            "samples/graph-incidents",
            conformance::graph::check_incident_sample,
        ),
        (
            "samples/graph-alerts",
            conformance::graph::check_alert_sample,
        ),
        (
            "sentinel/examples",
            conformance::sentinel::check_arm_example,
        ),
        (
            "logs-ingestion",
            conformance::sentinel::check_arm_example_if_example,
        ),
        (
            "logs-query",
            conformance::sentinel::check_arm_example_if_example,
        ),
    ];
    let mut failures = Vec::new();
    for (sub, check) in folders {
        let (n, mut f) = walk(&specs, sub, check);
        eprintln!("{sub}: {n} payloads checked");
        assert!(
            n > 0 || !specs.join(sub).is_dir(),
            "{sub}: no payload was checked"
        );
        failures.append(&mut f);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
