#![cfg(test)]
//! The corpus of published queries (`tests/corpus/queries/`): how many parse, and why the others
//! do not. Run with `--nocapture` to see the figures.

use std::collections::BTreeMap;
use std::path::Path;

use tandem_kql::parse;

/// The share of the corpus that must parse.
const REQUIRED_SHARE: f64 = 0.95;

#[test]
fn the_corpus_parses() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/queries");
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "kql"))
        .collect();
    files.sort();
    let mut failures: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        if let Err(error) = parse(&text) {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let reason = error.to_string();
            let reason = reason
                .split(" at offset")
                .next()
                .unwrap_or(&reason)
                .to_owned();
            failures
                .entry(reason)
                .or_default()
                .push(format!("{name}: {error}"));
        }
    }
    let failed: usize = failures.values().map(Vec::len).sum();
    let parsed = files.len() - failed;
    println!("corpus: {parsed} of {} queries parse", files.len());
    for (reason, names) in &failures {
        println!("  {} × {reason}", names.len());
        for name in names {
            println!("      {name}");
        }
    }
    assert!(
        files.len() >= 150,
        "the corpus holds {} queries",
        files.len()
    );
    let share = parsed as f64 / files.len() as f64;
    assert!(
        share >= REQUIRED_SHARE,
        "only {parsed} of {} parse",
        files.len()
    );
}
