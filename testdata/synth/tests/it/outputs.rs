//! The snapshot and the scenario folder: reproducible, readable by the model, and equal in content.

use std::collections::BTreeMap;

use coder_sec_model::archive::read_json_lines;
use coder_sec_model::manifests::load_paths;
use coder_sec_model::{ReadLimits, SnapshotReader};
use coder_sec_synth::{
    EXPECTED_FILE, Expected, Size, expected_path_for_snapshot, write_scenario, write_snapshot,
};

use crate::support::{SEED, read_tree};

#[test]
fn same_seed_same_bytes_other_seed_other_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.tar.zst");
    let b = tmp.path().join("b.tar.zst");
    let sa = write_snapshot(Size::Small, SEED, &a).unwrap();
    let sb = write_snapshot(Size::Small, SEED, &b).unwrap();
    let mut other_first = None;
    let sc = coder_sec_synth::generate(Size::Small, SEED + 1, &mut |o| {
        other_first.get_or_insert(o);
        Ok::<(), ()>(())
    })
    .unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(
        std::fs::read(expected_path_for_snapshot(&a)).unwrap(),
        std::fs::read(expected_path_for_snapshot(&b)).unwrap()
    );
    assert_eq!(sa, sb);
    let first = crate::support::small().objects.first();
    assert_ne!(
        first,
        other_first.as_ref(),
        "the first node differs with the seed"
    );
    assert_ne!(sa.planted, sc.planted, "planted paths follow the seed");
    // The counted kinds do not depend on the seed.
    for (kind, n) in &sa.counts {
        if Size::Small.targets().exact(kind).is_some() {
            assert_eq!(sc.counts.get(kind), Some(n), "{kind}");
        }
    }

    let d1 = tmp.path().join("s1");
    let d2 = tmp.path().join("s2");
    write_scenario(Size::Small, SEED, &d1).unwrap();
    write_scenario(Size::Small, SEED, &d2).unwrap();
    assert_eq!(read_tree(&d1), read_tree(&d2));
}

#[test]
fn snapshot_verifies_and_scenario_loads_with_the_same_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("small.tar.zst");
    let summary = write_snapshot(Size::Small, SEED, &archive).unwrap();

    let reader = SnapshotReader::open(&archive, ReadLimits::default()).unwrap();
    let mut read: BTreeMap<String, u64> = BTreeMap::new();
    let (manifest, mismatches) = reader
        .read_entries(|info, r| {
            let Some(kind) = info.kind else { return Ok(()) };
            read_json_lines(&archive, &info.path, r, 1 << 20, |_, v| {
                assert_eq!(v["kind"], kind.kind);
                *read.entry(kind.kind.to_string()).or_default() += 1;
                Ok(())
            })
            .map_err(|e| e.to_string())?;
            Ok(())
        })
        .unwrap();
    assert!(mismatches.is_empty(), "{mismatches:?}");
    assert_eq!(read, summary.counts);
    assert_eq!(manifest.object_count(), summary.total());
    assert_eq!(manifest.captured_at, coder_sec_synth::CAPTURED_AT);
    assert!(
        manifest
            .redaction
            .rules
            .get("env-literal")
            .is_some_and(|n| *n > 0)
    );

    let expected: Expected =
        serde_json::from_slice(&std::fs::read(expected_path_for_snapshot(&archive)).unwrap())
            .unwrap();
    assert_eq!(expected.counts, summary.counts);
    assert_eq!(expected.planted, summary.planted);
    assert_eq!(expected.generator.size, "small");

    let dir = tmp.path().join("scenario");
    let scenario = write_scenario(Size::Small, SEED, &dir).unwrap();
    assert_eq!(scenario, summary);
    assert!(dir.join(EXPECTED_FILE).is_file());
    let docs = load_paths(std::slice::from_ref(&dir)).unwrap();
    let mut loaded: BTreeMap<String, u64> = BTreeMap::new();
    for d in &docs {
        *loaded
            .entry(d.object["kind"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(loaded, summary.counts, "expected.json must add no objects");
}

#[test]
fn scenario_refuses_a_folder_with_files() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.yaml"), "x: 1\n").unwrap();
    let err = write_scenario(Size::Small, SEED, tmp.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("not empty"), "{err}");
    assert!(tmp.path().join("keep.yaml").is_file());
}
