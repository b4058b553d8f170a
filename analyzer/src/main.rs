//! The `coder-sec` binary.
fn main() {}
