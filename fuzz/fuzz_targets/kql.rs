//! KQL as any reader may send it to the query API: parsing, and compiling over a small typed
//! table, must never panic, overflow the stack or hang, whatever the text.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use tandem_kql::datafusion::arrow::datatypes::Schema;
use tandem_kql::datafusion::common::TableReference;
use tandem_kql::datafusion::datasource::MemTable;
use tandem_kql::datafusion::prelude::SessionContext;
use tandem_kql::{KqlType, QueryOptions};

fn context() -> &'static SessionContext {
    static CONTEXT: OnceLock<SessionContext> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let schema = Arc::new(Schema::new(vec![
            KqlType::Long.field("A"),
            KqlType::String.field("B"),
            KqlType::Dynamic.field("D"),
            KqlType::Datetime.field("TimeGenerated"),
        ]));
        let ctx = SessionContext::new();
        if let Ok(table) = MemTable::try_new(schema, vec![vec![]]) {
            let _ = ctx.register_table(TableReference::bare("T"), Arc::new(table));
        }
        ctx
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if tandem_kql::parse(text).is_err() {
        return;
    }
    let options = QueryOptions {
        now: chrono::Utc::now(),
        time_window: None,
    };
    let _ = runtime().block_on(tandem_kql::compile(text, context(), &options));
});
