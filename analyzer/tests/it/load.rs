//! Loading a snapshot: the reading thread hands lines over in batches; nothing may be lost or
//! reordered at a batch's edge, and limits name the file and line.

use coder_sec_analyzer::inventory::{Inventory, InventoryError};
use coder_sec_model::SnapshotWriter;
use coder_sec_model::archive::ReadLimits;
use coder_sec_model::format::{Manifest, Source};
use coder_sec_model::kinds::lookup;
use serde_json::json;

/// Writes a snapshot holding `pods` (JSON objects) as its Pod kind.
fn snapshot_with_pods(dir: &std::path::Path, pods: &[serde_json::Value]) -> std::path::PathBuf {
    let path = dir.join("s.tar.zst");
    let mut writer = SnapshotWriter::create(&path).unwrap();
    let spec = lookup("v1", "Pod").unwrap();
    let mut spool = writer.spool_kind(spec).unwrap();
    for p in pods {
        spool.push(p).unwrap();
    }
    writer.add_kind(spec, spool.finish().unwrap());
    writer
        .finish(Manifest::new("test", "0", Source::Import))
        .unwrap();
    path
}

fn pod(i: usize, extra: &str) -> serde_json::Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": format!("p-{i:05}"), "namespace": "ns", "labels": {"x": extra}},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}
    })
}

#[test]
fn every_object_arrives_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    // More lines than one batch holds, and lines long enough that the byte bound splits too.
    let mut pods: Vec<serde_json::Value> = (0..9_000).map(|i| pod(i, "short")).collect();
    let long = "y".repeat(4096);
    pods.extend((9_000..12_500).map(|i| pod(i, &long)));
    let path = snapshot_with_pods(dir.path(), &pods);
    let inv = Inventory::load(&path, ReadLimits::default()).unwrap();
    let names: Vec<&str> = inv.pods.iter().map(|p| p.metadata.name.as_str()).collect();
    let want: Vec<String> = (0..12_500).map(|i| format!("p-{i:05}")).collect();
    assert_eq!(names, want);
    assert!(inv.pods[12_000].metadata.labels["x"].len() == 4096);
}

#[test]
fn a_line_over_the_limit_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let pods = vec![pod(0, "a"), pod(1, "b"), pod(2, &"z".repeat(600))];
    let path = snapshot_with_pods(dir.path(), &pods);
    let limits = ReadLimits {
        max_line_bytes: 400,
        ..ReadLimits::default()
    };
    let err = Inventory::load(&path, limits).unwrap_err();
    let InventoryError::Archive { source, .. } = &err else {
        panic!("not an archive error: {err}");
    };
    let text = format!("{err}: {source}");
    assert!(text.contains("s.tar.zst"), "{text}");
    assert!(
        text.contains("pods.jsonl") || text.contains("Pod"),
        "{text}"
    );
    assert!(text.contains("line 3 is longer than 400 bytes"), "{text}");
}
