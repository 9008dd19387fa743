//! Progress of long archive work: a bar on stderr when stderr is a terminal and the user did not
//! ask for JSON, nothing at all otherwise (a pipe or a log gets no control characters). It shows
//! byte counts only, never content.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A byte-count progress bar that may be hidden.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    /// Bytes of earlier items (inputs or archives) already done.
    base: std::cell::Cell<u64>,
}

impl Progress {
    /// A bar over `total` bytes (a spinner with a byte count when unknown), shown only on a
    /// terminal and only when `json` is false.
    pub fn new(total: Option<u64>, json: bool) -> Self {
        let visible = !json && std::io::stderr().is_terminal();
        let bar = match total {
            Some(total) => ProgressBar::new(total).with_style(bar_style()),
            None => ProgressBar::new_spinner().with_style(spinner_style()),
        };
        if !visible {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        Self {
            bar,
            base: std::cell::Cell::new(0),
        }
    }

    /// Names the item being worked on.
    pub fn item(&self, name: impl Into<std::borrow::Cow<'static, str>>) {
        self.bar.set_message(name);
    }

    /// Sets the bytes done within the current item.
    pub fn update(&self, done: u64) {
        self.bar.set_position(self.base.get().saturating_add(done));
    }

    /// Closes the current item after `bytes`; the next item's counts start after it.
    pub fn item_done(&self, bytes: u64) {
        self.base.set(self.base.get().saturating_add(bytes));
        self.bar.set_position(self.base.get());
    }
}

impl Drop for Progress {
    /// Removes the bar from the terminal, on success and failure alike.
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{msg:30!} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg:30!} {bytes} {binary_bytes_per_sec}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
}
