//! `credentials.env`: the file a user (or a test) sources to talk to a running server.
//!
//! It holds `KEY=VALUE` lines that a POSIX shell can `source`. Several servers may share one data dir
//! (and `tandem demo` writes for all of them), so writing never replaces the file wholesale: the existing
//! keys are read, this server's keys are set, and the result is written back atomically.

use crate::datadir::DataDir;
use crate::error::ServerError;

/// The file name inside the data dir.
pub const CREDENTIALS_FILE: &str = "credentials.env";

/// Parses `KEY=VALUE` lines. Blank lines, `#` comments and a leading `export ` are skipped; values may be
/// wrapped in single or double quotes. A line without `=` is an error naming its line number.
pub fn parse_env(text: &str) -> Result<Vec<(String, String)>, ServerError> {
    let mut pairs = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err(ServerError::Invalid(format!(
                "{CREDENTIALS_FILE} line {}: expected KEY=VALUE, found {line:?}",
                index + 1
            )));
        };
        pairs.push((key.trim().to_owned(), unquote(value.trim())));
    }
    Ok(pairs)
}

fn unquote(value: &str) -> String {
    let quoted = |q: char| value.len() >= 2 && value.starts_with(q) && value.ends_with(q);
    if quoted('\'') {
        value[1..value.len() - 1].replace("'\\''", "'")
    } else if quoted('"') {
        value[1..value.len() - 1].to_owned()
    } else {
        value.to_owned()
    }
}

/// Writes pairs as lines a shell can source, quoting values that need it.
pub fn render_env(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={}\n", shell_quote(value)))
        .collect()
}

fn shell_quote(value: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_.:/@%+,~".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// Reads the data dir's `credentials.env` (empty when it does not exist yet).
pub fn read_credentials(dir: &DataDir) -> Result<Vec<(String, String)>, ServerError> {
    match dir.read(CREDENTIALS_FILE)? {
        Some(text) => parse_env(&text),
        None => Ok(Vec::new()),
    }
}

/// Sets `updates` in the data dir's `credentials.env`, keeping every other key and the file's order.
pub fn merge_credentials(dir: &DataDir, updates: &[(String, String)]) -> Result<(), ServerError> {
    update_credentials(dir, updates, &[])
}

/// Sets `updates` and removes the keys in `remove` (when present) in one locked read-modify-write.
pub fn update_credentials(
    dir: &DataDir,
    updates: &[(String, String)],
    remove: &[&str],
) -> Result<(), ServerError> {
    let _guard = dir.lock()?;
    let mut pairs = read_credentials(dir)?;
    pairs.retain(|(key, _)| !remove.contains(&key.as_str()));
    for (key, value) in updates {
        match pairs.iter_mut().find(|(k, _)| k == key) {
            Some(pair) => pair.1.clone_from(value),
            None => pairs.push((key.clone(), value.clone())),
        }
    }
    dir.write_atomic(CREDENTIALS_FILE, render_env(&pairs).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn render_then_parse_round_trips_awkward_values() {
        let pairs = vec![
            pair("A", "plain-value_1.2"),
            pair("B", "has space and 'quote'"),
            pair("C", "http://127.0.0.1:8710"),
            pair("D", ""),
        ];
        assert_eq!(parse_env(&render_env(&pairs)).unwrap(), pairs);
    }

    #[test]
    fn parse_skips_comments_and_export_and_rejects_bare_words() {
        let parsed = parse_env("# note\n\nexport X=\"1\"\nY=2\n").unwrap();
        assert_eq!(parsed, vec![pair("X", "1"), pair("Y", "2")]);
        let err = parse_env("X=1\nnonsense\n").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("nonsense"), "{err}");
    }

    #[test]
    fn merge_keeps_other_keys_and_order() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(temp.path()).unwrap();
        merge_credentials(&dir, &[pair("A", "1"), pair("B", "2")]).unwrap();
        merge_credentials(&dir, &[pair("C", "3"), pair("A", "9")]).unwrap();
        let read = read_credentials(&dir).unwrap();
        assert_eq!(read, vec![pair("A", "9"), pair("B", "2"), pair("C", "3")]);
        update_credentials(&dir, &[pair("D", "4")], &["B", "absent"]).unwrap();
        let read = read_credentials(&dir).unwrap();
        assert_eq!(read, vec![pair("A", "9"), pair("C", "3"), pair("D", "4")]);
    }

    #[test]
    fn concurrent_merges_lose_no_keys() {
        let temp = tempfile::tempdir().unwrap();
        let writers: Vec<_> = ["XDR", "SIEM"]
            .into_iter()
            .map(|prefix| {
                let dir = DataDir::open(temp.path()).unwrap();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        merge_credentials(&dir, &[pair(&format!("{prefix}_{i}"), "v")]).unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let read = read_credentials(&DataDir::open(temp.path()).unwrap()).unwrap();
        assert_eq!(read.len(), 50);
    }
}
