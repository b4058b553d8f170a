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

/// The `tracing` target of phase timings.
pub const TIMINGS_TARGET: &str = "coder_sec::timings";

/// Installs the diagnostics subscriber for a binary: the libraries' `tracing` events on stderr,
/// warnings and errors always, phase timings ([`TIMINGS_TARGET`]) when [`TIMINGS`] is set. Both
/// binaries call it first; a second call does nothing.
pub fn init_diagnostics() {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt as _;
    let timings = if timings_enabled() {
        LevelFilter::INFO
    } else {
        LevelFilter::OFF
    };
    let filter = Targets::new()
        .with_default(LevelFilter::WARN)
        .with_target(TIMINGS_TARGET, timings);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .with_level(false);
    let subscriber = tracing_subscriber::registry().with(layer).with(filter);
    let _ = tracing::subscriber::set_global_default(subscriber);
}
