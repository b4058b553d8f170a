//! For the workspace's tests: what a test does when a tool or data set it needs is missing.

/// The environment variable that makes a missing test tool a failure instead of a skip. `.ci/run`
/// sets it, so that CI never passes a test it did not run.
pub const REQUIRE_TEST_TOOLS: &str = "CODER_SEC_REQUIRE_TEST_TOOLS";

/// Called by a test that cannot run because `what` is missing (kubectl, the external data): prints
/// `skipped: WHAT` so the run says so, or panics when [`REQUIRE_TEST_TOOLS`] is set to a non-empty
/// value.
pub fn skip_unless_required(what: &str) {
    if std::env::var_os(REQUIRE_TEST_TOOLS).is_some_and(|v| !v.is_empty()) {
        panic!("{what}, and {REQUIRE_TEST_TOOLS} says every test must run");
    }
    println!("skipped: {what}");
}
