//! Command-line flags of the `coder-sec-test-apiserver` binary (its `--help` is these doc comments).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use coder_sec_test_apiserver::{Faults, ServerOptions, parse_identity, read_identities_file};

/// Serve Kubernetes scenario files over the real Kubernetes REST API (HTTPS), for kubectl and kube-rs.
///
/// Prints the bound address (`https://127.0.0.1:PORT`) on stdout once ready, logs to stderr, and runs
/// until killed.
#[derive(Debug, Parser)]
#[command(name = "coder-sec-test-apiserver", version)]
pub struct Args {
    /// Scenario file or folder (YAML or JSON manifests, Lists, kubectl output); repeatable.
    #[arg(long = "scenario", value_name = "PATH")]
    pub scenarios: Vec<PathBuf>,

    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,

    /// Write a kubeconfig for the server here: one context per identity, the first one current.
    #[arg(long, value_name = "PATH")]
    pub write_kubeconfig: Option<PathBuf>,

    /// An identity `NAME:TOKEN[:user=U,groups=G1;G2,deny=secrets;ns:kube-system]`; repeatable.
    /// Without identities, one `admin` (token `admin-token`, group `system:masters`) is served.
    #[arg(long = "identity", value_name = "SPEC")]
    pub identities: Vec<String>,

    /// A file of identities, one SPEC per line (`#` starts a comment line); they come before
    /// `--identity` ones.
    #[arg(long, value_name = "PATH")]
    pub identities_file: Option<PathBuf>,

    /// Share of resource requests answered 429 TooManyRequests (Retry-After: 1), 0 to 1.
    #[arg(long = "fault-429", value_name = "RATE", default_value_t = 0.0)]
    pub fault_429: f64,

    /// Share of resource requests answered 500 InternalError, 0 to 1.
    #[arg(long = "fault-500", value_name = "RATE", default_value_t = 0.0)]
    pub fault_500: f64,

    /// Share of resource requests whose connection is closed without an answer, 0 to 1.
    #[arg(long = "fault-drop", value_name = "RATE", default_value_t = 0.0)]
    pub fault_drop: f64,

    /// Also fault and delay /version, discovery and access reviews.
    #[arg(long)]
    pub fault_discovery: bool,

    /// Continue tokens expire after N pages of one list (the next page is answered 410 Expired).
    #[arg(long, value_name = "N")]
    pub expire_continue_after: Option<u32>,

    /// Milliseconds added before answering each resource request.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,

    /// Seed of the fault generator (same seed, same faults for a sequential client).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub seed: u64,

    /// gitVersion answered on /version.
    #[arg(long, value_name = "VERSION", default_value = "v1.32.4")]
    pub server_version: String,

    /// Log every request to stderr.
    #[arg(short, long)]
    pub verbose: bool,
}

impl Args {
    /// Resolves the flags into server options.
    pub fn options(&self) -> anyhow::Result<ServerOptions> {
        let mut identities = Vec::new();
        if let Some(path) = &self.identities_file {
            identities.extend(read_identities_file(path)?);
        }
        for spec in &self.identities {
            identities.push(parse_identity(spec).with_context(|| "in `--identity`".to_string())?);
        }
        for (flag, rate) in [
            ("--fault-429", self.fault_429),
            ("--fault-500", self.fault_500),
            ("--fault-drop", self.fault_drop),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                anyhow::bail!("`{flag}` must be between 0 and 1, not {rate}");
            }
        }
        Ok(ServerOptions {
            scenarios: self.scenarios.clone(),
            identities,
            faults: Faults {
                rate_429: self.fault_429,
                rate_500: self.fault_500,
                rate_drop: self.fault_drop,
                expire_continue_after_pages: self.expire_continue_after,
                latency: Duration::from_millis(self.latency_ms),
                seed: self.seed,
                include_discovery: self.fault_discovery,
            },
            server_version: self.server_version.clone(),
            log_requests: self.verbose,
        })
    }
}
