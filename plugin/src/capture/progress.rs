//! Progress on stderr: one line per kind with its running count. Hidden when stderr is not a
//! terminal, with `--quiet`, or in tests; plain (no colour) under `NO_COLOR`.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The progress display of one capture.
#[derive(Clone)]
pub struct Progress {
    multi: MultiProgress,
    style: ProgressStyle,
    visible: bool,
}

impl Progress {
    /// A display on stderr, drawn only when `visible` and stderr is a terminal.
    pub fn stderr(visible: bool, color: bool) -> Self {
        let visible = visible && std::io::stderr().is_terminal();
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let template = if color {
            "{spinner:.cyan} {prefix:<48} {pos:>9} {msg:.dim}"
        } else {
            "{spinner} {prefix:<48} {pos:>9} {msg}"
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        Progress {
            multi: MultiProgress::with_draw_target(target),
            style,
            visible,
        }
    }

    /// A display that draws nothing.
    pub fn hidden() -> Self {
        Progress {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
            style: ProgressStyle::default_spinner(),
            visible: false,
        }
    }

    /// Whether anything is drawn.
    pub fn is_visible(&self) -> bool {
        self.visible
    }

    /// A line for one step (a kind, the Coder API, ...).
    pub fn line(&self, label: &str) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(self.style.clone());
        bar.set_prefix(label.to_string());
        if self.visible {
            bar.enable_steady_tick(Duration::from_millis(120));
        }
        bar
    }

    /// Ends a step's line: its spinner goes, a permanent line with its count and `status` stays
    /// above the running ones.
    pub fn finish(&self, bar: &ProgressBar, status: &str) {
        let label = bar.prefix();
        let count = bar.position();
        bar.finish_and_clear();
        if self.visible {
            let _ = self
                .multi
                .println(format!("  {label:<48} {count:>9} {status}"));
        }
    }

    /// Removes every bar.
    pub fn clear(&self) {
        let _ = self.multi.clear();
    }
}
