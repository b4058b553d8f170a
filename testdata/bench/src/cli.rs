//! Command-line flags of `coder-sec-bench` (its `--help` is these doc comments).

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use coder_sec_synth::Size;

/// Scale benchmark of coder-sec: per size, the analysis against the floor (decompress and parse the
/// snapshot), our capture against sequential `kubectl get -o json` calls on the test API server, the
/// snapshot's size against the raw JSON served, and how all of it grows with the cluster.
///
/// Prints one Markdown table on stdout (progress on stderr). Generated inputs are cached under
/// `target/bench-data/SIZE-SEED/`. Build the whole workspace first (the test API server and the
/// plugin are run from the folder this binary is in):
///
/// cargo build --release --workspace && target/release/coder-sec-bench --size small --size kubehound
/// --size large --json docs/benchmarks.json
#[derive(Debug, Parser)]
#[command(
    name = "coder-sec-bench",
    version,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Cluster size to measure; repeatable (measured in the order given).
    #[arg(long = "size", value_enum, value_name = "NAME")]
    pub sizes: Vec<Size>,

    /// Also write the results as JSON here, with the machine's cores and memory.
    #[arg(long, value_name = "OUT")]
    pub json: Option<PathBuf>,

    /// Generator seed.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Where generated inputs are cached (default: `bench-data` in the target folder this binary was
    /// built into).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Folder holding `coder-sec-test-apiserver` and `kubectl-coder_sec` (default: this binary's
    /// folder).
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,

    /// The kubectl to compare with; when it cannot be run, the kubectl figures are null.
    #[arg(long, value_name = "PATH", default_value = "kubectl")]
    pub kubectl: PathBuf,

    /// Skip the capture and kubectl part (analysis and floor only).
    #[arg(long)]
    pub no_capture: bool,

    /// Run each timed phase this many times and keep the fastest run (peak RSS: the largest).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub runs: u32,

    /// Kill the analysis after this many seconds and record it as not finished (its peak RSS until
    /// then, and the phases it finished, are kept).
    #[arg(long, value_name = "SECONDS")]
    pub analyze_timeout: Option<f64>,

    /// A measured phase, run in a child process (internal).
    #[command(subcommand)]
    pub phase: Option<PhaseCommand>,
}

/// The hidden subcommand a child process runs.
#[derive(Debug, Subcommand)]
pub enum PhaseCommand {
    /// Runs one measured phase and prints its result as one JSON line.
    #[command(name = "__phase", hide = true)]
    Phase {
        /// The phase.
        #[command(subcommand)]
        phase: Phase,
    },
}

/// A phase measured in its own process.
#[derive(Debug, Subcommand)]
pub enum Phase {
    /// The floor: decompress the snapshot and parse every object line into memory.
    Floor {
        /// The snapshot.
        snapshot: PathBuf,
    },
    /// The full analysis (load, graph, paths, findings, JSON report written to OUTPUT).
    Analyze {
        /// The snapshot.
        snapshot: PathBuf,
        /// Where the JSON report goes.
        output: PathBuf,
    },
    /// A path query (`coder-sec paths SNAPSHOT --to Virtual/cluster-admin`).
    Query {
        /// The snapshot.
        snapshot: PathBuf,
    },
    /// Runs a command and reports its wall time, exit code and peak RSS.
    Exec {
        /// The command and its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<OsString>,
    },
    /// Sequential `kubectl get RESOURCE -A -o json --chunk-size=500` calls, stdout counted.
    Kubectl {
        /// kubectl.
        #[arg(long)]
        kubectl: PathBuf,
        /// The kubeconfig.
        #[arg(long)]
        kubeconfig: PathBuf,
        /// kubectl's HOME (its discovery cache).
        #[arg(long)]
        home: PathBuf,
        /// Resources (`pods`, `deployments.apps`, ...).
        resources: Vec<String>,
    },
}
