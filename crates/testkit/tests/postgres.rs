//! `TestSchema` on the machine's PostgreSQL: each schema is the test's own (its URL's connections create
//! and find tables there, and no other schema sees them), and dropping it removes it with its tables,
//! even while a connection made with its URL is still open.

#![cfg(test)]

use tandem_testkit::postgres::{TestSchema, connect_to_server};

async fn schema_exists(name: &str) -> bool {
    let client = connect_to_server().await.unwrap();
    let rows = client
        .query("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&name])
        .await
        .unwrap();
    !rows.is_empty()
}

#[tokio::test]
async fn a_schema_is_the_tests_own_and_gone_once_dropped() {
    let schema = TestSchema::create().await.unwrap();
    let other = TestSchema::create().await.unwrap();
    assert_ne!(schema.name(), other.name());
    schema
        .execute("CREATE TABLE marker (id INT); INSERT INTO marker VALUES (7)")
        .await
        .unwrap();
    schema.execute("SELECT id FROM marker").await.unwrap();
    let unseen = other.execute("SELECT id FROM marker").await.unwrap_err();
    assert!(
        unseen.to_string().contains("marker"),
        "the other schema has no such table: {unseen}"
    );

    // A connection left open in a transaction holds a lock on the table; the drop still succeeds.
    let (held, connection) = tokio_postgres::connect(schema.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    held.batch_execute("BEGIN; LOCK TABLE marker IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let name = schema.name().to_owned();
    assert!(schema_exists(&name).await);
    drop(schema);
    assert!(!schema_exists(&name).await, "schema {name} left behind");
    assert!(schema_exists(other.name()).await);
}
