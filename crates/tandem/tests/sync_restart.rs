//! Crash safety, proven with real processes: a real `tandem xdr` and `tandem siem`, and `tandem sync
//! --once` runs that abort themselves (`TANDEM_SYNC_CRASH_AT`, as `kill -9` would stop them) right after
//! one step of the cycle: after reading a pair, after committing its plan and base, after each write,
//! after marking a write done, after sending table rows, after advancing a watermark.
//!
//! For each step and each n = 1, 2, … until no run gets that far, a fresh stack is synced twice, each
//! time by a connector that crashes at the n-th pass of the step and is then restarted on the store the
//! crash left: so the connector is stopped once at every pass of every step. The two syncs are the
//! first sync of the multi-stage scenario and an independent incident, then analysts' changes on both
//! sides (a SIEM comment and assignment on one incident, an XDR comment and status change on another). Clean runs then must
//! converge to a quiet cycle with exactly one SIEM incident per XDR incident holding all its alerts and
//! a `SecurityIncident` row of its current version,
//! every comment exactly once on each side (the XDR comment is a non-idempotent POST), and every change
//! made before the crashes arrived.

mod sync_support;

use std::os::unix::process::ExitStatusExt;

use sync_support::{AnalystWork, ConnectorRuns, Stack};
use tandem_model::Field;
use tandem_model::graph::{self, IncidentUpdate};
use tandem_sync::engine::Step;

/// More passes than any step has in these scenarios.
const MAX_PASSES: u32 = 40;
/// The signal `std::process::abort` ends a process with.
const SIGABRT: i32 = 6;

/// One `--once` run that crashes at the n-th pass of `step`, if it gets that far; returns whether it
/// crashed.
fn crash_at(runs: &ConnectorRuns, step: Step, n: u32) -> bool {
    let (status, _) = runs.once(Some(&format!("{}:{n}", step.name())));
    if status.success() {
        return false;
    }
    assert_eq!(
        status.signal(),
        Some(SIGABRT),
        "a run failed without crashing: {}",
        runs.log_tail()
    );
    true
}

/// For n = 1, 2, …, on a fresh stack each time, crashes at the n-th pass of `step` and restarts, until
/// no run reaches an n-th pass.
async fn crash_and_restart_after(step: Step) {
    for n in 1..=MAX_PASSES {
        let crashes = crash_at_pass_and_restart(step, n).await;
        eprintln!("{}:{n}: {crashes} crash(es)", step.name());
        if crashes == 0 {
            assert!(n > 1, "no run passed {}", step.name());
            return;
        }
    }
    panic!("{} has more than {MAX_PASSES} passes", step.name());
}

/// The first sync and the sync of analysts' changes, each run by a connector that crashes at the n-th
/// pass of `step` and is then restarted without a crash point; returns how many runs crashed.
async fn crash_at_pass_and_restart(step: Step, n: u32) -> usize {
    let stack = Stack::start().await;
    // A second incident, apart from the multi-stage one, for changes made in the XDR alone.
    stack
        .post_alerts(&tandem_scenario::load(chrono::Utc::now(), 1, 2))
        .await;
    // A write that fails is tried again soon, so that clean runs converge quickly.
    let runs = ConnectorRuns::new(&stack.sync_config(), "write_retry_initial_ms = 20");

    // The first sync.
    let mut crashes = usize::from(crash_at(&runs, step, n));
    runs.until_quiet();
    stack.assert_one_twin_per_incident_with_its_alerts().await;

    // Analysts' changes on both sides, synced through crashes at every pass of the step.
    let incidents = stack.xdr_incidents().await;
    let mut open = incidents
        .iter()
        .filter(|i| i.status.get() != Some(&graph::IncidentStatus::Redirected))
        .map(|i| i.id.clone());
    let in_siem = open.next().expect("an incident that was not merged");
    let in_xdr = open.next().expect("a second incident");
    let AnalystWork {
        siem_note,
        xdr_note,
        owner,
    } = stack.analysts_work(&in_siem, &in_xdr, &runs.log).await;
    let update = IncidentUpdate {
        status: Field::Value(graph::IncidentStatus::InProgress),
        ..IncidentUpdate::default()
    };
    let url = format!("{}/{in_xdr}", stack.incidents_url);
    let _: graph::Incident = stack
        .graph
        .patch_json(&url, &update, None)
        .await
        .expect("the XDR status change");
    crashes += usize::from(crash_at(&runs, step, n));
    runs.until_quiet();

    stack.assert_one_twin_per_incident_with_its_alerts().await;
    for (side, count) in [
        ("SIEM", stack.twin_comment_count(&in_siem, &siem_note).await),
        ("XDR", stack.xdr_comment_count(&in_siem, &siem_note).await),
        ("SIEM", stack.twin_comment_count(&in_xdr, &xdr_note).await),
        ("XDR", stack.xdr_comment_count(&in_xdr, &xdr_note).await),
    ] {
        assert_eq!(
            count,
            1,
            "a comment shows {count} times in the {side} after {}:{n}: {}",
            step.name(),
            runs.log_tail()
        );
    }
    let assigned = stack.xdr_incident(&in_siem).await;
    assert_eq!(assigned.assigned_to.get().map(String::as_str), Some(owner));
    let twin = stack.twin(&in_xdr).await.expect("the twin");
    assert_eq!(
        twin.properties.status.get(),
        Some(&tandem_model::sentinel::IncidentStatus::Active)
    );
    crashes
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_after_reading_a_pair() {
    crash_and_restart_after(Step::Read).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_after_committing_plan_and_base() {
    crash_and_restart_after(Step::Commit).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_after_each_write_before_it_is_marked_done() {
    crash_and_restart_after(Step::Write).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_after_marking_a_write_done() {
    crash_and_restart_after(Step::Done).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_after_sending_table_rows() {
    crash_and_restart_after(Step::Rows).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_after_advancing_a_watermark() {
    crash_and_restart_after(Step::Watermark).await;
}
