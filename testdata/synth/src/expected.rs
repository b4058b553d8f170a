//! `expected.json`: the planted attack paths and the object counts, for the benchmark and the tests to
//! check answers against. It is shaped as an empty Kubernetes `List` (extra fields beside `items`), so
//! manifest loaders reading the scenario folder skip it instead of failing on it.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{PlantedPath, Size, Summary, SynthError};

/// File name of the expectations inside a scenario folder.
pub const EXPECTED_FILE: &str = "expected.json";

/// Who generated the cluster, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratorInfo {
    /// `coder-sec-synth`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// `small`, `kubehound` or `large`.
    pub size: String,
    /// The seed.
    pub seed: u64,
}

/// The content of `expected.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    /// Always `v1`.
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Always `List`.
    pub kind: String,
    /// Always empty: nothing for a manifest loader to read.
    pub items: Vec<serde_json::Value>,
    /// The generator and its inputs.
    pub generator: GeneratorInfo,
    /// Objects per kind.
    pub counts: std::collections::BTreeMap<String, u64>,
    /// The planted attack paths.
    pub planted: Vec<PlantedPath>,
}

impl Expected {
    /// The expectations of a generation.
    pub fn new(size: Size, seed: u64, summary: &Summary) -> Self {
        Expected {
            api_version: "v1".into(),
            kind: "List".into(),
            items: Vec::new(),
            generator: GeneratorInfo {
                name: env!("CARGO_PKG_NAME").into(),
                version: env!("CARGO_PKG_VERSION").into(),
                size: size.name().into(),
                seed,
            },
            counts: summary.counts.clone(),
            planted: summary.planted.clone(),
        }
    }
}

/// `<OUT>.expected.json` beside a snapshot `<OUT>`.
pub fn expected_path_for_snapshot(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.as_os_str().to_owned();
    name.push(".expected.json");
    PathBuf::from(name)
}

/// Writes `expected.json` atomically.
pub(crate) fn write(path: &Path, expected: &Expected) -> Result<(), SynthError> {
    let io = |source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = serde_json::to_vec_pretty(expected).map_err(|source| SynthError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    bytes.push(b'\n');
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".coder-sec-synth-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(&dir).map_err(io)?;
    tmp.write_all(&bytes).map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}
