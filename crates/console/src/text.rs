//! Text formatting shared by the HTML templates and the server-drawn SVG charts, so a time reads the same in a
//! table cell and in a chart label.

use chrono::{DateTime, Utc};

/// A time as analysts read it in tables and charts: `2026-11-24 06:40:12 UTC`.
pub fn short_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Escapes text for XML and HTML content and attribute values.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A duration in seconds as a short phrase: `42 s`, `3.5 min`, `2.0 h`.
pub fn short_duration(seconds: f64) -> String {
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7200.0 {
        format!("{:.1} min", seconds / 60.0)
    } else {
        format!("{:.1} h", seconds / 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            escape_xml(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(short_duration(42.0), "42 s");
        assert_eq!(short_duration(210.0), "3.5 min");
        assert_eq!(short_duration(7200.0), "2.0 h");
    }
}
