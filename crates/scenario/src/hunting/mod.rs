//! The raw advanced-hunting events behind generated alerts, and background noise around them.
//!
//! Defender records, besides its alerts, the events its products saw: the mails, the processes, the
//! files, the connections, the sign-ins, the cloud-app activity. Analysts hunt over those tables, so a
//! scenario is only complete with them. [`HuntingEvents::for_scenario`] renders the rows behind
//! [`Scenario::alerts_seeded`] from the same plan, so the rows name the alerts' devices, accounts,
//! addresses, hashes, URLs, mail and times; [`HuntingEvents::noise`] adds the ordinary activity of
//! other users and devices that a hunt has to see through.
//!
//! A row is a JSON object keyed by the documented column names of its table (Microsoft's advanced
//! hunting reference), as the SIEM ingests it through the Logs Ingestion API. Every row carries
//! `Timestamp` and, as the tables streamed into a Log Analytics workspace do, `TimeGenerated` with the
//! same instant; the tables that have a `ReportId` get one. Rows are deterministic given the seed.
//!
//! One module per table family: `alert_tables` (`AlertInfo`, `AlertEvidence`), `email`
//! (`EmailEvents`, `EmailUrlInfo`), `device` (`DeviceProcessEvents`, `DeviceFileEvents`,
//! `DeviceNetworkEvents`, `DeviceLogonEvents`), `identity` (`IdentityLogonEvents`), `cloud_apps`
//! (`CloudAppEvents`); `attack` tells the scenarios' stories with them and `noise` the background.

mod alert_tables;
mod attack;
mod cloud_apps;
mod device;
mod email;
mod identity;
mod noise;
pub mod table;

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::Scenario;
use crate::alerts::plan_alerts;
use crate::plan::{Plan, time};

pub use noise::{SHARES as NOISE_SHARES, Volume};

/// One row of a hunting table: column name → value.
pub type Row = Map<String, Value>;

/// Rows of the advanced-hunting tables, grouped per table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HuntingEvents {
    /// Each table's rows ([`table`] names them), oldest first.
    pub tables: BTreeMap<&'static str, Vec<Row>>,
}

impl HuntingEvents {
    /// The events behind [`Scenario::alerts_seeded`]`(now, seed)`: an `AlertInfo` row and its
    /// `AlertEvidence` rows for every alert, and the mail, process, file, network, logon and
    /// cloud-app events the alerts were raised on.
    pub fn for_scenario(scenario: &Scenario, now: DateTime<Utc>, seed: u64) -> HuntingEvents {
        let plan = Plan::new(scenario, now, seed);
        let mut recorder = Recorder::new(seed);
        for alert in plan_alerts(&plan) {
            recorder.alert(&alert);
        }
        match &plan {
            Plan::MultiStage(multi_stage) => attack::multi_stage(&mut recorder, multi_stage),
            Plan::Load(alerts) => attack::load(&mut recorder, alerts),
        }
        recorder.finish()
    }

    /// Background activity of other users and devices during `window`, `volume` rows in all, spread
    /// over the tables in the proportions a tenant's hunting tables have (see [`Volume`]).
    pub fn noise(seed: u64, volume: Volume, window: Range<DateTime<Utc>>) -> HuntingEvents {
        let mut recorder = Recorder::new(seed);
        noise::record(&mut recorder, volume.rows(&window), &window);
        recorder.finish()
    }

    /// The rows of table `name` (empty when it has none).
    pub fn table(&self, name: &str) -> &[Row] {
        self.tables.get(name).map_or(&[], Vec::as_slice)
    }

    /// How many rows there are in all.
    pub fn len(&self) -> usize {
        self.tables.values().map(Vec::len).sum()
    }

    /// Whether there are no rows at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds `other`'s rows, keeping each table in time order.
    pub fn extend(&mut self, other: HuntingEvents) {
        for (name, rows) in other.tables {
            self.tables.entry(name).or_default().extend(rows);
        }
        self.sort();
    }

    fn sort(&mut self) {
        for rows in self.tables.values_mut() {
            rows.sort_by(|a, b| timestamp(a).cmp(timestamp(b)));
        }
    }
}

/// Adds the members of `more` (a JSON object) to `columns` (a JSON object).
pub(crate) fn merge(columns: &mut Value, more: Value) {
    if let (Value::Object(columns), Value::Object(more)) = (columns, more) {
        columns.extend(more);
    }
}

/// A row's `Timestamp`: the fixed-width ISO 8601 text sorts as time does.
fn timestamp(row: &Row) -> &str {
    row.get(table::TIMESTAMP)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Writes rows, drawing the ids and numbers a row needs from one seeded generator.
pub(crate) struct Recorder {
    events: HuntingEvents,
    rng: fastrand::Rng,
    /// The next `ReportId` of the device tables, a repeating counter there.
    next_device_report: i64,
}

impl Recorder {
    fn new(seed: u64) -> Recorder {
        let mut rng = fastrand::Rng::with_seed(seed);
        let next_device_report = rng.i64(1_000..100_000);
        Recorder {
            events: HuntingEvents::default(),
            rng,
            next_device_report,
        }
    }

    fn finish(mut self) -> HuntingEvents {
        self.events.sort();
        self.events
    }

    /// Adds a row of `table` at `at` with `columns` (a JSON object), stamping `Timestamp`,
    /// `TimeGenerated` and, where the table has one, `ReportId`.
    pub fn push(&mut self, table: &'static str, at: DateTime<Utc>, columns: Value) {
        let mut row = Row::new();
        let stamp = time(at);
        row.insert(table::TIMESTAMP.into(), json!(stamp));
        row.insert(table::TIME_GENERATED.into(), json!(stamp));
        if let Value::Object(columns) = columns {
            row.extend(columns);
        }
        match table::report_id(table) {
            table::ReportId::Counter => {
                self.next_device_report += 1;
                row.insert("ReportId".into(), json!(self.next_device_report));
            }
            table::ReportId::Text => {
                let id = self.uuid();
                row.insert("ReportId".into(), json!(id));
            }
            table::ReportId::None => {}
        }
        self.events.tables.entry(table).or_default().push(row);
    }

    /// The seeded generator, for the choices a story makes.
    pub fn rng(&mut self) -> &mut fastrand::Rng {
        &mut self.rng
    }

    /// A random UUID from the seeded generator.
    pub fn uuid(&mut self) -> String {
        let bytes: [u8; 16] = std::array::from_fn(|_| self.rng.u8(..));
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    /// A Windows process id (a multiple of four) from the seeded generator.
    pub fn pid(&mut self) -> u32 {
        self.rng.u32(250..6_000) * 4
    }
}
