//! Progress bars on stderr, fed by the model's one progress callback shape; hidden when stderr is not a terminal.

use custodia_model::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar (or spinner) for one long step. indicatif draws nothing when stderr is not a terminal, so tests and
/// pipes see no progress output.
pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    /// A bar labelled `label`.
    pub fn new(label: &str) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style =
            ProgressStyle::with_template("{spinner} {prefix}: {human_pos}/{human_len} {wide_bar} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(label.to_owned());
        Self { bar }
    }

    /// A callback in the model's shape that moves the bar.
    pub fn callback(&self) -> impl FnMut(Progress) + '_ {
        move |p: Progress| {
            if let Some(total) = p.total() {
                self.bar.set_length(total);
            }
            self.bar.set_position(p.done());
            tracing::trace!(phase = ?p.phase(), done = p.done(), "progress");
        }
    }

    /// Sets the total known in advance.
    pub fn set_total(&self, total: u64) {
        self.bar.set_length(total);
    }

    /// Moves to `done`.
    pub fn set(&self, done: u64) {
        self.bar.set_position(done);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
