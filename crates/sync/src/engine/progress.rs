//! Progress of a backfill, one tick per page of XDR incidents.

use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

/// Told about each page a backfill syncs.
pub trait PageProgress: Send + Sync {
    /// A page of `items` incidents was synced.
    fn page(&self, items: usize);
    /// The backfill is over.
    fn finish(&self);
}

/// A terminal progress bar (on stderr) counting pages and incidents.
#[derive(Debug)]
pub struct BackfillBar {
    bar: ProgressBar,
    incidents: AtomicUsize,
}

impl BackfillBar {
    /// A bar that starts at zero pages.
    pub fn new() -> Self {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} backfill: {pos} page(s), {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message("0 incident(s)");
        BackfillBar {
            bar,
            incidents: AtomicUsize::new(0),
        }
    }
}

impl Default for BackfillBar {
    fn default() -> Self {
        Self::new()
    }
}

impl PageProgress for BackfillBar {
    fn page(&self, items: usize) {
        self.bar.inc(1);
        let total = self.incidents.fetch_add(items, Ordering::Relaxed) + items;
        self.bar.set_message(format!("{total} incident(s)"));
    }

    fn finish(&self) {
        self.bar.finish();
    }
}
