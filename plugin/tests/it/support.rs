//! Helpers shared by the end-to-end tests: servers, running the plugin, reading snapshots back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use coder_sec_model::archive::read_json_lines;
use coder_sec_model::format::Manifest;
use coder_sec_model::{ReadLimits, SnapshotReader};
use coder_sec_test_apiserver::{Faults, IdentitySpec, ServerOptions, TestServer};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The plugin binary cargo built for these tests.
pub fn plugin_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kubectl-coder_sec"))
}

/// A path under the repository's `testdata/`.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata")
        .join(rel)
}

/// The scenarios every capture test serves: the model's canaries plus the Coder install around them.
pub fn scenarios() -> Vec<PathBuf> {
    vec![
        testdata("scenarios/canaries"),
        testdata("scenarios/capture-coder"),
    ]
}

/// Every string that must never appear in a snapshot: the model's canary list, this scenario's, and
/// the fake Coder API's.
pub fn needles() -> Vec<String> {
    use coder_sec_model::redact::scan::parse_needle_list;
    let mut out = Vec::new();
    for file in [
        "scenarios/canaries/needles.tsv",
        "scenarios/capture-coder/needles.txt",
    ] {
        let text = std::fs::read_to_string(testdata(file)).unwrap();
        out.extend(
            parse_needle_list(&text)
                .into_iter()
                .map(|(needle, _)| needle),
        );
    }
    out.extend(
        coder_sec_test_coder_api::CANARIES
            .iter()
            .map(|c| c.to_string()),
    );
    assert!(out.len() > 50, "too few needles: {}", out.len());
    out
}

/// A running test API server and a kubeconfig for it, in a temporary folder.
pub struct Cluster {
    pub server: TestServer,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

impl Cluster {
    pub async fn start(identities: Vec<IdentitySpec>, faults: Faults) -> Cluster {
        let options = ServerOptions {
            scenarios: scenarios(),
            identities,
            faults,
            ..ServerOptions::default()
        };
        let server = TestServer::start(options)
            .await
            .expect("test API server starts");
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        server.write_kubeconfig(&kubeconfig).unwrap();
        Cluster {
            server,
            dir,
            kubeconfig,
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `kubectl-coder_sec capture ARGS --kubeconfig K -o OUT` against this cluster, with its
    /// private `HOME`.
    pub fn capture(&self, args: &[&str], out: &Path) -> Command {
        let mut c = plugin(self.dir.path());
        c.arg("capture")
            .args(args)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("-o")
            .arg(out);
        c
    }
}

/// Runs a command on a blocking thread, so the in-process servers keep serving.
pub async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("command runs"))
        .await
        .unwrap()
}

/// The plugin binary with a clean environment: no `KUBECONFIG`, a private `HOME`.
pub fn plugin(home: &Path) -> Command {
    let mut c = Command::new(plugin_bin());
    c.env_remove("KUBECONFIG")
        .env_remove("CODER_SESSION_TOKEN")
        .env("HOME", home);
    c
}

pub fn describe(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A snapshot read back: manifest, each entry's bytes, and the hash mismatches found.
pub struct Snapshot {
    pub manifest: Manifest,
    pub files: BTreeMap<String, Vec<u8>>,
    pub mismatches: Vec<String>,
}

impl Snapshot {
    pub fn read(path: &Path) -> Snapshot {
        let reader = SnapshotReader::open(path, ReadLimits::default()).expect("snapshot opens");
        let mut files = BTreeMap::new();
        let (manifest, mismatches) = reader
            .read_entries(|info, r| {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(r, &mut bytes).map_err(|e| e.to_string())?;
                files.insert(info.path.clone(), bytes);
                Ok(())
            })
            .expect("snapshot reads");
        Snapshot {
            manifest,
            files,
            mismatches: mismatches.iter().map(ToString::to_string).collect(),
        }
    }

    /// The JSON values of a file: each line of a `.jsonl`, or the one document of a `.json`.
    pub fn values(&self, path: &str) -> Vec<Value> {
        let bytes = self
            .files
            .get(path)
            .unwrap_or_else(|| panic!("`{path}` is in the snapshot"));
        if path.ends_with(".jsonl") {
            let mut out = Vec::new();
            read_json_lines(
                Path::new("snapshot"),
                path,
                &mut &bytes[..],
                1 << 26,
                |_, v| {
                    out.push(v);
                    Ok(())
                },
            )
            .unwrap();
            out
        } else {
            vec![serde_json::from_slice(bytes).unwrap()]
        }
    }

    pub fn document(&self, path: &str) -> Value {
        self.values(path).remove(0)
    }

    /// Needles found anywhere: in every parsed value (decoded recursively) and in the raw text.
    pub fn find_needles(&self, needles: &[String]) -> Vec<(String, String)> {
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        let mut found = Vec::new();
        let manifest = serde_json::to_value(&self.manifest).unwrap();
        for n in coder_sec_model::redact::scan::find_needles(&manifest, &needles) {
            found.push(("manifest.json".to_string(), n));
        }
        for (path, bytes) in &self.files {
            let text = String::from_utf8_lossy(bytes);
            for n in coder_sec_model::redact::scan::find_needles_in_text(&text, &needles) {
                found.push((path.clone(), n));
            }
            if path.ends_with(".json") || path.ends_with(".jsonl") {
                for value in self.values(path) {
                    for n in coder_sec_model::redact::scan::find_needles(&value, &needles) {
                        found.push((path.clone(), n));
                    }
                }
            }
        }
        found.sort();
        found.dedup();
        found
    }

    /// Objects per kind label (`pods`, `deployments.apps`), as the manifest counts them.
    pub fn kind_counts(&self) -> BTreeMap<String, usize> {
        self.manifest
            .kinds
            .iter()
            .filter(|k| k.count > 0)
            .map(|k| {
                let spec = coder_sec_model::kinds::lookup(
                    &if k.group.is_empty() {
                        k.version.clone()
                    } else {
                        format!("{}/{}", k.group, k.version)
                    },
                    &k.kind,
                )
                .unwrap();
                (spec.label(), k.count as usize)
            })
            .collect()
    }

    /// sha256 of each file with redaction fingerprints blanked (they differ per snapshot by design).
    pub fn normalized_hashes(&self) -> BTreeMap<String, String> {
        self.files
            .iter()
            .map(|(path, bytes)| {
                let text = blank_fingerprints(&String::from_utf8_lossy(bytes));
                (path.clone(), hex::encode(Sha256::digest(text.as_bytes())))
            })
            .collect()
    }
}

/// Replaces every `<redacted fp=HEX len=N>` with `<redacted fp=* len=N>`.
pub fn blank_fingerprints(text: &str) -> String {
    const PREFIX: &str = "<redacted fp=";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(PREFIX) {
        out.push_str(&rest[..at + PREFIX.len()]);
        rest = &rest[at + PREFIX.len()..];
        let hex_len = rest
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len());
        out.push('*');
        rest = &rest[hex_len..];
    }
    out.push_str(rest);
    out
}

/// Server object counts with the empty kinds left out.
pub fn server_counts(server: &TestServer) -> BTreeMap<String, usize> {
    server
        .object_counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
}
