//! Where a written payload first differs from the expected one, for conformance failure messages.

use serde_json::Value;

/// The path of the first place `found` differs from `expected`, with both values.
pub fn first_difference(expected: &Value, found: &Value, path: String) -> Option<String> {
    match (expected, found) {
        (Value::Object(a), Value::Object(b)) => a
            .keys()
            .chain(b.keys().filter(|k| !a.contains_key(*k)))
            .find_map(|key| {
                let (x, y) = (
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                );
                match (a.contains_key(key), b.contains_key(key)) {
                    (true, true) => first_difference(x, y, format!("{path}.{key}")),
                    (true, false) => Some(format!("{path}.{key}: expected {x}, member missing")),
                    _ => Some(format!("{path}.{key}: unexpected member {y}")),
                }
            }),
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| first_difference(x, y, format!("{path}[{i}]"))),
        _ if expected == found => None,
        _ => Some(format!("`{path}`: expected {expected}, found {found}")),
    }
}
