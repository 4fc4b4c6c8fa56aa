//! `tandem bench latency` end to end with short settings: the real binary starts `tandem xdr`,
//! `tandem siem` and `tandem sync` as its children, streams changes both ways, and must report every
//! change arrived exactly once and none bounced.

use std::process::Command;

use serde_json::Value;

#[test]
fn a_short_latency_run_loses_duplicates_and_bounces_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("latency.json");
    let output = Command::new(env!("CARGO_BIN_EXE_tandem"))
        .args(["bench", "latency", "--rate", "3", "--duration", "6"])
        .args(["--poll-interval", "200", "--pool", "30", "--json"])
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let run = &report["figures"][0];
    assert_eq!(run["poll_interval_ms"], 200);
    assert!(run["changes"].as_u64().unwrap() >= 9, "{run}");
    for kind in run["kinds"].as_array().unwrap() {
        for fault in ["lost", "duplicated", "bounced"] {
            assert_eq!(kind[fault], 0, "{fault} in {kind}\n{stdout}");
        }
        assert!(
            kind["latency"]["count"].as_u64().unwrap() > 0,
            "nothing measured for {kind}"
        );
    }
    assert_eq!(run["write_errors"], 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("xdr → siem (all)"), "{stdout}");
    let chart = dir.path().join("latency-histogram-200ms.svg");
    assert!(std::fs::read_to_string(chart).unwrap().starts_with("<svg"));
}
