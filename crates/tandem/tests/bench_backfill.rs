//! `tandem bench backfill` end to end at a small size: the floor, the connector and the do-it-yourself
//! script must each account for every incident and alert they were given.

#![cfg(test)]

mod bench_support;

use bench_support::bench;

#[test]
fn a_small_backfill_is_complete_on_every_contender() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["backfill", "--incidents", "30", "--diy-incidents", "10"];
    let run = bench(dir.path(), "backfill", &args);
    assert!(
        run.stdout.contains("DIY script (extrapolated from 10)"),
        "{}",
        run.stdout
    );
    let f = run.figures;
    assert_eq!(f["floor"]["incidents"], 30, "{f}");
    assert_eq!(f["floor_alerts"], 90, "{f}");
    assert_eq!(f["tandem"]["finished"], true, "{f}");
    assert_eq!(f["tandem"]["incidents"], 30, "{f}");
    assert_eq!(f["diy"]["incidents"], 10, "{f}");
    assert_eq!(f["diy"]["extrapolated"], true, "{f}");
    let relations = &f["connector_load"]["siem PUT /subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.OperationalInsights/workspaces/{workspace}/providers/Microsoft.SecurityInsights/incidents/{incident}/relations/{child}"];
    assert_eq!(relations["requests"], 90, "one relation per alert: {f}");
    assert!(dir.path().join("backfill-progress.svg").exists());
}
