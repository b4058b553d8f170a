//! Building a snapshot from manifest files (`kubectl get -o json|yaml` output, `List`s, multi-document
//! YAML, folders of manifests, `helm template` output), with the same trimming and redaction as a
//! capture.
//!
//! Files are read one at a time (on a reading thread, so a FIFO that never opens cannot hold up a
//! stop), and each object goes to its kind's spool on disk as soon as it is parsed: memory holds one
//! file's text and one object. The archive is written beside the target, read back with the
//! reader's default limits, and only then renamed into place: an import never leaves a snapshot its
//! own reader refuses, and a stopped or failed import leaves nothing behind.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::archive::{ArchiveError, ReadLimits, SnapshotReader, SnapshotWriter, Spool};
use crate::format::{BlindSpot, KindStatus, Manifest, Source};
use crate::kinds::{KINDS, KindSpec};
use crate::manifests::{self, Document, Item, ManifestError, ParseStop};
use crate::redact::Redactor;

/// The `message` of a kind the imported files hold no object of.
pub const ABSENT_MESSAGE: &str = "absent from the imported files";

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
    /// Refuse documents that are not Kubernetes objects instead of skipping them.
    pub strict: bool,
    /// Replace an existing file at the target (never one of the inputs).
    pub overwrite: bool,
    /// The reader limits the snapshot must fit (the reader's defaults).
    pub limits: ReadLimits,
    /// Checked between objects and before the rename: a non-zero value stops the import with
    /// [`ImportError::Stopped`] carrying it (the analyzer stores the number of a signal received).
    pub stop: Option<Arc<AtomicUsize>>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            namespace: "default".to_string(),
            tool_name: "coder-sec".to_string(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            captured_at: None,
            strict: false,
            overwrite: false,
            limits: ReadLimits::default(),
            stop: None,
        }
    }
}

/// An import failure. Nothing is left at the target, and no temporary file beside it.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// An input could not be read or parsed.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The snapshot could not be written.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A document is not a Kubernetes object, and `strict` is set.
    #[error(
        "`{source_name}` document {document} is not a Kubernetes object ({reason}); `--strict` refuses it"
    )]
    NotKubernetes {
        /// The file.
        source_name: String,
        /// 1-based document position.
        document: usize,
        /// Why.
        reason: String,
    },
    /// An object of a kind the snapshot keeps has no name.
    #[error(
        "`{source_name}` document {document}: {kind} object has a missing or empty `metadata.name`"
    )]
    NoName {
        /// The file.
        source_name: String,
        /// 1-based document position.
        document: usize,
        /// The object's kind.
        kind: String,
    },
    /// A folder entry was not read, and `strict` is set.
    #[error("`{path}` was not read ({reason}); `--strict` refuses it")]
    NotRead {
        /// The entry.
        path: String,
        /// Why.
        reason: String,
    },
    /// One object would not fit the snapshot reader's limits.
    #[error("`{source_name}` document {document}: {kind} `{name}` {detail}")]
    TooBig {
        /// The file.
        source_name: String,
        /// 1-based document position.
        document: usize,
        /// The object's kind.
        kind: String,
        /// The object's name.
        name: String,
        /// Which limit, with the numbers.
        detail: String,
    },
    /// No object of a kind the snapshot format knows was found.
    #[error("nothing to import: the inputs hold no object of a kind coder-sec analyses{}", nothing_note(*.unknown, *.skipped))]
    Nothing {
        /// Objects of unknown kinds that were counted.
        unknown: u64,
        /// Documents and entries passed over.
        skipped: usize,
    },
    /// The target exists and overwriting was not asked for.
    #[error("`{path}` already exists")]
    Exists {
        /// The target.
        path: PathBuf,
    },
    /// The target is a folder.
    #[error("`{path}` is a folder; the output is the snapshot's file name")]
    OutputIsFolder {
        /// The target.
        path: PathBuf,
    },
    /// The target is one of the inputs.
    #[error("`{path}` is one of the inputs; it cannot also be the output")]
    OutputIsInput {
        /// The target.
        path: PathBuf,
    },
    /// The written archive was refused by the snapshot reader (so it was not kept).
    #[error("the snapshot for `{path}` would not be readable, so it was not written")]
    Unreadable {
        /// The target.
        path: PathBuf,
        /// What the reader said.
        #[source]
        source: ArchiveError,
    },
    /// The stop flag was raised.
    #[error("stopped before the snapshot was written (code {code})")]
    Stopped {
        /// The flag's value.
        code: usize,
    },
}

fn nothing_note(unknown: u64, skipped: usize) -> String {
    let mut notes = Vec::new();
    if unknown > 0 {
        notes.push(format!("{unknown} objects of other kinds"));
    }
    if skipped > 0 {
        notes.push(format!(
            "{skipped} documents or entries that are not Kubernetes objects"
        ));
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(", "))
    }
}

/// A document passed over because it is not a Kubernetes object, or a folder entry not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file.
    pub path: String,
    /// 1-based document position, when a document (not a whole entry) was passed over.
    pub document: Option<usize>,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.document {
            Some(d) => write!(f, "`{}` document {d}: {}", self.path, self.reason),
            None => write!(f, "`{}`: {}", self.path, self.reason),
        }
    }
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
    /// Documents and folder entries passed over, in input order (also listed as blind spots).
    pub skipped: Vec<Skipped>,
}

/// Imports every object of the files and folders in `paths` into a snapshot at `out`.
pub fn import_paths(
    paths: &[PathBuf],
    out: &Path,
    options: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let walk = manifests::walk(paths)?;
    check_target(out, paths.iter().chain(&walk.files), options.overwrite)?;
    let mut importer = Importer::new(out, options)?;
    for (path, reason) in &walk.passed_over {
        importer.skip(Skipped {
            path: path.display().to_string(),
            document: None,
            reason: reason.clone(),
        })?;
    }
    let files = walk.files.len();
    let (tx, rx) = mpsc::sync_channel::<(PathBuf, Result<Vec<u8>, ManifestError>)>(0);
    // Reads ahead one file; a FIFO whose writer never comes blocks this thread only.
    std::thread::spawn(move || {
        for file in walk.files {
            let bytes = manifests::read_source(&file);
            if tx.send((file, bytes)).is_err() {
                return;
            }
        }
    });
    loop {
        let (file, bytes) = match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(next) => next,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                importer.check_stop()?;
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        importer.check_stop()?;
        importer.add_source(&file.display().to_string(), &bytes?)?;
    }
    let mut summary = importer.finish()?;
    summary.files = files;
    Ok(summary)
}

/// Imports already parsed documents into a snapshot at `out`.
pub fn import_documents(
    docs: Vec<Document>,
    out: &Path,
    options: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    check_target(out, std::iter::empty(), options.overwrite)?;
    let mut importer = Importer::new(out, options)?;
    for doc in docs {
        importer.check_stop()?;
        importer.add(doc)?;
    }
    importer.finish()
}

/// Refuses a target that exists (unless `overwrite`) or that is one of the inputs (always).
fn check_target<'a>(
    out: &Path,
    inputs: impl Iterator<Item = &'a PathBuf>,
    overwrite: bool,
) -> Result<(), ImportError> {
    let Ok(target) = std::fs::canonicalize(out) else {
        return Ok(());
    };
    if target.is_dir() {
        return Err(ImportError::OutputIsFolder {
            path: out.to_path_buf(),
        });
    }
    for input in inputs {
        if std::fs::canonicalize(input).is_ok_and(|i| i == target) {
            return Err(ImportError::OutputIsInput {
                path: out.to_path_buf(),
            });
        }
    }
    if overwrite {
        Ok(())
    } else {
        Err(ImportError::Exists {
            path: out.to_path_buf(),
        })
    }
}

/// One import in progress: the writer (into a temporary archive beside the target), the open
/// spools, and what was counted or passed over.
struct Importer<'o> {
    out: PathBuf,
    options: &'o ImportOptions,
    /// Where the archive is written before it is checked and renamed; removed on drop.
    staging: tempfile::TempPath,
    writer: SnapshotWriter,
    redactor: Redactor,
    spools: BTreeMap<usize, Spool>,
    unknown: BTreeMap<String, u64>,
    skipped: Vec<Skipped>,
    limits: ReadLimits,
    line: Vec<u8>,
}

impl<'o> Importer<'o> {
    fn new(out: &Path, options: &'o ImportOptions) -> Result<Self, ImportError> {
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let io_err = |source| ArchiveError::Io {
            path: dir.clone(),
            source,
        };
        let staging = tempfile::Builder::new()
            .prefix(".coder-sec-import-")
            .suffix(".tar.zst")
            .tempfile_in(&dir)
            .map_err(io_err)?
            .into_temp_path();
        let writer = SnapshotWriter::create(&staging)?;
        Ok(Importer {
            out: out.to_path_buf(),
            options,
            staging,
            writer,
            redactor: Redactor::new(),
            spools: BTreeMap::new(),
            unknown: BTreeMap::new(),
            skipped: Vec::new(),
            limits: options.limits,
            line: Vec::new(),
        })
    }

    fn check_stop(&self) -> Result<(), ImportError> {
        match self.options.stop.as_ref().map(|s| s.load(Ordering::SeqCst)) {
            Some(code) if code != 0 => Err(ImportError::Stopped { code }),
            _ => Ok(()),
        }
    }

    fn skip(&mut self, skipped: Skipped) -> Result<(), ImportError> {
        if self.options.strict {
            return Err(match skipped.document {
                Some(document) => ImportError::NotKubernetes {
                    source_name: skipped.path,
                    document,
                    reason: skipped.reason,
                },
                None => ImportError::NotRead {
                    path: skipped.path,
                    reason: skipped.reason,
                },
            });
        }
        self.skipped.push(skipped);
        Ok(())
    }

    /// Parses one source and adds its objects as they come.
    fn add_source(&mut self, source: &str, bytes: &[u8]) -> Result<(), ImportError> {
        let result = manifests::parse_each(source, bytes, &mut |item| {
            self.check_stop()?;
            match item {
                Item::Object(doc) => self.add(doc),
                Item::NotKubernetes {
                    source,
                    position,
                    reason,
                } => self.skip(Skipped {
                    path: source,
                    document: Some(position),
                    reason: format!("not a Kubernetes object: {reason}"),
                }),
            }
        });
        match result {
            Ok(()) => Ok(()),
            Err(ParseStop::Manifest(e)) => Err(e.into()),
            Err(ParseStop::Sink(e)) => Err(e),
        }
    }

    fn add(&mut self, doc: Document) -> Result<(), ImportError> {
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
            *self
                .unknown
                .entry(format!("{api_version} {kind}"))
                .or_default() += 1;
            // Dropped, only counted: unknown kinds may hold secrets that no rule knows.
            return Ok(());
        };
        let name = manifests::name_of(&object).unwrap_or("").to_string();
        if name.is_empty() {
            return Err(ImportError::NoName {
                source_name: source,
                document: position,
                kind,
            });
        }
        let too_big = |detail: String| ImportError::TooBig {
            source_name: source.clone(),
            document: position,
            kind: kind.clone(),
            name: name.clone(),
            detail,
        };
        normalise(&mut object, spec, &self.options.namespace);
        crate::prepare_object(&mut object, &self.redactor);
        let depth = manifests::nesting_depth(&object);
        if depth > manifests::MAX_NESTING {
            return Err(too_big(format!(
                "nests {depth} levels deep, more than the {} a snapshot may hold",
                manifests::MAX_NESTING
            )));
        }
        // The reader refuses lines longer than its limit: so does the writer, naming the object.
        self.line.clear();
        serde_json::to_writer(&mut self.line, &object).map_err(|source| {
            ArchiveError::Serialize {
                path: spec.archive_path(),
                source,
            }
        })?;
        let line_bytes = self.line.len() as u64 + 1;
        if line_bytes > self.limits.max_line_bytes {
            return Err(too_big(format!(
                "is {line_bytes} bytes as JSON, more than the {}-byte limit for one object in a snapshot",
                self.limits.max_line_bytes
            )));
        }
        let index = KINDS.iter().position(|k| k == spec).unwrap_or(0);
        let spool = match self.spools.entry(index) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(self.writer.spool_kind(spec)?)
            }
        };
        spool.push(&object)?;
        Ok(())
    }

    /// Writes the archive beside the target, reads it back with the reader's limits, and renames it
    /// into place.
    fn finish(self) -> Result<ImportSummary, ImportError> {
        let Importer {
            out,
            options,
            staging,
            mut writer,
            redactor,
            spools,
            unknown,
            skipped,
            limits,
            ..
        } = self;
        if spools.is_empty() {
            return Err(ImportError::Nothing {
                unknown: unknown.values().sum(),
                skipped: skipped.len(),
            });
        }
        // Each kind the files do not hold is listed, so the analysis names what its absence hides.
        for (index, spec) in KINDS.iter().enumerate() {
            if !spools.contains_key(&index) {
                let message = format!(
                    "{ABSENT_MESSAGE}; their absence hides {}",
                    crate::blind::hides(spec)
                );
                writer.add_unread_kind(spec, KindStatus::NotFound, message);
            }
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
        manifest.blind_spots = import_blind_spots(&skipped);
        let (manifest, archive_bytes) = writer.finish(manifest)?;
        let stop = options.stop.clone();
        let stopped = || match stop.as_ref().map(|s| s.load(Ordering::SeqCst)) {
            Some(code) if code != 0 => Err(ImportError::Stopped { code }),
            _ => Ok(()),
        };
        stopped()?;
        check_readable(&staging, &limits).map_err(|source| ImportError::Unreadable {
            path: out.clone(),
            source,
        })?;
        stopped()?;
        let persisted = if options.overwrite {
            staging.persist(&out)
        } else {
            staging.persist_noclobber(&out)
        };
        persisted.map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                ImportError::Exists { path: out.clone() }
            } else {
                ImportError::Archive(ArchiveError::Io {
                    path: out.clone(),
                    source: e.error,
                })
            }
        })?;
        Ok(ImportSummary {
            manifest,
            archive_bytes,
            files: 0,
            skipped,
        })
    }
}

/// Reads a written snapshot back as the analyzer would: every entry within the limits, every hash
/// matching, every line of every kind's file JSON within the line limit.
fn check_readable(path: &Path, limits: &ReadLimits) -> Result<(), ArchiveError> {
    let reader = SnapshotReader::open(path, *limits)?;
    let (_, mismatches) = reader.read_entries(|info, r| {
        if info.kind.is_some() {
            crate::archive::read_json_lines(path, &info.path, r, limits.max_line_bytes, |_, _| {
                Ok(())
            })
            .map_err(|e| e.to_string())?;
        }
        Ok(())
    })?;
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(ArchiveError::Mismatch {
            archive: path.to_path_buf(),
            mismatches,
        })
    }
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

/// An import cannot know what the files left out; say so once, plainly, and name every document or
/// entry passed over. Kinds absent from the files are listed in the manifest's kinds as
/// `not-found`, which the analysis reports with what each hides.
fn import_blind_spots(skipped: &[Skipped]) -> Vec<BlindSpot> {
    let mut spots = vec![BlindSpot {
        subject: "import".to_string(),
        reason: "built from files, not from a live API server".to_string(),
        hides: "objects absent from the files, the capturing identity's permissions, \
                and live state such as pod placement of unscheduled pods"
            .to_string(),
    }];
    for s in skipped {
        spots.push(BlindSpot {
            subject: match s.document {
                Some(d) => format!("`{}` document {d}", s.path),
                None => format!("`{}`", s.path),
            },
            reason: format!("skipped: {}", s.reason),
            hides: "whatever it describes, if it was meant as a manifest (render Helm charts with \
                    `helm template` first)"
                .to_string(),
        });
    }
    spots.sort();
    spots.dedup();
    spots
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: app\n";

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn manifest_of(path: &Path) -> Manifest {
        SnapshotReader::open(path, ReadLimits::default())
            .unwrap()
            .manifest()
            .clone()
    }

    #[test]
    fn helm_chart_files_are_skipped_with_a_blind_spot_and_strict_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("chart");
        std::fs::create_dir(&chart).unwrap();
        std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: coder\n").unwrap();
        std::fs::write(chart.join("values.yaml"), "replicaCount: 1\n").unwrap();
        std::fs::write(chart.join("pod.yaml"), POD).unwrap();
        let out = dir.path().join("out.tar.zst");
        let summary = import_paths(
            std::slice::from_ref(&chart),
            &out,
            &ImportOptions::default(),
        )
        .unwrap();
        assert_eq!(summary.manifest.object_count(), 1);
        let skipped: Vec<String> = summary.skipped.iter().map(ToString::to_string).collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(skipped[0].contains("Chart.yaml` document 1: not a Kubernetes object"));
        let spots = &manifest_of(&out).blind_spots;
        assert!(
            spots
                .iter()
                .any(|b| b.subject.contains("values.yaml") && b.reason.starts_with("skipped")),
            "{spots:?}"
        );
        let strict = ImportOptions {
            strict: true,
            ..ImportOptions::default()
        };
        let out2 = dir.path().join("strict.tar.zst");
        let err = import_paths(&[chart], &out2, &strict)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Chart.yaml` document 1") && err.contains("--strict"),
            "{err}"
        );
        assert_eq!(names(dir.path()), ["chart", "out.tar.zst"]);
    }

    #[test]
    fn importing_nothing_is_an_error_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("values.yaml");
        std::fs::write(
            &input,
            "a: 1\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n",
        )
        .unwrap();
        let out = dir.path().join("out.tar.zst");
        let err = import_paths(&[input], &out, &ImportOptions::default()).unwrap_err();
        assert!(
            matches!(
                err,
                ImportError::Nothing {
                    unknown: 1,
                    skipped: 1
                }
            ),
            "{err}"
        );
        assert_eq!(names(dir.path()), ["values.yaml"]);
    }

    #[test]
    fn existing_output_needs_overwrite_and_an_input_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.yaml");
        std::fs::write(&input, POD).unwrap();
        let out = dir.path().join("notes.txt");
        std::fs::write(&out, "keep me").unwrap();
        let err = import_paths(
            std::slice::from_ref(&input),
            &out,
            &ImportOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, ImportError::Exists { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
        let overwrite = ImportOptions {
            overwrite: true,
            ..ImportOptions::default()
        };
        import_paths(std::slice::from_ref(&input), &out, &overwrite).unwrap();
        assert_eq!(manifest_of(&out).object_count(), 1);
        for target in [input.clone(), dir.path().join(".").join("in.yaml")] {
            let err = import_paths(&[dir.path().to_path_buf()], &target, &overwrite).unwrap_err();
            assert!(matches!(err, ImportError::OutputIsInput { .. }), "{err}");
        }
        assert_eq!(std::fs::read_to_string(&input).unwrap(), POD);
        let err = import_paths(std::slice::from_ref(&input), dir.path(), &overwrite).unwrap_err();
        assert!(matches!(err, ImportError::OutputIsFolder { .. }), "{err}");
        assert_eq!(names(dir.path()), ["in.yaml", "notes.txt"]);
    }

    #[test]
    fn objects_without_a_name_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.tar.zst");
        for text in [
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"\"\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {}\n",
        ] {
            let docs = manifests::parse_bytes("n.yaml", text.as_bytes()).unwrap();
            let err = import_documents(docs, &out, &ImportOptions::default())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("`n.yaml` document 1: Pod object has a missing or empty"),
                "{err}"
            );
        }
        assert_eq!(names(dir.path()), Vec::<String>::new());
    }

    #[test]
    fn absent_kinds_are_listed_as_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.yaml");
        std::fs::write(&input, POD).unwrap();
        let out = dir.path().join("out.tar.zst");
        import_paths(&[input], &out, &ImportOptions::default()).unwrap();
        let m = manifest_of(&out);
        assert_eq!(m.kinds.len(), KINDS.len());
        let pods = m.kind("", "Pod").unwrap();
        assert_eq!((pods.status, pods.count), (KindStatus::Complete, 1));
        for kind in ["Node", "ClusterRoleBinding", "Secret"] {
            let k = m
                .kind(
                    if kind == "ClusterRoleBinding" {
                        "rbac.authorization.k8s.io"
                    } else {
                        ""
                    },
                    kind,
                )
                .unwrap();
            assert_eq!(k.status, KindStatus::NotFound, "{kind}");
            let message = k.message.as_deref().unwrap();
            assert!(message.starts_with(ABSENT_MESSAGE), "{message}");
            assert!(message.contains("hides"), "{message}");
        }
    }

    #[test]
    fn objects_beyond_the_reader_limits_are_refused_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.tar.zst");
        let small = ImportOptions {
            limits: ReadLimits {
                max_line_bytes: 4096,
                ..ReadLimits::default()
            },
            ..ImportOptions::default()
        };
        let big = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "big", "namespace": "a"},
            // Many ordinary names: each passes redaction's name check, together they pass the limit.
            "rules": [{"verbs": ["get"], "resources": ["pods"],
                "resourceNames": (0..400).map(|i| format!("pod-{i:04}")).collect::<Vec<_>>()}]});
        let doc = |object| Document {
            source: "big.yaml".into(),
            position: 3,
            object,
        };
        let err = import_documents(vec![doc(big)], &out, &small)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`big.yaml` document 3: Role `big`") && err.contains("4096"),
            "{err}"
        );
        let mut deep = json!("leaf");
        for _ in 0..MAX_NESTING_FOR_TEST {
            deep = json!({ "a": deep });
        }
        let pod =
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "deep"}, "spec": deep});
        let err = import_documents(vec![doc(pod)], &out, &ImportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("levels deep"), "{err}");
        assert_eq!(names(dir.path()), Vec::<String>::new());
    }

    const MAX_NESTING_FOR_TEST: usize = manifests::MAX_NESTING;

    #[test]
    fn nesting_limit_is_what_the_reader_accepts() {
        let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(serde_json::from_str::<Value>(&nested(manifests::MAX_NESTING)).is_ok());
        assert!(serde_json::from_str::<Value>(&nested(manifests::MAX_NESTING + 1)).is_err());
    }

    #[test]
    fn a_raised_stop_flag_stops_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.yaml");
        std::fs::write(&input, POD).unwrap();
        let out = dir.path().join("out.tar.zst");
        let stop = Arc::new(AtomicUsize::new(2));
        let options = ImportOptions {
            stop: Some(stop),
            ..ImportOptions::default()
        };
        let err = import_paths(&[input], &out, &options).unwrap_err();
        assert!(matches!(err, ImportError::Stopped { code: 2 }), "{err}");
        assert_eq!(names(dir.path()), ["in.yaml"]);
    }
}
