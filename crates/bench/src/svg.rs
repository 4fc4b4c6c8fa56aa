//! Small hand-written SVG charts that sit next to a run's JSON: a latency histogram and a progress
//! line chart. Plain text output, no plotting library: a fixed canvas, axes with a few ticks, one colour
//! per series and a legend.

use std::fmt::Write as _;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 48.0;
const COLOURS: [&str; 4] = ["#2563eb", "#dc2626", "#16a34a", "#9333ea"];
const BINS: usize = 30;

/// One named series of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// The legend text.
    pub name: String,
    /// The points: values for a histogram, `(x, y)` pairs for a line chart.
    pub points: Vec<(f64, f64)>,
}

/// A histogram of every series' values (the `x` of each point), in bins up to the largest value.
pub fn histogram(title: &str, x_label: &str, series: &[Series]) -> String {
    let top = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let width = top / BINS as f64;
    let counts: Vec<Vec<f64>> = series
        .iter()
        .map(|s| {
            let mut bins = vec![0.0; BINS];
            for (value, _) in &s.points {
                let bin = ((value / width) as usize).min(BINS - 1);
                bins[bin] += 1.0;
            }
            bins
        })
        .collect();
    let peak = counts.iter().flatten().fold(1.0_f64, |a, b| a.max(*b));
    let mut svg = Canvas::new(title, x_label, "changes", (0.0, top), (0.0, peak));
    let slot = svg.plot_width() / BINS as f64;
    let bar = slot / series.len().max(1) as f64;
    for (i, bins) in counts.iter().enumerate() {
        for (b, count) in bins.iter().enumerate() {
            if *count > 0.0 {
                let x = LEFT + b as f64 * slot + i as f64 * bar;
                let (_, y) = svg.at(0.0, *count);
                let _ = writeln!(
                    svg.body,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"/>"#,
                    (bar - 1.0).max(0.5),
                    HEIGHT - BOTTOM - y,
                    COLOURS[i % COLOURS.len()]
                );
            }
        }
    }
    svg.finish(series)
}

/// A line chart of every series' `(x, y)` points.
pub fn lines(title: &str, x_label: &str, y_label: &str, series: &[Series]) -> String {
    let points = series.iter().flat_map(|s| s.points.iter());
    let (x_max, y_max) = points.fold((1e-9_f64, 1e-9_f64), |(x, y), p| (x.max(p.0), y.max(p.1)));
    let mut svg = Canvas::new(title, x_label, y_label, (0.0, x_max), (0.0, y_max));
    for (i, s) in series.iter().enumerate() {
        let path: Vec<String> = s
            .points
            .iter()
            .map(|&(x, y)| {
                let (px, py) = svg.at(x, y);
                format!("{px:.1},{py:.1}")
            })
            .collect();
        let _ = writeln!(
            svg.body,
            r#"<polyline fill="none" stroke-width="2" stroke="{}" points="{}"/>"#,
            COLOURS[i % COLOURS.len()],
            path.join(" ")
        );
    }
    svg.finish(series)
}

/// The frame every chart shares: title, axes, ticks and legend.
struct Canvas {
    body: String,
    x: (f64, f64),
    y: (f64, f64),
}

impl Canvas {
    fn new(title: &str, x_label: &str, y_label: &str, x: (f64, f64), y: (f64, f64)) -> Canvas {
        let mut body = String::new();
        let _ = writeln!(
            body,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(body, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(
            body,
            r#"<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#,
            WIDTH / 2.0,
            escape(title)
        );
        let mut canvas = Canvas { body, x, y };
        canvas.axes(x_label, y_label);
        canvas
    }

    fn plot_width(&self) -> f64 {
        WIDTH - LEFT - RIGHT
    }

    /// Canvas coordinates of a data point.
    fn at(&self, x: f64, y: f64) -> (f64, f64) {
        let fx = (x - self.x.0) / (self.x.1 - self.x.0).max(1e-9);
        let fy = (y - self.y.0) / (self.y.1 - self.y.0).max(1e-9);
        (
            LEFT + fx * self.plot_width(),
            HEIGHT - BOTTOM - fy * (HEIGHT - TOP - BOTTOM),
        )
    }

    fn axes(&mut self, x_label: &str, y_label: &str) {
        let (x0, y0) = (LEFT, HEIGHT - BOTTOM);
        let _ = writeln!(
            self.body,
            r#"<path d="M{x0} {TOP} V{y0} H{}" stroke="black" fill="none"/>"#,
            WIDTH - RIGHT
        );
        for step in 0..=4 {
            let f = f64::from(step) / 4.0;
            let (xv, yv) = (
                self.x.0 + f * (self.x.1 - self.x.0),
                self.y.0 + f * (self.y.1 - self.y.0),
            );
            let (px, _) = self.at(xv, 0.0);
            let (_, py) = self.at(0.0, yv);
            let _ = writeln!(
                self.body,
                r#"<text x="{px:.1}" y="{}" text-anchor="middle">{}</text>"#,
                y0 + 16.0,
                tick(xv)
            );
            let _ = writeln!(
                self.body,
                r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
                x0 - 6.0,
                py + 4.0,
                tick(yv)
            );
        }
        let _ = writeln!(
            self.body,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            LEFT + self.plot_width() / 2.0,
            HEIGHT - 10.0,
            escape(x_label)
        );
        let _ = writeln!(
            self.body,
            r#"<text x="14" y="{}" text-anchor="middle" transform="rotate(-90 14 {})">{}</text>"#,
            HEIGHT / 2.0,
            HEIGHT / 2.0,
            escape(y_label)
        );
    }

    fn finish(mut self, series: &[Series]) -> String {
        for (i, s) in series.iter().enumerate() {
            let y = TOP + 4.0 + i as f64 * 16.0;
            let x = WIDTH - RIGHT - 220.0;
            let _ = writeln!(
                self.body,
                r#"<rect x="{x}" y="{y}" width="10" height="10" fill="{}"/><text x="{}" y="{}">{}</text>"#,
                COLOURS[i % COLOURS.len()],
                x + 16.0,
                y + 9.0,
                escape(&s.name)
            );
        }
        self.body.push_str("</svg>\n");
        self.body
    }
}

/// A tick label: whole numbers plainly, small ones with two decimals.
fn tick(value: f64) -> String {
    if value >= 10.0 || value == value.round() {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// Escapes text for an SVG text node.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, points: &[(f64, f64)]) -> Series {
        Series {
            name: name.into(),
            points: points.to_vec(),
        }
    }

    #[test]
    fn histogram_draws_a_bar_per_filled_bin_and_escapes_names() {
        let svg = histogram(
            "latency",
            "ms",
            &[series(
                "xdr -> siem <a&b>",
                &[(10.0, 0.0), (10.0, 0.0), (900.0, 0.0)],
            )],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(
            svg.matches("<rect x=").count(),
            2 + 1,
            "two bars and one legend swatch"
        );
        assert!(svg.contains("xdr -&gt; siem &lt;a&amp;b&gt;"));
    }

    #[test]
    fn lines_draw_one_polyline_per_series() {
        let svg = lines(
            "backfill",
            "s",
            "incidents",
            &[
                series("tandem", &[(0.0, 0.0), (2.0, 50.0)]),
                series("floor", &[(1.0, 50.0)]),
            ],
        );
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains(&format!("{LEFT:.1},{:.1}", HEIGHT - BOTTOM)));
    }
}
