//! A snapshot that differs from its manifest is refused by `analyze` and `inspect` (exit 2, naming
//! each file) unless `--ignore-integrity` is given, and then the report says so; lines that are not
//! objects of their kind are corruption; names never reach a terminal raw; pipes are read.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use coder_sec_analyzer::inventory::{Inventory, InventoryError};
use coder_sec_model::archive::Mismatch;
use coder_sec_model::format::{BlindSpot, Manifest, Source};
use coder_sec_model::import::{ImportOptions, import_paths};
use coder_sec_model::kinds::lookup;
use coder_sec_model::{ReadLimits, SnapshotWriter};
use serde_json::{Value, json};

use crate::support::{coder_sec, root, text};

/// The demo scenario imported into `dir`.
fn demo(dir: &Path) -> PathBuf {
    let out = dir.join("demo.tar.zst");
    import_paths(
        &[root().join("testdata/scenarios/demo")],
        &out,
        &ImportOptions {
            captured_at: Some("2026-11-27T00:00:00Z".into()),
            ..ImportOptions::default()
        },
    )
    .unwrap();
    out
}

/// Rewrites `good` into `dir/name`: `edit` sees each entry (path, bytes) and returns its new bytes,
/// or `None` to drop it. Compressed with a content checksum of the new content, as a writer would:
/// only the manifest's hashes and counts can tell.
fn rewrite(
    good: &Path,
    dir: &Path,
    name: &str,
    mut edit: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
) -> PathBuf {
    let tar_bytes = zstd::decode_all(std::fs::File::open(good).unwrap()).unwrap();
    let mut archive = tar::Archive::new(&tar_bytes[..]);
    let mut builder = tar::Builder::new(Vec::new());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut body = Vec::new();
        entry.read_to_end(&mut body).unwrap();
        let Some(body) = edit(&path, body) else {
            continue;
        };
        let mut header = tar::Header::new_ustar();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, &path, &body[..]).unwrap();
    }
    let tar_out = builder.into_inner().unwrap();
    let mut encoder = zstd::Encoder::new(Vec::new(), 3).unwrap();
    encoder.include_checksum(true).unwrap();
    encoder.write_all(&tar_out).unwrap();
    let out = dir.join(name);
    std::fs::write(&out, encoder.finish().unwrap()).unwrap();
    out
}

const PODS: &str = "resources/core/v1/pods.jsonl";

#[test]
fn analyze_refuses_a_tampered_or_missing_file_and_names_each() {
    let dir = tempfile::tempdir().unwrap();
    let good = demo(dir.path());
    let o = coder_sec(&["analyze", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // A pod's privileged flag switched on, and a node file cut short.
    let tampered = rewrite(&good, dir.path(), "tampered.tar.zst", |path, body| {
        Some(match path {
            PODS => String::from_utf8(body)
                .unwrap()
                .replacen("\"name\":", "\"name\": ", 1)
                .into_bytes(),
            "resources/core/v1/nodes.jsonl" => body[..body.len() / 2].to_vec(),
            _ => body,
        })
    });
    let missing = rewrite(&good, dir.path(), "missing.tar.zst", |path, body| {
        (path != PODS).then_some(body)
    });
    for (bad, needles) in [
        (
            &tampered,
            &[
                "pods.jsonl`: sha256",
                "nodes.jsonl`: sha256",
                "manifest says",
            ][..],
        ),
        (
            &missing,
            &["pods.jsonl`: listed in the manifest, absent"][..],
        ),
    ] {
        for cmd in ["analyze", "inspect"] {
            let o = coder_sec(&[cmd, bad.to_str().unwrap()]);
            let err = text(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{cmd}: {err}");
            assert!(o.stdout.is_empty(), "{cmd} printed a report");
            for n in needles {
                assert!(err.contains(n), "{cmd}: `{n}` missing from {err}");
            }
            assert!(err.contains("--ignore-integrity"), "{err}");
        }
    }
    // The library refuses too.
    let err = Inventory::load(&missing, ReadLimits::default()).unwrap_err();
    assert!(matches!(err, InventoryError::Integrity { .. }), "{err}");
}

#[test]
fn ignore_integrity_analyses_and_says_so_at_the_top_and_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let good = demo(dir.path());
    let missing = rewrite(&good, dir.path(), "missing.tar.zst", |path, body| {
        (path != PODS).then_some(body)
    });
    let path = missing.to_str().unwrap();
    let o = coder_sec(&["analyze", path, "--ignore-integrity", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("integrity problems ignored"));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["integrity"]["ignored"], true);
    let problems = v["integrity"]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].as_str().unwrap().contains("pods.jsonl"));
    let o = coder_sec(&["analyze", path, "--ignore-integrity"]);
    let report = text(&o.stdout);
    let top: Vec<&str> = report.lines().take(4).collect();
    assert!(
        top.iter().any(|l| l.starts_with("integrity NOT ENFORCED")),
        "{report}"
    );
    let o = coder_sec(&[
        "analyze",
        path,
        "--ignore-integrity",
        "--format",
        "markdown",
    ]);
    assert!(text(&o.stdout).contains("**integrity not enforced**"));
    // A sound snapshot keeps its report: no integrity field.
    let o = coder_sec(&["analyze", good.to_str().unwrap(), "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.get("integrity").is_none());
    let o = coder_sec(&["inspect", path, "--ignore-integrity"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("integrity   1 PROBLEMS"));
}

/// A snapshot whose Pod file holds `lines` as written, with a manifest that matches them.
fn pods_file(dir: &Path, lines: &[&str]) -> PathBuf {
    let path = dir.join("pods.tar.zst");
    let mut writer = SnapshotWriter::create(&path).unwrap();
    let spec = lookup("v1", "Pod").unwrap();
    let mut spool = writer.spool_kind(spec).unwrap();
    for l in lines {
        spool.push_raw(format!("{l}\n").as_bytes()).unwrap();
    }
    writer.add_kind(spec, spool.finish().unwrap());
    writer
        .finish(Manifest::new("test", "0", Source::Import))
        .unwrap();
    path
}

const GOOD_POD: &str =
    r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"n"}}"#;

#[test]
fn lines_that_are_not_objects_of_the_kind_are_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"d","namespace":"n"}},"x":{}1{}}}"#,
        "[".repeat(200),
        "]".repeat(200)
    );
    for (line, reason) in [
        ("not json at all", "not JSON"),
        ("{}", "without `apiVersion` and `kind`"),
        ("[1,2]", "not a JSON object"),
        (
            r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"n"}}"#,
            "another kind",
        ),
        (
            r#"{"metadata":{"name":"s","namespace":"n"},"apiVersion":"v1","kind":"Secret"}"#,
            "another kind",
        ),
        (
            r#"{"apiVersion":"apps/v1","kind":"Pod","metadata":{"name":"s","namespace":"n"}}"#,
            "another kind",
        ),
        (deep.as_str(), "nested deeper than 128"),
    ] {
        let path = pods_file(dir.path(), &[GOOD_POD, line]);
        let err = Inventory::load(&path, ReadLimits::default()).unwrap_err();
        let InventoryError::Integrity { problems, .. } = &err else {
            panic!("{line}: {err}");
        };
        assert!(
            matches!(&problems[..], [Mismatch::Line { line: 2, reason: r, .. }] if r.contains(reason)),
            "{line}: {problems:?}"
        );
        assert!(err.to_string().contains("pods.jsonl`: line 2"), "{err}");
        // Ignored, the line is left out and the rest is read.
        let loaded = Inventory::load_checked(&path, ReadLimits::default()).unwrap();
        assert_eq!(loaded.inventory.pods.len(), 1, "{line}");
    }
    // Valid JSON of the kind with odd field types stays a blind spot, wherever its header sits.
    let odd = r#"{"metadata":{"name":5},"apiVersion":"v1","kind":"Pod"}"#;
    let path = pods_file(dir.path(), &[GOOD_POD, odd]);
    let inv = Inventory::load(&path, ReadLimits::default()).unwrap();
    assert_eq!(inv.pods.len(), 1);
    assert_eq!(inv.unparsed.get("Pod"), Some(&1));
}

#[test]
fn many_bad_lines_are_summed_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = vec![GOOD_POD];
    lines.extend(std::iter::repeat_n("{}", 25));
    let path = pods_file(dir.path(), &lines);
    let loaded = Inventory::load_checked(&path, ReadLimits::default()).unwrap();
    assert_eq!(loaded.problems.len(), 11, "{:?}", loaded.problems);
    assert!(
        loaded.problems[10]
            .to_string()
            .contains("line 12: and 15 more lines"),
        "{}",
        loaded.problems[10]
    );
}

#[test]
fn a_calico_network_policy_is_not_a_kubernetes_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calico.tar.zst");
    let mut writer = SnapshotWriter::create(&path).unwrap();
    let calico = lookup("crd.projectcalico.org/v1", "NetworkPolicy").unwrap();
    let mut spool = writer.spool_kind(calico).unwrap();
    spool
        .push(
            &json!({"apiVersion": "crd.projectcalico.org/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "allow-all", "namespace": "coder"},
            "spec": {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]}}),
        )
        .unwrap();
    writer.add_kind(calico, spool.finish().unwrap());
    writer
        .finish(Manifest::new("test", "0", Source::Import))
        .unwrap();
    let inv = Inventory::load(&path, ReadLimits::default()).unwrap();
    assert!(inv.network_policies.is_empty());
    let spots = &inv.manifest.as_ref().unwrap().blind_spots;
    assert!(
        spots
            .iter()
            .any(|b| b.subject == "NetworkPolicy.crd.projectcalico.org"
                && b.hides.contains("network")),
        "{spots:?}"
    );
}

#[test]
fn a_compressed_file_that_is_no_snapshot_is_not_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.tar.zst");
    let secret = "password=hunter2 \x1b]0;owned\x07 ".repeat(20);
    std::fs::write(&path, zstd::encode_all(secret.as_bytes(), 3).unwrap()).unwrap();
    for cmd in ["analyze", "inspect", "verify"] {
        let o = coder_sec(&[cmd, path.to_str().unwrap()]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {err}");
        assert!(err.contains("notes.tar.zst"), "{err}");
        assert!(
            !err.contains("hunter2") && !err.contains('\x1b'),
            "{cmd} quoted the file: {err}"
        );
    }
}

#[test]
fn names_with_terminal_escapes_are_shown_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("escapes.tar.zst");
    let writer = SnapshotWriter::create(&path).unwrap();
    let mut manifest = Manifest::new("test", "0", Source::Import);
    manifest.blind_spots.push(BlindSpot {
        subject: "evil\x1b]0;owned\x07\x1b[2J".into(),
        reason: "forbidden\r".into(),
        hides: "x\u{202E}y".into(),
    });
    writer.finish(manifest).unwrap();
    for args in [
        &["analyze", path.to_str().unwrap()][..],
        &["analyze", path.to_str().unwrap(), "--format", "markdown"],
        &["inspect", path.to_str().unwrap()],
    ] {
        let o = coder_sec(args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        let out = text(&o.stdout);
        assert!(
            !out.contains('\x1b') && !out.contains('\r') && !out.contains('\u{202E}'),
            "{args:?}: raw control characters"
        );
        assert!(out.contains("evil\\u{1b}]0;owned\\u{7}"), "{args:?}: {out}");
    }
}

#[cfg(unix)]
#[test]
fn a_snapshot_is_read_from_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let good = demo(dir.path());
    let fifo = dir.path().join("snapshot.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        coder_sec_model::testing::skip_unless_required("mkfifo is not available");
        return;
    }
    for cmd in ["analyze", "inspect", "verify"] {
        let (from, to) = (good.clone(), fifo.clone());
        let feeder = std::thread::spawn(move || {
            let bytes = std::fs::read(from).unwrap();
            // The reader may stop early on an error; a broken pipe is then expected.
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .open(to)
                .and_then(|mut f| f.write_all(&bytes));
        });
        let o = coder_sec(&[cmd, fifo.to_str().unwrap()]);
        feeder.join().unwrap();
        assert_eq!(o.status.code(), Some(0), "{cmd}: {}", text(&o.stderr));
    }
}

/// The JSON report of a snapshot file, or `None` when it is refused.
fn report_of(path: &Path) -> Option<String> {
    use coder_sec_analyzer::report::{Report, Settings};
    let inv = Inventory::load(path, ReadLimits::default()).ok()?;
    let report = Report::generate(&inv, &Settings::default());
    Some(coder_sec_analyzer::present::json::render(&report))
}

/// A byte flipped or the file cut anywhere in a snapshot: refused, or the very same report.
#[test]
fn any_byte_flip_or_truncation_is_refused_or_changes_nothing() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(demo(dir.path())).unwrap();
    let baseline = report_of(&dir.path().join("demo.tar.zst")).unwrap();
    let cases = std::env::var("CODER_SEC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]));
    let len = good.len();
    // Flips spread over the file (the frame header, the manifest's blocks, the data, the
    // checksum), and cuts.
    let change = prop_oneof![
        3 => (0..len, 0u8..8).prop_map(|(at, bit)| (at, Some(bit))),
        1 => (0..len).prop_map(|at| (at, None)),
    ];
    let path = dir.path().join("changed.tar.zst");
    runner
        .run(&change, |(at, bit)| {
            let mut bytes = good.clone();
            match bit {
                Some(bit) => bytes[at] ^= 1 << bit,
                None => bytes.truncate(at),
            }
            std::fs::write(&path, &bytes).unwrap();
            if let Some(report) = report_of(&path) {
                prop_assert!(
                    report == baseline,
                    "a change at byte {at} ({bit:?}) was accepted with a different report"
                );
            }
            Ok(())
        })
        .unwrap();
    // Every byte of the frame's end (the content checksum) and its header, exhaustively.
    for at in (0..16).chain(len - 8..len) {
        let mut bytes = good.clone();
        bytes[at] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        if let Some(report) = report_of(&path) {
            assert_eq!(report, baseline, "byte {at}");
        }
    }
}
