//! Every environment variable the plugin reads, in one place, read once into [`Env`].

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// Colon-separated list of kubeconfig files, merged "first wins" as kubectl does.
pub const KUBECONFIG: &str = "KUBECONFIG";
/// The Coder session token for `--coder-url` (sent as the `Coder-Session-Token` header).
pub const CODER_SESSION_TOKEN: &str = "CODER_SESSION_TOKEN";
/// Any non-empty value turns colour off (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";
/// Home folder, for `~/.kube/config`.
pub const HOME: &str = "HOME";
/// Seconds between progress lines when stderr is not a terminal (default 5).
pub const PROGRESS_INTERVAL: &str = "CODER_SEC_PROGRESS_INTERVAL";
/// For tests only: milliseconds the capture blocks just before it writes the archive, so that a
/// signal can be sent deterministically while the archive phase runs. Never set it otherwise.
pub const TEST_ARCHIVE_PAUSE_MS: &str = "CODER_SEC_TEST_ARCHIVE_PAUSE_MS";

/// The environment as the plugin sees it. Built from the process once; tests build their own.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `KUBECONFIG`.
    pub kubeconfig: Option<OsString>,
    /// `CODER_SESSION_TOKEN`.
    pub coder_session_token: Option<String>,
    /// Whether `NO_COLOR` is set to a non-empty value.
    pub no_color: bool,
    /// `HOME`.
    pub home: Option<PathBuf>,
    /// `CODER_SEC_PROGRESS_INTERVAL`, when a positive number of seconds.
    pub progress_interval: Option<Duration>,
    /// `CODER_SEC_TEST_ARCHIVE_PAUSE_MS` (tests only).
    pub archive_pause: Option<Duration>,
}

impl Env {
    /// Reads the process environment.
    pub fn from_process() -> Self {
        Env {
            kubeconfig: std::env::var_os(KUBECONFIG).filter(|v| !v.is_empty()),
            coder_session_token: std::env::var(CODER_SESSION_TOKEN)
                .ok()
                .filter(|v| !v.trim().is_empty()),
            no_color: std::env::var_os(NO_COLOR).is_some_and(|v| !v.is_empty()),
            home: std::env::var_os(HOME)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            progress_interval: number(PROGRESS_INTERVAL).map(Duration::from_secs),
            archive_pause: number(TEST_ARCHIVE_PAUSE_MS).map(Duration::from_millis),
        }
    }
}

/// A positive whole number from the environment variable `name`.
fn number(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
}
