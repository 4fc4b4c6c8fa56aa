//! What a scenario hands back: tables for the terminal, the same figures as JSON for comparing runs,
//! and a chart written next to the JSON.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::error::BenchError;

/// A table printed to the terminal.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The heading above it.
    pub title: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of cells, as many as columns.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with a title and columns.
    pub fn new(title: &str, columns: &[&str]) -> Table {
        Table {
            title: title.to_owned(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as aligned text.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| match i {
                    0 => format!("{c:<w$}"),
                    _ => format!("{c:>w$}"),
                })
                .collect();
            padded.join("  ").trim_end().to_owned()
        };
        let mut out = format!("{}\n{}\n", self.title, line(&self.columns));
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&rule.join("  "));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }
}

/// The outcome of one scenario run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The scenario's name.
    pub scenario: &'static str,
    /// The settings it ran with.
    pub settings: Value,
    /// The figures.
    pub figures: Value,
    /// Tables for the terminal.
    pub tables: Vec<Table>,
    /// Remarks printed under the tables and kept in the JSON (how something was measured, what was
    /// extrapolated).
    pub notes: Vec<String>,
    /// Charts: a file name suffix (such as `latency`) and the SVG text.
    pub charts: Vec<(String, String)>,
}

impl Report {
    /// A report with figures and settings from serializable values.
    pub fn new(
        scenario: &'static str,
        settings: &impl Serialize,
        figures: &impl Serialize,
    ) -> Result<Report, BenchError> {
        Ok(Report {
            scenario,
            settings: to_value(settings)?,
            figures: to_value(figures)?,
            tables: Vec::new(),
            notes: Vec::new(),
            charts: Vec::new(),
        })
    }

    /// The tables and notes as text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for table in &self.tables {
            out.push_str(&table.render());
            out.push('\n');
        }
        for note in &self.notes {
            out.push_str(&format!("note: {note}\n"));
        }
        out
    }

    /// Writes the JSON to `path` and each chart beside it (`<stem>-<suffix>.svg`); returns the chart
    /// paths.
    pub fn write(&self, path: &Path) -> Result<Vec<PathBuf>, BenchError> {
        let document = serde_json::json!({
            "scenario": self.scenario,
            "settings": self.settings,
            "figures": self.figures,
            "notes": self.notes,
        });
        let text = serde_json::to_string_pretty(&document)
            .map_err(|e| BenchError::Unexpected(e.to_string()))?;
        write_file(path, &text)?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.scenario.to_owned());
        let mut written = Vec::new();
        for (suffix, svg) in &self.charts {
            let chart = path.with_file_name(format!("{stem}-{suffix}.svg"));
            write_file(&chart, svg)?;
            written.push(chart);
        }
        Ok(written)
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), BenchError> {
    std::fs::write(path, text).map_err(BenchError::io(format!("write {}", path.display())))
}

fn to_value(value: &impl Serialize) -> Result<Value, BenchError> {
    serde_json::to_value(value)
        .map_err(|e| BenchError::Unexpected(format!("figures do not serialize: {e}")))
}

/// Milliseconds as a cell: whole milliseconds below ten seconds, else seconds with one decimal.
pub fn ms_cell(ms: f64) -> String {
    if ms < 10_000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let mut table = Table::new("Latency", &["kind", "p50"]);
        table.row(vec!["status".into(), "120 ms".into()]);
        table.row(vec!["new incident".into(), "9 ms".into()]);
        let text = table.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Latency");
        assert_eq!(lines[1], "kind             p50");
        assert_eq!(lines[3], "status        120 ms");
        assert_eq!(lines[4], "new incident    9 ms");
    }

    #[test]
    fn writes_json_and_charts_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut report =
            Report::new("latency", &serde_json::json!({"rate": 2}), &vec![1, 2]).unwrap();
        report.charts.push(("hist".into(), "<svg/>".into()));
        let charts = report.write(&dir.path().join("run.json")).unwrap();
        assert_eq!(charts, vec![dir.path().join("run-hist.svg")]);
        let json: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("run.json")).unwrap())
                .unwrap();
        assert_eq!(json["settings"]["rate"], 2);
        assert_eq!(json["figures"], serde_json::json!([1, 2]));
    }

    #[test]
    fn millisecond_cells() {
        assert_eq!(ms_cell(950.4), "950 ms");
        assert_eq!(ms_cell(12_340.0), "12.3 s");
    }
}
