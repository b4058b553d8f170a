//! Building a snapshot from manifest files (`kubectl get -o json|yaml` output, `List`s, multi-document
//! YAML, folders of manifests, `helm template` output), with the same trimming and redaction as a
//! capture.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::archive::{ArchiveError, SnapshotWriter, Spool};
use crate::format::{BlindSpot, Manifest, Source};
use crate::kinds::{KINDS, KindSpec};
use crate::manifests::{self, Document, ManifestError};
use crate::redact::Redactor;

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Namespace given to namespaced objects that have none (kubectl's default is `default`).
    pub namespace: String,
    /// Tool name recorded in the manifest.
    pub tool_name: String,
    /// Tool version recorded in the manifest.
    pub tool_version: String,
    /// Fixed `captured-at` time (RFC 3339), for reproducible snapshots; `None` means now.
    pub captured_at: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            namespace: "default".to_string(),
            tool_name: "coder-sec".to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            captured_at: None,
        }
    }
}

/// An import failure.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// An input could not be read or parsed.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The snapshot could not be written.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// An object lacks a name.
    #[error("`{source_name}` document {document}: {kind} has no `metadata.name`")]
    NoName {
        /// The file.
        source_name: String,
        /// 1-based document position.
        document: usize,
        /// The object's kind.
        kind: String,
    },
}

/// What an import wrote.
#[derive(Debug, Clone)]
pub struct ImportSummary {
    /// The manifest as written.
    pub manifest: Manifest,
    /// Size of the archive in bytes.
    pub archive_bytes: u64,
    /// Number of input files read.
    pub files: usize,
}

/// Imports every object of the files and folders in `paths` into a snapshot at `out`.
pub fn import_paths(
    paths: &[PathBuf],
    out: &Path,
    options: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let mut files = Vec::new();
    for path in paths {
        manifests::collect_files(path, &mut files)?;
    }
    let mut docs = Vec::new();
    for file in &files {
        docs.extend(manifests::load_file(file)?);
    }
    let mut summary = import_documents(docs, out, options)?;
    summary.files = files.len();
    Ok(summary)
}

/// Imports already parsed documents into a snapshot at `out`.
pub fn import_documents(
    docs: Vec<Document>,
    out: &Path,
    options: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let redactor = Redactor::new();
    let mut writer = SnapshotWriter::create(out)?;
    let mut spools: BTreeMap<usize, Spool> = BTreeMap::new();
    let mut unknown: BTreeMap<String, u64> = BTreeMap::new();
    let mut namespaces = std::collections::BTreeSet::new();
    for doc in docs {
        let Document {
            source,
            position,
            mut object,
        } = doc;
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let Some(spec) = crate::kinds::lookup(&api_version, &kind) else {
            *unknown.entry(format!("{api_version} {kind}")).or_default() += 1;
            // Dropped, only counted: unknown kinds may hold secrets that no rule knows.
            continue;
        };
        if manifests::name_of(&object).is_none() {
            return Err(ImportError::NoName {
                source_name: source,
                document: position,
                kind,
            });
        }
        normalise(&mut object, spec, &options.namespace);
        if let Some(ns) = manifests::namespace_of(&object) {
            namespaces.insert(ns.to_string());
        }
        crate::prepare_object(&mut object, &redactor);
        let index = KINDS.iter().position(|k| k == spec).unwrap_or(0);
        let spool = match spools.entry(index) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(writer.spool_kind(spec)?),
        };
        spool.push(&object)?;
    }
    for (index, spool) in spools {
        writer.add_kind(&KINDS[index], spool.finish()?);
    }
    let mut manifest = Manifest::new(&options.tool_name, &options.tool_version, Source::Import);
    if let Some(at) = &options.captured_at {
        manifest.captured_at = at.clone();
    }
    manifest.unknown_kinds = unknown;
    manifest.redaction = redactor.summary();
    manifest.blind_spots = import_blind_spots();
    let (manifest, archive_bytes) = writer.finish(manifest)?;
    Ok(ImportSummary {
        manifest,
        archive_bytes,
        files: 0,
    })
}

/// Gives namespaced objects without a namespace the default one (as `kubectl apply` would);
/// cluster-scoped objects lose a stray namespace.
fn normalise(object: &mut Value, spec: &KindSpec, default_ns: &str) {
    let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    if spec.namespaced {
        let has = meta
            .get("namespace")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty());
        if !has {
            meta.insert("namespace".into(), Value::String(default_ns.to_string()));
        }
    } else {
        meta.remove("namespace");
    }
}

/// An import cannot know what the files left out; say so once, plainly.
fn import_blind_spots() -> Vec<BlindSpot> {
    vec![BlindSpot {
        subject: "import".to_string(),
        reason: "built from files, not from a live API server".to_string(),
        hides: "objects and kinds absent from the files, the capturing identity's permissions, \
                and live state such as pod placement of unscheduled pods"
            .to_string(),
    }]
}
