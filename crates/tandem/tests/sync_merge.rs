//! Merges after the twins exist: two XDR incidents (an alert on a device, an alert for a user) are
//! synced by real `tandem sync --once` runs, then an alert naming both the device and the user makes the
//! real `tandem xdr` merge the newer incident into the older one. The next sync must close the merged
//! incident's twin with one comment naming the survivor and the survivor's twin, move nothing else, and
//! give the survivor's twin every alert (the two older ones and the linking one), each once.

mod sync_support;

use sync_support::{ConnectorRuns, Stack};
use tandem_model::graph::IncidentStatus;
use tandem_model::sentinel;
use tandem_sync::reconcile::PairKey;
use tandem_testkit::endpoint_alert as alert;

/// The id of the only incident in `after` that is not in `before`.
fn new_incident(before: &[String], after: &[String]) -> String {
    let new: Vec<&String> = after.iter().filter(|id| !before.contains(id)).collect();
    assert_eq!(new.len(), 1, "one new incident: {new:?}");
    new[0].clone()
}

async fn ids(stack: &Stack) -> Vec<String> {
    stack
        .xdr_incidents()
        .await
        .into_iter()
        .map(|i| i.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_merge_closes_the_merged_twin_and_moves_its_alerts_to_the_survivors_twin() {
    let stack = Stack::start().await;
    let run = tandem_model::Timestamp::now()
        .instant()
        .timestamp_nanos_opt()
        .unwrap_or_default();
    let (device, user) = (format!("dev-{run}"), format!("user-{run}"));
    let before = ids(&stack).await;
    stack
        .post_alerts(&[alert("On the device", Some(&device), None)])
        .await;
    let older = new_incident(&before, &ids(&stack).await);
    let before = ids(&stack).await;
    stack
        .post_alerts(&[alert("For the user", None, Some(&user))])
        .await;
    let newer = new_incident(&before, &ids(&stack).await);
    let runs = ConnectorRuns::new(&stack.sync_config(), "");
    runs.until_quiet();
    stack.assert_one_twin_per_incident_with_its_alerts().await;
    assert_eq!(stack.twin_alert_ids(&newer).await.len(), 1);

    stack
        .post_alerts(&[alert("User on the device", Some(&device), Some(&user))])
        .await;
    let merged = stack.xdr_incident(&newer).await;
    assert_eq!(merged.status.get(), Some(&IncidentStatus::Redirected));
    assert_eq!(merged.redirect_incident_id.get(), Some(&older));
    runs.until_quiet();

    stack.assert_one_twin_per_incident_with_its_alerts().await;
    let merged_twin = stack
        .twin(&newer)
        .await
        .expect("the merged incident's twin");
    assert_eq!(
        merged_twin.properties.status.get(),
        Some(&sentinel::IncidentStatus::Closed)
    );
    let naming = format!("Merged into XDR incident {older}");
    let notes: Vec<String> = stack
        .twin_comments(&newer)
        .await
        .into_iter()
        .filter(|c| c.starts_with(&naming))
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    let survivor_twin = PairKey::new(stack.tenant.clone(), older.clone())
        .siem_incident_name()
        .to_string();
    assert!(notes[0].contains(&survivor_twin), "{}", notes[0]);

    let survivor = stack.xdr_incident(&older).await;
    assert_eq!(survivor.status.get(), Some(&IncidentStatus::Active));
    let mut expected: Vec<String> = stack
        .xdr_incidents()
        .await
        .into_iter()
        .find(|i| i.id == older)
        .expect("the survivor")
        .alerts()
        .iter()
        .map(|a| a.id.clone())
        .collect();
    expected.sort();
    assert_eq!(expected.len(), 3, "the survivor holds all three alerts");
    assert_eq!(stack.twin_alert_ids(&older).await, expected);
    let survivor_twin = stack.twin(&older).await.expect("the survivor's twin");
    assert_ne!(
        survivor_twin.properties.status.get(),
        Some(&sentinel::IncidentStatus::Closed)
    );
}
