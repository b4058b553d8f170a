//! Every environment variable the analyzer reads, in one place.

/// Set (to anything) to print phase timings on stderr: a profiling aid, never part of a report.
pub const TIMINGS: &str = "CODER_SEC_TIMINGS";

/// Set to a non-empty value to turn colour off (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";

/// Whether [`TIMINGS`] asks for phase timings.
pub fn timings_enabled() -> bool {
    std::env::var_os(TIMINGS).is_some()
}

/// Whether colour is allowed: [`NO_COLOR`] is unset or empty.
pub fn color_allowed() -> bool {
    std::env::var_os(NO_COLOR).is_none_or(|v| v.is_empty())
}
