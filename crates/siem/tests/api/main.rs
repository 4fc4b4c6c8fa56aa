//! The SIEM's APIs against a real server on `127.0.0.1:0` with a real SQLite store in a temp dir: one
//! test binary, one module per API and one for the web console, plus Microsoft's Python SDKs.

#![cfg(test)]

mod common;
mod conformance;
mod console;
mod incidents;
mod ingestion;
mod lists;
mod query;
mod resources;
mod sdk;
