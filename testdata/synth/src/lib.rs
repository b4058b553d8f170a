//! `coder-sec-synth`: synthetic Kubernetes clusters for coder-sec's scale benchmarks.
//!
//! The data's path:
//!
//! ```text
//! Size + seed ─▶ generate (plan, then stream objects) ─┬─▶ write_snapshot: trim + redact ─▶ .tar.zst
//!                                                      └─▶ write_scenario: List JSON files per kind
//!                                   planted paths ─────────▶ expected.json
//! ```
//!
//! Same size and seed, same bytes. Objects are streamed one at a time, so memory stays bounded at
//! every size. See `docs/benchmarks.md` for the sizes and shapes.

pub mod cli;
mod cluster;
mod cluster_rbac;
mod coder;
mod emit;
mod expected;
mod generate;
mod nodes;
mod objects;
mod planted;
mod rng;
mod scenario;
mod size;
mod snapshot;
mod tenants;
mod time;
mod workloads;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

pub use expected::{EXPECTED_FILE, Expected, GeneratorInfo, expected_path_for_snapshot};
pub use generate::generate;
pub use nodes::MAX_PODS_PER_NODE;
pub use planted::{PlantedPath, PlantedStep};
pub use scenario::{CHUNK_BYTES, write_scenario};
pub use size::{Size, SizeTargets};
pub use snapshot::write_snapshot;
pub use time::CAPTURED_AT;

/// What a generation produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Objects per `kind`.
    pub counts: BTreeMap<String, u64>,
    /// The planted attack paths.
    pub planted: Vec<PlantedPath>,
}

impl Summary {
    /// Total number of objects.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}

/// A failure writing a snapshot, scenario folder or `expected.json`.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The snapshot writer failed.
    #[error("cannot write the snapshot")]
    Archive(#[from] coder_sec_model::archive::ArchiveError),
    /// A file or folder could not be written.
    #[error("cannot write `{path}`")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// An object or `expected.json` could not be serialised.
    #[error("cannot serialise JSON for `{path}`")]
    Json {
        /// The file being written.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The generator produced a kind the snapshot format does not know (a bug in the generator).
    #[error("the generator produced `{api_version} {kind}`, which the snapshot kind table lacks")]
    UnknownKind {
        /// `apiVersion` of the object.
        api_version: String,
        /// `kind` of the object.
        kind: String,
    },
    /// The scenario folder exists and is not empty.
    #[error("`{path}` exists and is not empty; remove it or pick another folder")]
    ScenarioExists {
        /// The folder.
        path: PathBuf,
    },
}
