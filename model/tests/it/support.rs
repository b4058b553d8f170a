//! Helpers shared by the integration tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use coder_sec_model::archive::read_json_lines;
use coder_sec_model::redact::scan;
use coder_sec_model::{
    Manifest, ReadLimits, Redactor, SnapshotReader, SnapshotWriter, Source, prepare_object,
};
use serde_json::Value;

/// The repository's `testdata/scenarios/<name>` folder.
pub fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/scenarios")
        .join(name)
}

/// The canaries of the `canaries` scenario: (needle, where it hides).
pub fn canary_list() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(scenario("canaries").join("needles.tsv")).unwrap();
    scan::parse_needle_list(&text)
}

/// The canaries of the `canaries` scenario found in `value`, decoded every way
/// [`scan::decoded_strings`] knows, each with where it was planted.
pub fn find_canaries(value: &Value) -> Vec<String> {
    let list = canary_list();
    let needles: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
    let found = scan::find_needles(value, &needles);
    list.iter()
        .filter(|(n, _)| found.contains(n))
        .map(|(n, place)| format!("{n} ({place})"))
        .collect()
}

/// What a snapshot held, read back entry by entry.
pub struct ReadBack {
    /// The manifest.
    pub manifest: Manifest,
    /// The manifest's raw JSON.
    pub manifest_json: Value,
    /// Objects by archive path.
    pub entries: BTreeMap<String, Vec<Value>>,
    /// Raw text by archive path.
    pub raw: BTreeMap<String, String>,
}

impl ReadBack {
    /// The object of `kind` named `namespace/name`.
    pub fn object(&self, kind: &str, namespace: &str, name: &str) -> &Value {
        self.entries
            .values()
            .flatten()
            .find(|o| {
                o["kind"] == kind
                    && o["metadata"]["name"] == name
                    && o["metadata"]["namespace"].as_str().unwrap_or("") == namespace
            })
            .unwrap_or_else(|| panic!("{kind} {namespace}/{name} is not in the snapshot"))
    }
}

/// Trims and redacts every object of `dir` with `redactor`, adds `extra_files` (archive path →
/// document, already redacted by the caller), writes a snapshot into `out`, and reads it back.
pub fn snapshot_round_trip(
    dir: &Path,
    redactor: &Redactor,
    extra_files: &[(&str, Value)],
    out: &Path,
) -> ReadBack {
    let docs = coder_sec_model::manifests::load_paths(&[dir.to_path_buf()]).unwrap();
    let target = out.join("snapshot.tar.zst");
    let mut writer = SnapshotWriter::create(&target).unwrap();
    let mut spools = BTreeMap::new();
    for doc in docs {
        let mut object = doc.object;
        let spec = prepare_object(&mut object, redactor)
            .unwrap_or_else(|| panic!("{}: unknown kind in the scenario", doc.source));
        let spool = match spools.entry(spec.archive_path()) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert((spec, writer.spool_kind(spec).unwrap()))
            }
        };
        spool.1.push(&object).unwrap();
    }
    for (_, (spec, spool)) in spools {
        writer.add_kind(spec, spool.finish().unwrap());
    }
    for (path, doc) in extra_files {
        let mut spool = writer.spool((*path).to_string()).unwrap();
        spool.push_raw(&serde_json::to_vec(doc).unwrap()).unwrap();
        writer.add_file(spool.finish().unwrap(), "test document");
    }
    let mut manifest = Manifest::new("coder-sec-test", "0.0.0", Source::Import);
    manifest.redaction = redactor.summary();
    writer.finish(manifest).unwrap();

    let reader = SnapshotReader::open(&target, ReadLimits::default()).unwrap();
    let manifest_json = serde_json::to_value(reader.manifest()).unwrap();
    let mut entries = BTreeMap::new();
    let mut raw = BTreeMap::new();
    let (manifest, mismatches) = reader
        .read_entries(|info, r| {
            let mut text = String::new();
            r.read_to_string(&mut text).map_err(|e| e.to_string())?;
            let mut objects = Vec::new();
            if info.path.ends_with(".jsonl") {
                read_json_lines(
                    &target,
                    &info.path,
                    &mut text.as_bytes(),
                    1 << 26,
                    |_, v| {
                        objects.push(v);
                        Ok(())
                    },
                )
                .map_err(|e| e.to_string())?;
            } else {
                objects.push(serde_json::from_str(&text).map_err(|e| e.to_string())?);
            }
            entries.insert(info.path.clone(), objects);
            raw.insert(info.path.clone(), text);
            Ok(())
        })
        .unwrap();
    assert!(mismatches.is_empty(), "{mismatches:?}");
    ReadBack {
        manifest,
        manifest_json,
        entries,
        raw,
    }
}
