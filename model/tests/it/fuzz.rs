//! Fuzz targets on stable Rust: proptest feeds each target mutated seeds and arbitrary bytes, and each
//! must end in a value or an error, never a panic, a hang or memory without bound. Errors must not
//! carry control characters: no message quotes the input raw.
//!
//! `cargo test` runs a few dozen cases of each, from fixed seeds (deterministic). `fuzz/run.sh
//! MINUTES` runs each target for that long (`CODER_SEC_FUZZ_SECONDS`, fresh seeds each round), and a
//! failure prints the shrunk input: add it to `testdata/fuzz/<target>/` and [`regressions`] replays it
//! in every run from then on.

use std::io::{Cursor, Read as _, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

use coder_sec_model::archive::read_json_lines;
use coder_sec_model::format::parse_manifest;
use coder_sec_model::import::{ImportOptions, import_documents};
use coder_sec_model::manifests::parse_bytes;
use coder_sec_model::{
    KINDS, Manifest, ReadLimits, Redactor, SnapshotReader, SnapshotWriter, Source, prepare_object,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::{Value, json};

// --- the runner -----------------------------------------------------------------------------------

/// Cases per round: `CODER_SEC_FUZZ_CASES`, else a few dozen (CI).
fn cases() -> u32 {
    std::env::var("CODER_SEC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
}

/// Runs `target` over `strategy`: one round from a fixed seed, or rounds from fresh seeds until
/// `CODER_SEC_FUZZ_SECONDS` have passed.
fn fuzz<S>(name: &str, strategy: S, target: impl Fn(&S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    let deadline = std::env::var("CODER_SEC_FUZZ_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(|s| Instant::now() + Duration::from_secs(s));
    let mut round: u64 = 0;
    let mut total: u64 = 0;
    loop {
        let mut seed = [0u8; 32];
        let salt = match deadline {
            // Fresh inputs every run when fuzzing for a while.
            Some(_) => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
            None => 0,
        };
        seed[..8].copy_from_slice(&(round ^ salt).to_le_bytes());
        seed[8..8 + name.len().min(24)].copy_from_slice(&name.as_bytes()[..name.len().min(24)]);
        let config = Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        };
        let mut runner =
            TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        if let Err(e) = runner.run(&strategy, |v| target(&v)) {
            panic!("fuzz target `{name}` failed (round {round}): {e}");
        }
        round += 1;
        total += u64::from(cases());
        if deadline.is_none_or(|d| Instant::now() >= d) {
            break;
        }
    }
    if deadline.is_some() {
        eprintln!("fuzz target `{name}`: {total} cases in {round} rounds, no failure");
    }
}

/// One change to a seed.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Set { at: usize, byte: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Delete { at: usize, len: usize },
    Truncate { at: usize },
    Duplicate { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        2 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..24))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        1 => (any::<usize>(), 1usize..600).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = bytes.len().max(1);
        match m {
            Mutation::Flip { at, bit } if !bytes.is_empty() => bytes[at % n] ^= 1 << bit,
            Mutation::Set { at, byte } if !bytes.is_empty() => bytes[at % n] = *byte,
            Mutation::Insert { at, bytes: new } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, new.iter().copied());
            }
            Mutation::Delete { at, len } if !bytes.is_empty() => {
                let at = at % n;
                let end = (at + len).min(bytes.len());
                bytes.drain(at..end);
            }
            Mutation::Truncate { at } => bytes.truncate(at % (bytes.len() + 1)),
            Mutation::Duplicate { at, len } if !bytes.is_empty() => {
                let at = at % n;
                let end = (at + len).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(end..end, copy);
            }
            _ => {}
        }
    }
    bytes
}

/// Inputs: a seed with a few mutations, or arbitrary bytes.
fn inputs(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    prop_oneof![
        6 => (0..n, prop::collection::vec(mutation(), 1..6))
            .prop_map(move |(i, m)| apply(seeds[i].clone(), &m)),
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ]
}

/// An error's whole chain, checked to carry no control character (so no raw input).
fn check_message(e: &dyn std::error::Error) -> Result<(), TestCaseError> {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    prop_assert!(
        !text.chars().any(char::is_control),
        "a message carries a control character: {text:?}"
    );
    Ok(())
}

// --- seeds ----------------------------------------------------------------------------------------

/// A small snapshot: two kinds (one read out of order), a Coder file, a forbidden kind.
fn sample_snapshot() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("seed.tar.zst");
    let mut writer = SnapshotWriter::create(&target).unwrap();
    let pods = coder_sec_model::kinds::lookup("v1", "Pod").unwrap();
    let mut spool = writer.spool_kind(pods).unwrap();
    for (ns, name) in [("coder", "coder-1"), ("a", "web"), ("coder", "coder-0")] {
        spool
            .push(&json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"namespace": ns, "name": name, "labels": {"app": "x"}},
                "spec": {"containers": [{"name": "c", "image": "busybox",
                    "env": [{"name": "MODE", "value": "on"}]}]}}))
            .unwrap();
    }
    writer.add_kind(pods, spool.finish().unwrap());
    let sa = coder_sec_model::kinds::lookup("v1", "ServiceAccount").unwrap();
    let mut spool = writer.spool_kind(sa).unwrap();
    spool
        .push(&json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"namespace": "coder", "name": "coder"}}))
        .unwrap();
    writer.add_kind(sa, spool.finish().unwrap());
    let mut file = writer.spool("coder/deployments.json".into()).unwrap();
    file.push_raw(br#"{"coderd":["coder/coder"]}"#).unwrap();
    writer.add_file(file.finish().unwrap(), "coderd deployments");
    writer.add_unread_kind(
        coder_sec_model::kinds::lookup("v1", "Secret").unwrap(),
        coder_sec_model::KindStatus::Forbidden,
        "secrets is forbidden",
    );
    writer
        .finish(Manifest::new("fuzz", "0", Source::Capture))
        .unwrap();
    std::fs::read(target).unwrap()
}

const YAML_SEED: &str = r#"apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: coder
type: Opaque
stringData:
  url: postgres://coder:hunter2@db:5432/coder
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coder, namespace: coder}
spec:
  selector: {matchLabels: {app: coder}}
  template:
    metadata: {labels: {app: coder}}
    spec:
      containers:
      - name: coder
        image: ghcr.io/coder/coder:v2.20.0
        env:
        - {name: CODER_PG_CONNECTION_URL, value: "postgres://u:p@db/c"}
        - {name: CODER_ACCESS_URL, value: https://coder.example.com}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapRoles: |
    - rolearn: arn:aws:iam::1:role/x
      groups: [system:masters]
"#;

const JSON_SEED: &str = r#"{"apiVersion":"v1","kind":"List","items":[
{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"b"},
 "roleRef":{"kind":"ClusterRole","name":"cluster-admin"},"subjects":[{"kind":"Group","name":"devs"}]},
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","annotations":{"token":"ghp_abcdefghijklmnopqrstuvwxyz0123456789"}},
 "spec":{"containers":[{"name":"c","args":["--password=s3cret"]}]}}]}"#;

// --- targets --------------------------------------------------------------------------------------

fn small_limits() -> ReadLimits {
    ReadLimits {
        max_total_bytes: 4 << 20,
        max_entry_bytes: 1 << 20,
        max_manifest_bytes: 1 << 20,
        ratio_grace_bytes: 64 << 10,
        max_entries: 64,
        max_line_bytes: 256 << 10,
        ..ReadLimits::default()
    }
}

/// The archive reader over arbitrary bytes: opened, every entry read as JSON Lines.
fn archive_target(bytes: &[u8]) -> Result<(), TestCaseError> {
    let path = Path::new("fuzz.tar.zst");
    let reader = match SnapshotReader::from_reader(
        path,
        Box::new(Cursor::new(bytes.to_vec())),
        small_limits(),
    ) {
        Ok(r) => r,
        Err(e) => return check_message(&e),
    };
    let outcome = reader.stream(|info, r| {
        if info.path.ends_with(".jsonl") {
            read_json_lines(path, &info.path, r, 256 << 10, |_, _| Ok(()))
                .map_err(|e| e.to_string())?;
        } else {
            std::io::copy(r, &mut std::io::sink()).map_err(|e| e.to_string())?;
        }
        Ok(())
    });
    match outcome {
        Ok(o) => {
            for m in &o.mismatches {
                let text = m.to_string();
                prop_assert!(!text.chars().any(char::is_control), "{text:?}");
            }
            Ok(())
        }
        Err(e) => check_message(&e),
    }
}

/// Arbitrary tar bytes inside a sound zstd frame: reaches the tar and entry rules.
fn tar_target(tar: &[u8]) -> Result<(), TestCaseError> {
    let mut enc = zstd::stream::Encoder::new(Vec::new(), 1).unwrap();
    enc.include_checksum(true).unwrap();
    enc.write_all(tar).unwrap();
    archive_target(&enc.finish().unwrap())
}

fn manifest_target(bytes: &[u8]) -> Result<(), TestCaseError> {
    match parse_manifest(bytes) {
        Ok(m) => {
            // What parses serialises again and parses to the same manifest.
            let again = parse_manifest(&serde_json::to_vec(&m).unwrap()).unwrap();
            prop_assert_eq!(again, m);
            Ok(())
        }
        Err(e) => check_message(&e),
    }
}

/// The importer over arbitrary file content: what it writes, its own reader accepts.
fn import_target(bytes: &[u8]) -> Result<(), TestCaseError> {
    let docs = match parse_bytes("fuzz.yaml", bytes) {
        Ok(d) => d,
        Err(_) => return Ok(()),
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("import.tar.zst");
    let options = ImportOptions {
        captured_at: Some("2026-01-01T00:00:00Z".into()),
        ..ImportOptions::default()
    };
    if import_documents(docs, &out, &options).is_err() {
        prop_assert!(!out.exists(), "a failed import left a snapshot");
        return Ok(());
    }
    let reader = SnapshotReader::open(&out, ReadLimits::default())
        .map_err(|e| TestCaseError::fail(format!("import wrote what its reader refuses: {e}")))?;
    let (_, mismatches) = reader
        .read_entries(|info, r| {
            if info.path.ends_with(".jsonl") {
                read_json_lines(&out, &info.path, r, 64 << 20, |_, _| Ok(()))
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        })
        .map_err(|e| TestCaseError::fail(format!("import wrote what its reader refuses: {e}")))?;
    prop_assert!(mismatches.is_empty(), "{mismatches:?}");
    Ok(())
}

/// Redaction over arbitrary objects: never panics, and the kind it names is the object's.
fn redact_target(object: &Value) -> Result<(), TestCaseError> {
    let redactor = Redactor::with_key([7; 32]);
    let mut object = object.clone();
    let spec = prepare_object(&mut object, &redactor);
    if let Some(spec) = spec {
        prop_assert_eq!(object["kind"].as_str(), Some(spec.kind));
    }
    serde_json::to_vec(&object).unwrap();
    Ok(())
}

/// JSON objects shaped like Kubernetes objects of every kind, with keys and values the redaction
/// rules look at.
fn objects() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "data",
        "stringData",
        "binaryData",
        "env",
        "value",
        "valueFrom",
        "name",
        "args",
        "command",
        "annotations",
        "labels",
        "metadata",
        "spec",
        "template",
        "containers",
        "initContainers",
        "volumes",
        "secret",
        "type",
        "items",
        "key",
        "mapRoles",
        "mapUsers",
        "values",
        "release",
        "auths",
        "password",
        "token",
        "url",
        "tls.crt",
        "tls.key",
        ".dockerconfigjson",
        "x",
    ]);
    let strings = prop_oneof![
        prop::sample::select(vec![
            "",
            "hunter2",
            "postgres://u:p@h/db",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig",
            "c2VjcmV0",
            "H4sIAAAAAAAA",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "true",
            "8080",
            "<redacted fp=0123456789abcdef len=3>",
            "kubernetes.io/dockerconfigjson",
            "helm.sh/release.v1",
        ])
        .prop_map(str::to_string),
        ".{0,40}",
    ];
    let leaf = prop_oneof![
        strings.prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ];
    let tree = leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..6).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    });
    (prop::sample::select(KINDS.to_vec()), tree).prop_map(|(spec, body)| {
        let mut object = match body {
            Value::Object(m) => m,
            other => [("spec".to_string(), other)].into_iter().collect(),
        };
        object.insert("apiVersion".into(), spec.api_version().into());
        object.insert("kind".into(), spec.kind.into());
        object
            .entry("metadata")
            .or_insert_with(|| json!({"name": "n", "namespace": "ns"}));
        Value::Object(object)
    })
}

// --- the tests ------------------------------------------------------------------------------------

#[test]
fn fuzz_archive_reader() {
    fuzz("archive", inputs(vec![sample_snapshot()]), |b| {
        archive_target(b)
    });
}

#[test]
fn fuzz_archive_tar_layer() {
    let tar = zstd::stream::decode_all(&sample_snapshot()[..]).unwrap();
    fuzz("tar", inputs(vec![tar]), |b| tar_target(b));
}

#[test]
fn fuzz_manifest_parser() {
    let tar = zstd::stream::decode_all(&sample_snapshot()[..]).unwrap();
    let mut archive = tar::Archive::new(&tar[..]);
    let mut manifest = Vec::new();
    archive
        .entries()
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .read_to_end(&mut manifest)
        .unwrap();
    fuzz("manifest", inputs(vec![manifest]), |b| manifest_target(b));
}

#[test]
fn fuzz_importer() {
    fuzz(
        "import",
        inputs(vec![
            YAML_SEED.as_bytes().to_vec(),
            JSON_SEED.as_bytes().to_vec(),
        ]),
        |b| import_target(b),
    );
}

#[test]
fn fuzz_redaction() {
    fuzz("redact", objects(), redact_target);
}

/// A target over bytes.
type Target = fn(&[u8]) -> Result<(), TestCaseError>;

/// Every input kept in `testdata/fuzz/<target>/` (crashes once found) goes through its target again.
#[test]
fn regressions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/fuzz");
    let targets: [(&str, Target); 4] = [
        ("archive", archive_target),
        ("tar", tar_target),
        ("manifest", manifest_target),
        ("import", import_target),
    ];
    for (name, target) in targets {
        let Ok(dir) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        let mut files: Vec<_> = dir.flatten().map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            if let Err(e) = target(&bytes) {
                panic!("{}: {e}", file.display());
            }
        }
    }
}
