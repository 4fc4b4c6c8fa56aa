//! `tandem bench latency` end to end with short settings: the real binary starts `tandem xdr`,
//! `tandem siem` and `tandem sync` as its children, streams changes both ways, and must report every
//! change arrived exactly once and none bounced.

#![cfg(test)]

mod bench_support;

use bench_support::bench;

#[test]
fn a_short_latency_run_loses_duplicates_and_bounces_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "latency",
        "--rate",
        "3",
        "--duration",
        "6",
        "--poll-interval",
        "200",
        "--pool",
        "30",
    ];
    let run = bench(dir.path(), "latency", &args);
    let figures = &run.figures[0];
    assert_eq!(figures["poll_interval_ms"], 200);
    assert!(figures["changes"].as_u64().unwrap() >= 9, "{figures}");
    for kind in figures["kinds"].as_array().unwrap() {
        for fault in ["lost", "duplicated", "bounced"] {
            assert_eq!(kind[fault], 0, "{fault} in {kind}\n{}", run.stdout);
        }
        assert!(
            kind["latency"]["count"].as_u64().unwrap() > 0,
            "nothing measured for {kind}"
        );
    }
    assert_eq!(figures["write_errors"], 0, "{}", run.stdout);
    assert!(run.stdout.contains("xdr → siem (all)"), "{}", run.stdout);
    let chart = dir.path().join("latency-histogram-200ms.svg");
    assert!(std::fs::read_to_string(chart).unwrap().starts_with("<svg"));
}
