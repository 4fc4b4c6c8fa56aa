//! Charts drawn on the server as inline SVG: the incident timeline and the sync lag chart.
//!
//! Drawing on the server keeps the consoles free of a charting library and makes every chart testable as text.
//! Each mark carries a `<title>` (a tooltip, and what screen readers announce) and a `data-testid`.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::text::{escape_xml, short_duration, short_time};
use crate::view::{LagSample, TimelineEvent, TimelineKind};

const WIDTH: f64 = 960.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 24.0;
const MARK_RADIUS: f64 = 7.0;
/// Marks closer than this on one lane are stacked on a new row.
const MIN_GAP: f64 = 2.0 * MARK_RADIUS + 2.0;
const ROW_STEP: f64 = 14.0;
const MAX_ROWS: usize = 3;

/// Maps instants in `[start, end]` to x positions on the plot area.
struct TimeAxis {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TimeAxis {
    fn spanning(times: impl Iterator<Item = DateTime<Utc>>) -> Option<TimeAxis> {
        let (mut start, mut end) = (None::<DateTime<Utc>>, None::<DateTime<Utc>>);
        for t in times {
            start = Some(start.map_or(t, |s| s.min(t)));
            end = Some(end.map_or(t, |e| e.max(t)));
        }
        Some(TimeAxis {
            start: start?,
            end: end?,
        })
    }

    fn x(&self, at: DateTime<Utc>) -> f64 {
        let span = (self.end - self.start).num_milliseconds() as f64;
        let plot = WIDTH - LEFT - RIGHT;
        if span <= 0.0 {
            return LEFT + plot / 2.0;
        }
        LEFT + plot * (at - self.start).num_milliseconds() as f64 / span
    }

    /// The start and end labels under the plot, at height `y`.
    fn labels(&self, y: f64) -> String {
        format!(
            r#"<text class="axis-label" x="{LEFT}" y="{y}">{}</text><text class="axis-label" x="{}" y="{y}" text-anchor="end">{}</text>"#,
            short_time(self.start),
            WIDTH - RIGHT,
            short_time(self.end)
        )
    }
}

/// What a chart says about itself: its id, height, accessible title and description, and the message it
/// shows at height `empty_y` when it has nothing to draw.
struct Frame<'a> {
    id: &'a str,
    height: f64,
    title: &'a str,
    description: &'a str,
    empty: &'a str,
    empty_y: f64,
}

/// Opens the chart's `<svg>` with its accessible title and description and spans its time axis over `times`; with no times, the whole chart is the
/// frame's empty message.
fn open_chart(
    frame: &Frame<'_>,
    times: impl Iterator<Item = DateTime<Utc>>,
) -> Result<(String, TimeAxis), String> {
    let Frame {
        id,
        height,
        title,
        description,
        ..
    } = frame;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" id="{id}" data-testid="{id}" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape_xml(title),
        escape_xml(description)
    );
    match TimeAxis::spanning(times) {
        Some(axis) => Ok((out, axis)),
        None => {
            let _ = write!(
                out,
                r#"<text class="empty" x="480" y="{}" text-anchor="middle">{}</text></svg>"#,
                frame.empty_y, frame.empty
            );
            Err(out)
        }
    }
}

/// Places marks on a lane, stacking marks that would overlap onto extra rows.
struct Lane {
    y: f64,
    last_x: [f64; MAX_ROWS],
}

impl Lane {
    fn new(y: f64) -> Lane {
        Lane {
            y,
            last_x: [f64::NEG_INFINITY; MAX_ROWS],
        }
    }

    fn place(&mut self, x: f64) -> f64 {
        let row = (0..MAX_ROWS)
            .find(|&r| x - self.last_x[r] >= MIN_GAP)
            .unwrap_or(MAX_ROWS - 1);
        self.last_x[row] = x;
        self.y + row as f64 * ROW_STEP
    }
}

/// The incident timeline: alerts on one lane, changes on another, one mark per event, oldest on the left.
pub fn timeline_svg(events: &[TimelineEvent]) -> String {
    let alert_count = events
        .iter()
        .filter(|e| e.kind == TimelineKind::Alert)
        .count();
    let description = format!(
        "{alert_count} alerts and {} changes over time",
        events.len() - alert_count
    );
    let height = 40.0 + 2.0 * (MAX_ROWS as f64 * ROW_STEP + 20.0) + 30.0;
    let frame = Frame {
        id: "timeline",
        height,
        title: "Incident timeline",
        description: &description,
        empty: "No alerts or changes yet",
        empty_y: 60.0,
    };
    let (mut out, axis) = match open_chart(&frame, events.iter().map(|e| e.at)) {
        Ok(chart) => chart,
        Err(empty) => return empty,
    };
    let mut alerts = Lane::new(40.0);
    let mut changes = Lane::new(40.0 + MAX_ROWS as f64 * ROW_STEP + 20.0);
    for (lane, name) in [(&alerts, "Alerts"), (&changes, "Changes")] {
        let _ = write!(
            out,
            r#"<text class="lane-label" x="8" y="{}">{name}</text><line class="lane" x1="{LEFT}" x2="{}" y1="{}" y2="{}"/>"#,
            lane.y + 4.0,
            WIDTH - RIGHT,
            lane.y,
            lane.y
        );
    }
    for event in events {
        let x = axis.x(event.at);
        let tooltip = escape_xml(&format!("{} — {}", short_time(event.at), event.label));
        match event.kind {
            TimelineKind::Alert => {
                let y = alerts.place(x);
                let severity = event.severity.map_or("unknown", |s| s.as_str());
                let _ = write!(
                    out,
                    r#"<g class="mark alert sev-{severity}" data-testid="timeline-mark" data-kind="alert"><title>{tooltip}</title><circle cx="{x:.1}" cy="{y:.1}" r="{MARK_RADIUS}"/></g>"#
                );
            }
            TimelineKind::Change => {
                let y = changes.place(x);
                let r = MARK_RADIUS;
                let _ = write!(
                    out,
                    r#"<g class="mark change" data-testid="timeline-mark" data-kind="change"><title>{tooltip}</title><path d="M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z"/></g>"#,
                    y - r,
                    x + r,
                    y + r,
                    x - r
                );
            }
        }
    }
    out.push_str(&axis.labels(height - 10.0));
    out.push_str("</svg>");
    out
}

/// The lag chart of the sync health page: one line per direction, lag (seconds) against time.
pub fn lag_chart_svg(samples: &[LagSample]) -> String {
    const HEIGHT: f64 = 220.0;
    const TOP: f64 = 30.0;
    const BOTTOM: f64 = HEIGHT - 40.0;
    let mut directions: Vec<&str> = Vec::new();
    for s in samples {
        if !directions.contains(&s.direction.as_str()) {
            directions.push(&s.direction);
        }
    }
    let description = format!("Sync lag of {} directions over time", directions.len());
    let frame = Frame {
        id: "lag-chart",
        height: HEIGHT,
        title: "Sync lag over time",
        description: &description,
        empty: "No lag readings yet",
        empty_y: 100.0,
    };
    let (mut out, axis) = match open_chart(&frame, samples.iter().map(|s| s.at)) {
        Ok(chart) => chart,
        Err(empty) => return empty,
    };
    let max_lag = samples
        .iter()
        .map(|s| s.lag_seconds)
        .fold(1.0_f64, f64::max);
    let y_of = |lag: f64| BOTTOM - (BOTTOM - TOP) * lag.max(0.0) / max_lag;
    let _ = write!(
        out,
        r#"<line class="lane" x1="{LEFT}" x2="{}" y1="{BOTTOM}" y2="{BOTTOM}"/><text class="axis-label" x="8" y="{}">{}</text><text class="axis-label" x="8" y="{BOTTOM}">0 s</text>"#,
        WIDTH - RIGHT,
        TOP + 4.0,
        escape_xml(&short_duration(max_lag))
    );
    for (index, direction) in directions.iter().enumerate() {
        let mut series: Vec<&LagSample> = samples
            .iter()
            .filter(|s| s.direction == *direction)
            .collect();
        series.sort_by_key(|s| s.at);
        let points: Vec<String> = series
            .iter()
            .map(|s| format!("{:.1},{:.1}", axis.x(s.at), y_of(s.lag_seconds)))
            .collect();
        let _ = write!(
            out,
            r#"<g class="series series-{index}" data-testid="lag-series"><title>{name}</title><polyline points="{}"/><text class="legend" x="{}" y="16">{name}</text></g>"#,
            points.join(" "),
            LEFT + 180.0 * index as f64,
            name = escape_xml(direction)
        );
    }
    out.push_str(&axis.labels(HEIGHT - 10.0));
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::view::Severity;

    #[test]
    fn charts_without_readings_say_so_and_close() {
        let timeline = timeline_svg(&[]);
        assert!(timeline.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" id="timeline""#));
        assert!(
            timeline.ends_with(r#"<text class="empty" x="480" y="60" text-anchor="middle">No alerts or changes yet</text></svg>"#),
            "{timeline}"
        );
        let lag = lag_chart_svg(&[]);
        assert!(lag.contains(r#"<title id="lag-chart-title">Sync lag over time</title>"#));
        assert!(
            lag.ends_with(r#"<text class="empty" x="480" y="100" text-anchor="middle">No lag readings yet</text></svg>"#),
            "{lag}"
        );
    }

    fn event(minute: i64, kind: TimelineKind) -> TimelineEvent {
        TimelineEvent {
            at: Utc.with_ymd_and_hms(2026, 11, 24, 6, 0, 0).unwrap() + Duration::minutes(minute),
            kind,
            severity: (kind == TimelineKind::Alert).then_some(Severity::High),
            label: format!("event at minute {minute}"),
        }
    }

    /// The (x, y) of every circle centre in an SVG, in document order.
    fn circle_centres(svg: &str) -> Vec<(f64, f64)> {
        let number = |rest: &str, name: &str| -> f64 {
            let start = rest.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            rest[start..start + rest[start..].find('"').unwrap()]
                .parse()
                .unwrap()
        };
        svg.match_indices("<circle ")
            .map(|(at, _)| (number(&svg[at..], "cx"), number(&svg[at..], "cy")))
            .collect()
    }

    #[test]
    fn later_events_sit_further_right() {
        let svg = timeline_svg(&[
            event(0, TimelineKind::Alert),
            event(30, TimelineKind::Alert),
            event(60, TimelineKind::Alert),
        ]);
        let xs: Vec<f64> = circle_centres(&svg).into_iter().map(|(x, _)| x).collect();
        assert_eq!(xs.len(), 3);
        assert!(xs[0] < xs[1] && xs[1] < xs[2], "{xs:?}");
        assert!(xs[0] >= LEFT && xs[2] <= WIDTH - RIGHT);
    }

    #[test]
    fn simultaneous_alerts_are_stacked_not_hidden() {
        let svg = timeline_svg(&[event(5, TimelineKind::Alert), event(5, TimelineKind::Alert)]);
        let centres = circle_centres(&svg);
        assert_eq!(centres.len(), 2);
        assert_eq!(centres[0].0, centres[1].0);
        assert_ne!(centres[0].1, centres[1].1);
    }

    #[test]
    fn empty_charts_say_so() {
        assert!(timeline_svg(&[]).contains("No alerts or changes yet"));
        assert!(lag_chart_svg(&[]).contains("No lag readings yet"));
    }

    #[test]
    fn labels_are_escaped_in_tooltips() {
        let mut hostile = event(0, TimelineKind::Change);
        hostile.label = "</title><script>x</script>".into();
        let svg = timeline_svg(&[hostile]);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;/title&gt;&lt;script&gt;"));
    }
}
