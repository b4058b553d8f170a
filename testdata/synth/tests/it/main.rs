//! Integration tests of `coder-sec-synth`, on the `small` size only (the others are measured by hand
//! in release mode; see `docs/benchmarks.md`).

mod cli;
mod outputs;
mod planted;
mod shapes;
mod support;
