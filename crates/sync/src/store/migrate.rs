//! Versioned schema migrations, shared by both backends: each backend lists its migrations in order, the
//! `schema_version` table records every version applied (one row each, with when), and opening a store
//! applies the migrations newer than the latest recorded, with their rows, in one transaction.
//! A database whose schema is newer than this build knows is refused rather than misread.

use super::StoreError;

/// The table of applied versions, in SQL both backends accept.
pub(super) const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_version (
    version BIGINT PRIMARY KEY,
    applied_at TEXT NOT NULL
)";

/// The latest version recorded (0 for a database no migration has touched).
pub(super) const CURRENT_VERSION: &str = "SELECT COALESCE(MAX(version), 0) FROM schema_version";

/// Records one applied version; parameters: the version, the time.
pub(super) const RECORD_VERSION: &str =
    "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)";

/// One step of a backend's schema.
#[derive(Debug)]
pub(super) struct Migration {
    /// The version the schema has once this step is applied; steps count up from 1.
    pub(super) version: i64,
    /// The statements of the step.
    pub(super) sql: &'static str,
}

/// The steps of `migrations` still to apply to a schema at `current`; an error when the schema is newer
/// than the last step.
pub(super) fn pending(
    migrations: &'static [Migration],
    current: i64,
) -> Result<&'static [Migration], StoreError> {
    let latest = migrations.last().map_or(0, |m| m.version);
    if current > latest {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known: latest,
        });
    }
    let applied = migrations
        .iter()
        .take_while(|m| m.version <= current)
        .count();
    Ok(&migrations[applied..])
}

#[cfg(test)]
mod tests {
    use super::*;

    static STEPS: [Migration; 2] = [
        Migration {
            version: 1,
            sql: "one",
        },
        Migration {
            version: 2,
            sql: "two",
        },
    ];

    #[test]
    fn only_the_steps_after_the_current_version_are_pending() {
        let versions = |current| -> Vec<i64> {
            pending(&STEPS, current)
                .unwrap()
                .iter()
                .map(|m| m.version)
                .collect()
        };
        assert_eq!(versions(0), [1, 2]);
        assert_eq!(versions(1), [2]);
        assert!(versions(2).is_empty());
    }

    #[test]
    fn a_schema_newer_than_this_build_is_refused() {
        assert!(matches!(
            pending(&STEPS, 3),
            Err(StoreError::SchemaTooNew { found: 3, known: 2 })
        ));
    }
}
