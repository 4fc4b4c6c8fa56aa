//! The connector against unreliable servers: a real `tandem xdr` and `tandem siem`, each behind a
//! fault-injecting proxy ([`sync_support::proxy`]), and real `tandem sync` processes pointed at the
//! proxies.
//!
//! - Throttling and server errors: every 7th request gets `429` with `Retry-After: 1`, every 11th a
//!   `503`, every 13th is performed but answered `500` (a lost answer). The connector must still bring
//!   every twin, alert, comment and assignment across, each comment exactly once, and no client may send
//!   anything before the `Retry-After` it was told has passed.
//! - A write that keeps failing: every write to one twin gets `503`. The write must be set aside after
//!   its attempt budget (visible in `tandem sync status` and `/status`), its incident quarantined, the
//!   XDR watermark must move past it, and changes of other incidents must go on syncing.

mod sync_support;

use std::process::Stdio;
use std::time::Duration;

use sync_support::proxy::{FaultProxy, Faults, Seen};
use sync_support::{
    AnalystWork, ConnectorRuns, Stack, free_port, http_get, run_tandem, wait_within,
};
use tandem_model::Timestamp;
use tandem_model::graph::IncidentStatus;
use tandem_sync::reconcile::{PairKey, Side};
use tandem_sync::store::{SqliteStore, SyncStore};
use tandem_testkit::{ChildOutput, ChildProcess};

/// Long enough for a few dozen one-second throttles.
const FAULTY_DEADLINE: Duration = Duration::from_secs(90);

/// Waits until every XDR incident has its twin, alerts and rows in the SIEM; `what` names the wait in
/// the failure message.
async fn wait_all_synced(stack: &Stack, runs: &ConnectorRuns, what: &str) {
    wait_within(FAULTY_DEADLINE, what, &runs.log, || async {
        stack
            .missing_twins_or_alerts()
            .await
            .is_none()
            .then_some(())
    })
    .await;
}

/// A stack with the multi-stage incident and one independent incident.
async fn stack_with_two_incidents() -> (Stack, String, String) {
    let stack = Stack::start().await;
    stack
        .post_alerts(&tandem_scenario::load(chrono::Utc::now(), 1, 2))
        .await;
    let incidents = stack.xdr_incidents().await;
    let mut open = incidents
        .iter()
        .filter(|i| i.status.get() != Some(&IncidentStatus::Redirected))
        .map(|i| i.id.clone());
    let first = open.next().expect("an incident that was not merged");
    let second = open.next().expect("a second incident");
    (stack, first, second)
}

/// The generated config with each server's URL replaced by its proxy's.
fn through(stack: &Stack, xdr: &FaultProxy, siem: &FaultProxy) -> String {
    stack
        .sync_config()
        .replace(stack.xdr.get("TANDEM_XDR_URL"), &xdr.url)
        .replace(stack.siem.get("TANDEM_SIEM_URL"), &siem.url)
}

/// A running `tandem sync` (not `--once`) and its status URL.
fn start_connector(runs: &ConnectorRuns) -> (ChildProcess, String) {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut command = runs.command(&["--listen", &listen]);
    command.stdout(Stdio::null());
    let sync =
        ChildProcess::spawn(&mut command, ChildOutput::AsConfigured).expect("spawn tandem sync");
    (sync, format!("http://{listen}/status"))
}

/// Requests that came before the `Retry-After` their client was told had passed.
fn early_requests(seen: &[Seen]) -> Vec<String> {
    let mut early = Vec::new();
    for (i, throttled) in seen.iter().enumerate() {
        let Some(wait) = throttled.retry_after else {
            continue;
        };
        if let Some(next) = seen[i + 1..].iter().find(|s| s.client == throttled.client)
            && next.at < throttled.at + wait
        {
            early.push(format!(
                "{} came {:?} after a 429 with Retry-After {wait:?} for {}",
                next.request,
                next.at - throttled.at,
                throttled.request
            ));
        }
    }
    early
}

#[tokio::test(flavor = "multi_thread")]
async fn throttled_and_failing_servers_converge_and_retry_after_is_honoured() {
    let started = std::time::Instant::now();
    let (stack, in_siem, in_xdr) = stack_with_two_incidents().await;
    let faults = Faults {
        throttle_every: Some(7),
        unavailable_every: Some(11),
        lose_answer_every: Some(13),
        refuse_writes_to: None,
    };
    let xdr_proxy = FaultProxy::start(stack.xdr.get("TANDEM_XDR_URL"), faults.clone()).await;
    let siem_proxy = FaultProxy::start(stack.siem.get("TANDEM_SIEM_URL"), faults).await;
    // One pair at a time, so that "the client's next request" is well defined: with several pairs in
    // flight, a request already on the wire when another's 429 arrives cannot be called back. That the
    // client pauses all its requests once it has seen a Retry-After is tested in crates/client
    // (`a_retry_after_holds_back_the_clients_other_requests`).
    let runs = ConnectorRuns::new(
        &through(&stack, &xdr_proxy, &siem_proxy),
        "poll_interval_ms = 200\nwrite_retry_initial_ms = 200\nconcurrency = 1",
    );
    let (_sync, _) = start_connector(&runs);

    wait_all_synced(&stack, &runs, "every twin with its alerts and rows").await;
    let AnalystWork {
        siem_note,
        xdr_note,
        owner,
    } = stack.analysts_work(&in_siem, &in_xdr, &runs.log).await;
    wait_within(
        FAULTY_DEADLINE,
        "both comments and the assignment",
        &runs.log,
        || async {
            let counts = [
                stack.xdr_comment_count(&in_siem, &siem_note).await,
                stack.twin_comment_count(&in_xdr, &xdr_note).await,
            ];
            let assigned = stack
                .xdr_incident(&in_siem)
                .await
                .assigned_to
                .get()
                .cloned();
            (counts == [1, 1] && assigned.as_deref() == Some(owner)).then_some(())
        },
    )
    .await;
    let converged = started.elapsed();

    // The versions these changes made land as rows too, and more polls through the faults double
    // nothing.
    wait_all_synced(&stack, &runs, "rows of the latest versions").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    for count in [
        stack.xdr_comment_count(&in_siem, &siem_note).await,
        stack.twin_comment_count(&in_siem, &siem_note).await,
        stack.twin_comment_count(&in_xdr, &xdr_note).await,
        stack.xdr_comment_count(&in_xdr, &xdr_note).await,
    ] {
        assert_eq!(count, 1, "a comment was doubled");
    }

    let mut faults_seen = [0_usize; 3];
    for (name, proxy) in [("XDR", &xdr_proxy), ("SIEM", &siem_proxy)] {
        let seen = proxy.seen();
        let early = early_requests(&seen);
        assert!(early.is_empty(), "{name}: {early:#?}");
        let count = |status: u16| seen.iter().filter(|s| s.status == status).count();
        let figures = [count(429), count(503), count(500)];
        eprintln!(
            "{name}: {} request(s), {} answered 429, {} 503, {} lost (500)",
            seen.len(),
            figures[0],
            figures[1],
            figures[2]
        );
        for (total, n) in faults_seen.iter_mut().zip(figures) {
            *total += n;
        }
    }
    assert!(
        faults_seen.iter().all(|&n| n > 0),
        "every kind of fault was served: {faults_seen:?}"
    );
    eprintln!("converged through the faults in {converged:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_that_keeps_failing_is_set_aside_and_the_rest_goes_on() {
    let (stack, other, refused) = stack_with_two_incidents().await;
    let refused_twin = PairKey::new(stack.tenant.clone(), refused.clone())
        .siem_incident_name()
        .to_string();
    let xdr_proxy = FaultProxy::start(stack.xdr.get("TANDEM_XDR_URL"), Faults::default()).await;
    let siem_proxy = FaultProxy::start(
        stack.siem.get("TANDEM_SIEM_URL"),
        Faults {
            refuse_writes_to: Some(refused_twin.clone()),
            ..Faults::default()
        },
    )
    .await;
    // One request per attempt, so that the outbox counts every one.
    let config = format!(
        "{}\n[siem.client.retry]\nmax_attempts = 1\n",
        through(&stack, &xdr_proxy, &siem_proxy)
    );
    let runs = ConnectorRuns::new(
        &config,
        "max_write_attempts = 3\nwrite_retry_initial_ms = 50",
    );
    let store = runs.store.to_str().expect("UTF-8 path").to_owned();
    let status = || -> serde_json::Value {
        let text = run_tandem(&["sync", "status", "--data-dir", &store, "--json"]);
        serde_json::from_str(&text).expect("status JSON")
    };
    let mut cycles = 0;
    while status()["set_aside_writes"]
        .as_array()
        .is_none_or(Vec::is_empty)
    {
        cycles += 1;
        assert!(cycles <= 40, "not set aside: {}", runs.log_tail());
        let (exit, _) = runs.once(None);
        assert!(exit.success(), "{}", runs.log_tail());
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    eprintln!("set aside after {cycles} --once run(s)");

    let report = status();
    let set_aside = &report["set_aside_writes"];
    assert_eq!(set_aside.as_array().map(Vec::len), Some(1), "{report:#}");
    assert_eq!(set_aside[0]["xdr_incident"], refused.as_str());
    assert_eq!(set_aside[0]["target"], "siem");
    assert_eq!(set_aside[0]["attempts"], 3);
    let error = set_aside[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("503"), "{error}");
    let quarantined = report["quarantined"].to_string();
    assert!(
        quarantined.contains(&format!("xdr incident {refused}")),
        "{quarantined}"
    );
    assert!(
        report["directions"]
            .as_array()
            .expect("directions")
            .iter()
            .all(|d| d["pending_writes"] == 0),
        "{report:#}"
    );
    let text = run_tandem(&["sync", "status", "--data-dir", &store]);
    assert!(text.contains("writes set aside: 1"), "{text}");
    assert!(
        text.contains(&format!(
            "fields write to siem for XDR incident {refused} after 3 attempt(s)"
        )),
        "{text}"
    );
    // The XDR watermark moved past the refused incident.
    let watermark = SqliteStore::open(&runs.store)
        .expect("the store")
        .watermark(Side::Xdr)
        .await
        .expect("read the watermark")
        .expect("a watermark");
    let refused_at = stack.xdr_incident(&refused).await;
    assert!(
        watermark
            >= *refused_at
                .last_update_date_time
                .get()
                .expect("a change time")
    );
    assert!(stack.twin(&other).await.is_some(), "the other twin exists");

    // The rest goes on: a running connector brings a new XDR comment of the other incident across and
    // reports the set-aside write on /status.
    let (_sync, status_url) = start_connector(&runs);
    let note = format!("Blocked the sender at {}", Timestamp::now());
    stack.comment_xdr(&other, &note).await;
    wait_within(
        FAULTY_DEADLINE,
        "the other incident's comment",
        &runs.log,
        || async { (stack.twin_comment_count(&other, &note).await == 1).then_some(()) },
    )
    .await;
    let served = http_get(&status_url).await;
    assert!(served.contains("\"set_aside_writes\":[{"), "{served}");
    assert!(
        served.contains(&format!("\"xdr_incident\":\"{refused}\"")),
        "{served}"
    );
}
