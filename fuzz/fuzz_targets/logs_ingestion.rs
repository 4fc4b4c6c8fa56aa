//! Logs Ingestion bodies, plain and gzip, decoded and appended to a custom table of a real store:
//! any bytes are rows or a 4xx reason, never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tandem_siem::ingest::{decode_body, ingest};
use tandem_siem::store::Store;

fn store() -> &'static Store {
    static STORE: OnceLock<(tempfile::TempDir, Store)> = OnceLock::new();
    let (_, store) = STORE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("siem.sqlite")).expect("store");
        (dir, store)
    });
    store
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    if let Ok(rows) = decode_body(body, flags & 1 == 1) {
        let table = if flags & 2 == 2 { "Fuzz_CL" } else { "SecurityAlert" };
        let _ = ingest(store(), table, rows, chrono::Utc::now());
    }
});
