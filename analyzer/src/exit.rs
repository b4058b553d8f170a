//! The exit codes of `coder-sec`, documented in the README and in `--help`.

/// Exit code: clean (no finding at or above `--fail-on`, every hash matches).
pub const EXIT_CLEAN: u8 = 0;
/// Exit code: findings or paths at or above `--fail-on`, or hash mismatches for `verify`.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage or input error.
pub const EXIT_ERROR: u8 = 2;
