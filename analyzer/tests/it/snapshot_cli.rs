//! Scenario tests of the snapshot commands (`import`, `inspect`, `verify`) through the real binary,
//! the committed demo snapshot, and imports of the external data nobody here wrote.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use coder_sec_model::import::{ImportOptions, import_paths};
use coder_sec_model::{ReadLimits, SnapshotReader};

use super::support::{coder_sec, root, text};

/// Every file of a snapshot except the manifest, with redaction fingerprints blanked (they use a
/// random key per snapshot by design).
fn resource_files(path: &Path) -> BTreeMap<String, String> {
    let reader = SnapshotReader::open(path, ReadLimits::default()).unwrap();
    let mut files = BTreeMap::new();
    let (_, mismatches) = reader
        .read_entries(|info, r| {
            let mut s = String::new();
            r.read_to_string(&mut s).map_err(|e| e.to_string())?;
            files.insert(info.path.clone(), blank_fingerprints(&s));
            Ok(())
        })
        .unwrap();
    assert!(mismatches.is_empty(), "{mismatches:?}");
    files
}

fn blank_fingerprints(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(coder_sec_model::redact::MARKER_PREFIX) {
        let start = i + coder_sec_model::redact::MARKER_PREFIX.len();
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let hex_len = tail.chars().take_while(char::is_ascii_hexdigit).count();
        out.push('*');
        rest = &tail[hex_len..];
    }
    out.push_str(rest);
    out
}

/// Imports the demo scenario into `dir/name`.
fn import_demo(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(name);
    import_paths(
        &[root().join("testdata/scenarios/demo")],
        &out,
        &ImportOptions::default(),
    )
    .unwrap();
    out
}

#[test]
fn committed_demo_snapshot_matches_a_fresh_import() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = import_demo(dir.path(), "demo.tar.zst");
    let committed = resource_files(&root().join("testdata/snapshots/demo.tar.zst"));
    let fresh = resource_files(&fresh);
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        fresh.keys().collect::<Vec<_>>(),
        "the demo snapshot is stale: rebuild it with the command in testdata/snapshots/README.md"
    );
    for (path, body) in &fresh {
        assert!(
            committed[path] == *body,
            "`{path}` differs from a fresh import: rebuild the demo snapshot with the command in \
             testdata/snapshots/README.md"
        );
    }
}

#[test]
fn import_inspect_verify_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo.tar.zst");
    let o = coder_sec(&[
        "import",
        "testdata/scenarios/demo",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("objects of"),
        "{}",
        text(&o.stderr)
    );

    let o = coder_sec(&["inspect", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let shown = text(&o.stdout);
    for needle in [
        "format      1.1 (import",
        "integrity   every file matches the manifest",
        "Pod",
        "complete",
        "redaction",
        "by path",
        "kept literals outside typed fields",
        "blind spots",
    ] {
        assert!(shown.contains(needle), "`{needle}` missing from:\n{shown}");
    }

    let o = coder_sec(&["inspect", "--json", out.to_str().unwrap()]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["manifest"]["format-version"], "1.1");
    assert_eq!(v["integrity-problems"], serde_json::json!([]));
    assert!(
        v["manifest"]["redaction"]["paths"]
            .as_object()
            .is_some_and(|p| !p.is_empty())
    );
    assert!(
        v["manifest"]["redaction"]["kept"]
            .as_object()
            .is_some_and(|k| !k.is_empty())
    );
    assert_eq!(v["manifest"]["source"], "import");
    assert!(v["objects"].as_u64().unwrap() > 10);
    assert!(v["archive-bytes"].as_u64().unwrap() > 0);
    let pods = v["manifest"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "Pod")
        .unwrap();
    assert_eq!(pods["status"], "complete");
    assert_eq!(pods["sha256"].as_str().unwrap().len(), 64);

    let o = coder_sec(&["verify", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("ok:"));
}

#[test]
fn verify_lists_each_mismatch_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let good = import_demo(dir.path(), "good.tar.zst");
    // Rewrite the archive with two files altered and the manifest kept.
    let bad = dir.path().join("bad.tar.zst");
    let mut decoder = zstd::stream::Decoder::new(std::fs::File::open(&good).unwrap()).unwrap();
    let mut tar_bytes = Vec::new();
    decoder.read_to_end(&mut tar_bytes).unwrap();
    let mut archive = tar::Archive::new(&tar_bytes[..]);
    let mut builder = tar::Builder::new(Vec::new());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).unwrap();
        if path.ends_with("pods.jsonl") || path.ends_with("nodes.jsonl") {
            body.extend_from_slice(b"{\"added\":true}\n");
        }
        let mut header = tar::Header::new_ustar();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, &path, &body[..]).unwrap();
    }
    let tar_out = builder.into_inner().unwrap();
    let mut encoder = zstd::Encoder::new(Vec::new(), 3).unwrap();
    encoder.include_checksum(true).unwrap();
    std::io::Write::write_all(&mut encoder, &tar_out).unwrap();
    std::fs::write(&bad, encoder.finish().unwrap()).unwrap();

    let o = coder_sec(&["verify", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("pods.jsonl") && out.contains("nodes.jsonl"),
        "{out}"
    );
    // Each file's hash, and its object count.
    assert_eq!(
        out.lines().filter(|l| l.starts_with("mismatch:")).count(),
        4,
        "{out}"
    );
    assert!(out.contains("10 objects, manifest says 9"), "{out}");
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.tar.zst");
    std::fs::write(&garbage, b"not a snapshot").unwrap();
    for cmd in ["inspect", "verify"] {
        let o = coder_sec(&[cmd, garbage.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        let err = text(&o.stderr);
        assert!(
            err.starts_with("error: ") && err.contains("garbage.tar.zst"),
            "{err}"
        );
    }
    let o = coder_sec(&["inspect", "/nonexistent/x.tar.zst"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("/nonexistent/x.tar.zst"));

    let yaml = dir.path().join("broken.yaml");
    std::fs::write(
        &yaml,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nkind: [\n",
    )
    .unwrap();
    let out = dir.path().join("o.tar.zst");
    let o = coder_sec(&[
        "import",
        yaml.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("broken.yaml") && err.contains("document 2"),
        "{err}"
    );
    assert!(!out.exists(), "a failed import left a file at the target");

    let o = coder_sec(&["import", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "missing PATH is a usage error");
    let o = coder_sec(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn import_defaults_namespace_and_counts_unknown_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("in.yaml");
    std::fs::write(
        &yaml,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n---\n\
         apiVersion: v1\nkind: Node\nmetadata: {name: n, namespace: stray}\n---\n\
         apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
    )
    .unwrap();
    let out = dir.path().join("o.tar.zst");
    let o = coder_sec(&[
        "import",
        yaml.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--namespace",
        "team-a",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let files = resource_files(&out);
    assert!(files["resources/core/v1/pods.jsonl"].contains("\"namespace\":\"team-a\""));
    assert!(!files["resources/core/v1/nodes.jsonl"].contains("stray"));
    // Pods without spec.nodeName are kept, unscheduled.
    assert!(files["resources/core/v1/pods.jsonl"].contains("\"name\":\"p\""));
    let manifest = SnapshotReader::open(&out, ReadLimits::default())
        .unwrap()
        .manifest()
        .clone();
    assert_eq!(
        manifest.unknown_kinds.get("example.com/v1 Widget"),
        Some(&1)
    );
}

#[test]
fn help_teaches_each_subcommand() {
    for (cmd, needles) in [
        (
            "import",
            &[
                "kubectl get",
                "--namespace",
                "--force",
                "--strict",
                "Examples:",
            ][..],
        ),
        ("inspect", &["--json", "blind spots", "Example:"][..]),
        ("verify", &["sha256", "Exit 0", "Example:"][..]),
    ] {
        let o = coder_sec(&[cmd, "--help"]);
        assert!(o.status.success());
        let help = text(&o.stdout);
        for n in needles {
            assert!(
                help.contains(n),
                "`coder-sec {cmd} --help` lacks `{n}`:\n{help}"
            );
        }
    }
    let o = coder_sec(&["--help"]);
    assert!(text(&o.stdout).contains("Exit codes"));
}

// --- external data ------------------------------------------------------------------------------

fn external() -> Option<PathBuf> {
    match std::env::var_os("CODER_SEC_EXTERNAL_DATA") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            coder_sec_model::testing::skip_unless_required("CODER_SEC_EXTERNAL_DATA not set");
            None
        }
    }
}

/// Counts objects per `apiVersion kind` with a plain YAML parse, independently of the importer:
/// `List` items count one each, empty documents none.
fn count_documents(files: &[PathBuf]) -> BTreeMap<String, u64> {
    use serde::Deserialize as _;
    let mut counts = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        for doc in serde_yaml_ng::Deserializer::from_str(&text) {
            let v = serde_yaml_ng::Value::deserialize(doc).unwrap();
            let kind = |v: &serde_yaml_ng::Value| {
                format!(
                    "{} {}",
                    v["apiVersion"].as_str().unwrap_or(""),
                    v["kind"].as_str().unwrap_or("")
                )
            };
            if v.is_null() {
                continue;
            }
            if v["kind"].as_str() == Some("List") {
                for item in v["items"].as_sequence().unwrap() {
                    *counts.entry(kind(item)).or_default() += 1;
                }
            } else {
                *counts.entry(kind(&v)).or_default() += 1;
            }
        }
    }
    counts
}

fn files_with(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    out.sort();
    out
}

/// The label a `apiVersion kind` key folds to: the kind table's label for known kinds (any version),
/// the key itself for unknown ones.
fn fold(key: &str) -> String {
    let (api_version, kind) = key.split_once(' ').unwrap();
    coder_sec_model::kinds::lookup(api_version, kind).map_or_else(|| key.to_string(), |s| s.label())
}

/// Imports `files` and checks every object landed: per kind, the snapshot's count equals the
/// independent count (objects of unknown kinds counted under `unknown-kinds`).
fn assert_all_objects_land(files: &[PathBuf]) {
    assert!(!files.is_empty());
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for (key, n) in count_documents(files) {
        *expected.entry(fold(&key)).or_default() += n;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ext.tar.zst");
    import_paths(files, &out, &ImportOptions::default()).unwrap();
    let manifest = SnapshotReader::open(&out, ReadLimits::default())
        .unwrap()
        .manifest()
        .clone();
    let mut actual: BTreeMap<String, u64> = BTreeMap::new();
    for (key, n) in &manifest.unknown_kinds {
        *actual.entry(fold(key)).or_default() += n;
    }
    for k in manifest.kinds.iter().filter(|k| k.path.is_some()) {
        let api_version = if k.group.is_empty() {
            k.version.clone()
        } else {
            format!("{}/{}", k.group, k.version)
        };
        *actual
            .entry(fold(&format!("{api_version} {}", k.kind)))
            .or_default() += k.count;
    }
    assert_eq!(
        actual, expected,
        "objects lost or invented importing {files:?}"
    );
}

#[test]
fn external_kubehound_attacks_import_completely() {
    let Some(ext) = external() else { return };
    assert_all_objects_land(&files_with(&ext.join("kubehound-attacks"), ".yaml"));
}

#[test]
fn external_bootstrap_rbac_imports_completely() {
    let Some(ext) = external() else { return };
    assert_all_objects_land(&files_with(&ext.join("k8s-bootstrap-rbac"), ".yaml"));
}

#[test]
fn external_coder_helm_goldens_import_completely() {
    let Some(ext) = external() else { return };
    let base = ext.join("coder-helm-golden");
    for dir in ["coder", "coder-newer", "provisioner"] {
        let files = files_with(&base.join(dir), ".golden");
        assert!(!files.is_empty(), "no goldens in {dir}");
        // One import per render: each golden is a whole release.
        for file in files {
            assert_all_objects_land(std::slice::from_ref(&file));
        }
    }
}

#[test]
fn demo_snapshot_holds_none_of_the_demo_secrets() {
    let key =
        std::fs::read_to_string(root().join("testdata/scenarios/demo/10-coder.yaml")).unwrap();
    // The TLS private key's base64 body, as planted in the scenario.
    let tls_key = key
        .lines()
        .find_map(|l| l.trim().strip_prefix("tls.key: "))
        .unwrap()
        .to_string();
    let needles = [
        "demo-oidc-client-secret-value",
        "demo-github-client-secret",
        "demo-db-password",
        "demo-registry-password",
        "demo-agent-token",
        "@example.com",
        tls_key.as_str(),
    ];
    let files = resource_files(&root().join("testdata/snapshots/demo.tar.zst"));
    // The decoder sees every needle in the scenario itself...
    let mut scenario = String::new();
    for f in [
        "00-cluster.yaml",
        "10-coder.yaml",
        "20-workspaces.yaml",
        "30-tenants.yaml",
    ] {
        scenario.push_str(
            &std::fs::read_to_string(root().join("testdata/scenarios/demo").join(f)).unwrap(),
        );
    }
    let seen = coder_sec_model::redact::scan::find_needles_in_text(&scenario, &needles);
    assert_eq!(
        seen.len(),
        needles.len(),
        "the decoder misses a planted value: {seen:?}"
    );
    // ...and none in the snapshot (alice@example.com is a binding subject, not personal data here).
    for (path, body) in files {
        let body = body.replace("User/alice@example.com", "");
        let body = body.replace("\"name\":\"alice@example.com\"", "");
        let found = coder_sec_model::redact::scan::find_needles_in_text(&body, &needles);
        assert!(found.is_empty(), "`{path}` holds {found:?}");
    }
}
