//! `tandem bench footprint` end to end at small sizes: both store sizes are reported with the
//! connector's memory and the servers' idle request counts.

#![cfg(test)]

mod bench_support;

use bench_support::bench;

#[test]
fn footprint_reports_both_store_sizes_and_idle_polling() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "footprint",
        "--pairs",
        "3000",
        "--compare-pairs",
        "300",
        "--idle-secs",
        "3",
        "--active-incidents",
        "3",
        "--poll-interval",
        "500",
    ];
    let run = bench(dir.path(), "footprint", &args);
    assert!(run.stdout.contains("Connector footprint"), "{}", run.stdout);
    let f = run.figures;
    let sizes: Vec<u64> = f
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pairs"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, [300, 3000]);
    for size in f.as_array().unwrap() {
        assert!(
            size["connector"]["peak_rss_mib"].as_f64().unwrap() > 0.0,
            "{size}"
        );
        assert!(size["store_mib"].as_f64().unwrap() > 0.0, "{size}");
        // The connector polls both sides while idle, so the servers count its requests.
        assert!(
            size["idle_xdr_requests_per_min"].as_f64().unwrap() > 0.0,
            "{size}"
        );
        assert!(
            size["idle_siem_requests_per_min"].as_f64().unwrap() > 0.0,
            "{size}"
        );
    }
    assert!(dir.path().join("footprint-footprint.svg").exists());
}
