//! `tandem sync`: the connector between an XDR and a SIEM.
//!
//! Streams every XDR incident, with its alerts, entities and comments, into the SIEM, and keeps both sides'
//! incidents in sync. The core is a pure reconciler; everything that does I/O sits behind a trait.
