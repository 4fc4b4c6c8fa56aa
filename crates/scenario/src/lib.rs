//! Generated attacks for Tandem's XDR: realistic alerts, written as Defender's products would raise
//! them, posted through the XDR's alert intake like any detector, and the raw advanced-hunting events
//! behind them.
//!
//! A client of the XDR's wire API only (it never links the server), so the CLI's `tandem xdr simulate`,
//! the demo, the benchmarks and the tests all post the same attacks the same way.
//!
//! - [`multi_stage`]: one attack across all four products, correlating into one incident.
//! - [`load`]: many independent incidents of several endpoint alerts each.
//! - [`client`] and [`post_alerts`] post them; [`run`] does both for a [`Scenario`].
//! - [`HuntingEvents`]: the advanced-hunting rows (`DeviceProcessEvents`, `EmailEvents`, ...) behind a
//!   scenario's alerts, and background noise around them.

mod alerts;
pub mod hunting;
mod intake;
mod plan;

pub use alerts::{Scenario, load, multi_stage};
pub use hunting::HuntingEvents;
pub use intake::{Posted, ScenarioError, client, post_alerts, run};
