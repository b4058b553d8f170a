//! Generating straight into a snapshot archive: each object is trimmed and redacted by the model's
//! `prepare_object` and pushed into its kind's spool; nothing is kept in memory but the spools'
//! sort indexes.

use std::path::Path;

use coder_sec_model::archive::Spool;
use coder_sec_model::format::{ClusterFacts, KindStatus};
use coder_sec_model::{KINDS, Manifest, Redactor, SnapshotWriter, Source, prepare_object};
use serde_json::Value;

use crate::expected::{self, Expected};
use crate::nodes::KUBELET_CURRENT;
use crate::rng::Rng;
use crate::{Size, Summary, SynthError, generate};

/// The fingerprint key of a synthetic snapshot, derived from the seed. Real snapshots use a random,
/// never stored key; a synthetic one has nothing to protect and must be reproducible.
fn redaction_key(seed: u64) -> [u8; 32] {
    let mut rng = Rng::new(seed, "redaction-key");
    let mut key = [0u8; 32];
    for chunk in key.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    key
}

/// Generates the cluster of `size` for `seed` into a snapshot at `out` (written atomically), and its
/// expectations into `<out>.expected.json`.
pub fn write_snapshot(size: Size, seed: u64, out: &Path) -> Result<Summary, SynthError> {
    let redactor = Redactor::with_key(redaction_key(seed));
    let mut writer = SnapshotWriter::create(out)?;
    let mut spools: Vec<Option<Spool>> = KINDS.iter().map(|_| None).collect();
    let summary = {
        let writer = &writer;
        let mut sink = |mut object: Value| -> Result<(), SynthError> {
            let Some(spec) = prepare_object(&mut object, &redactor) else {
                return Err(SynthError::UnknownKind {
                    api_version: object["apiVersion"].as_str().unwrap_or("").to_string(),
                    kind: object["kind"].as_str().unwrap_or("").to_string(),
                });
            };
            let index = KINDS.iter().position(|k| k == spec).unwrap_or(0);
            let spool = match &mut spools[index] {
                Some(s) => s,
                slot => slot.insert(writer.spool_kind(spec)?),
            };
            spool.push(&object)?;
            Ok(())
        };
        generate(size, seed, &mut sink)?
    };
    for (spec, spool) in KINDS.iter().zip(spools) {
        match spool {
            Some(s) => writer.add_kind(spec, s.finish()?),
            None if spec.optional => writer.add_unread_kind(
                spec,
                KindStatus::NotFound,
                "the synthetic cluster serves no such custom resource",
            ),
            // A kind the cluster has none of: listed completely, empty.
            None => writer.add_kind(spec, writer.spool_kind(spec)?.finish()?),
        }
    }
    let mut manifest = Manifest::new(
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION"),
        Source::Import,
    );
    manifest.captured_at = crate::CAPTURED_AT.to_string();
    manifest.cluster = ClusterFacts {
        server_version: Some(KUBELET_CURRENT.to_string()),
        platform: Some("eks".to_string()),
        context: Some(format!("synthetic-{size}-{seed}")),
    };
    manifest.redaction = redactor.summary();
    writer.finish(manifest)?;
    expected::write(
        &expected::expected_path_for_snapshot(out),
        &Expected::new(size, seed, &summary),
    )?;
    Ok(summary)
}
