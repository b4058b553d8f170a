//! Command-line flags. Their doc comments are the `--help` text.

use std::path::PathBuf;

use clap::Parser;

use crate::Size;

/// Generate a synthetic Kubernetes cluster with Coder for coder-sec's scale benchmarks: a snapshot or
/// a scenario folder, plus `expected.json` listing the planted attack paths.
///
/// The same size and seed always give byte-identical output.
///
/// Examples:
///
///   coder-sec-synth --size large --snapshot /tmp/large.tar.zst
///
///   coder-sec-synth --size small --seed 7 --scenario /tmp/small-7
#[derive(Debug, Parser)]
#[command(name = "coder-sec-synth", version, verbatim_doc_comment)]
pub struct Cli {
    /// Cluster size: small (1k pods, 20 nodes), kubehound (25k pods, 250 nodes) or large (150k pods,
    /// 5k nodes, 10k namespaces).
    #[arg(long, value_enum)]
    pub size: Size,

    /// Seed of the generator; every choice (names, placement, planted paths) follows from it.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Write a snapshot archive (.tar.zst) here, with `<OUT>.expected.json` beside it.
    #[arg(
        long,
        value_name = "OUT",
        required_unless_present = "scenario",
        conflicts_with = "scenario"
    )]
    pub snapshot: Option<PathBuf>,

    /// Write a scenario folder here (JSON `List` files per kind, `expected.json` inside); it must not
    /// exist or be empty.
    #[arg(long, value_name = "DIR")]
    pub scenario: Option<PathBuf>,
}
