//! Progress on stderr. On a terminal: one line per kind with its running count (plain under
//! `NO_COLOR`). Elsewhere (a CI log, a pipe): a line when each phase starts and a summary line every
//! few seconds, so a long capture is never silent. Nothing with `--quiet`, or in tests that ask for
//! [`Progress::hidden`].

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Seconds between progress lines when stderr is not a terminal, unless
/// `CODER_SEC_PROGRESS_INTERVAL` says otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Nothing.
    Hidden,
    /// Live bars on a terminal.
    Bars,
    /// Lines: one per phase, one every `interval`.
    Lines {
        /// Time between summary lines.
        interval: Duration,
    },
}

/// The display of one capture. Clones share it.
#[derive(Clone)]
pub struct Progress {
    multi: MultiProgress,
    style: ProgressStyle,
    mode: Mode,
    lines: Arc<Lines>,
}

/// What the line mode knows: the running steps and how many ended.
struct Lines {
    running: Mutex<Vec<ProgressBar>>,
    done: AtomicU64,
    started: Instant,
    stopped: AtomicBool,
}

impl Progress {
    /// A display on stderr: bars when stderr is a terminal, lines every `interval` otherwise,
    /// nothing unless `visible`.
    pub fn stderr(visible: bool, color: bool, interval: Duration) -> Self {
        let mode = match (visible, std::io::stderr().is_terminal()) {
            (false, _) => Mode::Hidden,
            (true, true) => Mode::Bars,
            (true, false) => Mode::Lines { interval },
        };
        Self::with_mode(mode, color)
    }

    /// A display that draws nothing.
    pub fn hidden() -> Self {
        Self::with_mode(Mode::Hidden, false)
    }

    /// A display in `mode`; line mode starts its ticker.
    pub fn with_mode(mode: Mode, color: bool) -> Self {
        let target = if mode == Mode::Bars {
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
        let progress = Progress {
            multi: MultiProgress::with_draw_target(target),
            style,
            mode,
            lines: Arc::new(Lines {
                running: Mutex::new(Vec::new()),
                done: AtomicU64::new(0),
                started: Instant::now(),
                stopped: AtomicBool::new(false),
            }),
        };
        if let Mode::Lines { interval } = mode {
            let lines = progress.lines.clone();
            std::thread::spawn(move || tick(&lines, interval));
        }
        progress
    }

    /// Whether live bars are drawn.
    pub fn is_visible(&self) -> bool {
        self.mode == Mode::Bars
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// A line for one step (a kind, the Coder API, ...).
    pub fn line(&self, label: &str) -> ProgressBar {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(self.style.clone());
        bar.set_prefix(label.to_string());
        match self.mode {
            Mode::Bars => bar.enable_steady_tick(Duration::from_millis(120)),
            Mode::Lines { .. } => {
                if let Ok(mut running) = self.lines.running.lock() {
                    running.push(bar.clone());
                }
            }
            Mode::Hidden => {}
        }
        bar
    }

    /// Ends a step's line: its spinner goes, a permanent line with its count and `status` stays
    /// above the running ones.
    pub fn finish(&self, bar: &ProgressBar, status: &str) {
        let label = bar.prefix();
        let count = bar.position();
        bar.finish_and_clear();
        match self.mode {
            Mode::Bars => {
                let _ = self
                    .multi
                    .println(format!("  {label:<48} {count:>9} {status}"));
            }
            Mode::Lines { .. } => {
                if let Ok(mut running) = self.lines.running.lock() {
                    running.retain(|b| !b.is_finished());
                }
                self.lines.done.fetch_add(1, Ordering::Relaxed);
            }
            Mode::Hidden => {}
        }
    }

    /// Announces a phase (`writing the snapshot archive`): a line above the bars, or a line of its
    /// own.
    pub fn phase(&self, what: &str) {
        match self.mode {
            Mode::Bars => {
                let _ = self.multi.println(format!("  {what}"));
            }
            Mode::Lines { .. } => {
                let elapsed = self.lines.started.elapsed().as_secs();
                let _ = writeln!(std::io::stderr().lock(), "progress [{elapsed}s]: {what}");
            }
            Mode::Hidden => {}
        }
    }

    /// Prints `warning: {message}` on stderr in every mode (above the bars on a terminal).
    pub fn warn(&self, message: &str) {
        if self.mode == Mode::Bars {
            let _ = self.multi.println(format!("warning: {message}"));
        } else {
            let _ = writeln!(std::io::stderr().lock(), "warning: {message}");
        }
    }

    /// Removes every bar and stops the line ticker.
    pub fn clear(&self) {
        self.lines.stopped.store(true, Ordering::Relaxed);
        let _ = self.multi.clear();
    }
}

/// Prints a summary line every `interval` until the display is cleared.
fn tick(lines: &Lines, interval: Duration) {
    let mut next = Instant::now() + interval;
    while !lines.stopped.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50).min(interval));
        if Instant::now() < next || lines.stopped.load(Ordering::Relaxed) {
            continue;
        }
        next += interval;
        let line = summary(lines);
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// `progress [12s]: 14 steps done; running: Pod 1,500, Secret 20`.
fn summary(lines: &Lines) -> String {
    let elapsed = lines.started.elapsed().as_secs();
    let done = lines.done.load(Ordering::Relaxed);
    let running: Vec<String> = lines
        .running
        .lock()
        .map(|r| {
            r.iter()
                .filter(|b| !b.is_finished())
                .map(|b| format!("{} {}", b.prefix(), b.position()))
                .collect()
        })
        .unwrap_or_default();
    if running.is_empty() {
        format!("progress [{elapsed}s]: {done} steps done")
    } else {
        format!(
            "progress [{elapsed}s]: {done} steps done; running: {}",
            running.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_running_steps_and_counts_finished_ones() {
        let progress = Progress::with_mode(
            Mode::Lines {
                interval: Duration::from_secs(3600),
            },
            false,
        );
        let pods = progress.line("Pod");
        pods.set_position(1500);
        let secrets = progress.line("Secret");
        progress.finish(&secrets, "done");
        let line = summary(&progress.lines);
        assert!(line.ends_with("1 steps done; running: Pod 1500"), "{line}");
        progress.clear();
    }
}
