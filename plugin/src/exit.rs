//! The exit codes of `kubectl coder-sec`, documented in the README, the plugin README and `--help`.

/// Exit code: the capture is complete (or the subcommand succeeded).
pub const EXIT_COMPLETE: u8 = 0;
/// Exit code: the capture or command failed; nothing was written at the target.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: usage error (bad flag, unknown context, unreadable kubeconfig).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the snapshot was written but has blind spots (kinds forbidden or unreadable).
pub const EXIT_BLIND_SPOTS: u8 = 3;
/// Exit code: interrupted by Ctrl-C (SIGINT); nothing was written at the target. SIGTERM exits 143
/// and SIGHUP 129 (128 + the signal), with nothing written either.
pub const EXIT_INTERRUPTED: u8 = 130;
