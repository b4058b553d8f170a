//! Snapshot archives: a streaming, atomic writer and a streaming reader that enforces limits, path
//! rules and the manifest's hashes.
//!
//! Layout: one zstd-compressed tar. Entry 1 is `manifest.json`; then one JSON Lines file per kind
//! (sorted by namespace, then name) and the other files the manifest lists.
//!
//! Writing spools each kind to a file in a temporary folder beside the target (memory holds only a
//! sort index), then writes the manifest and the spooled files into a temporary archive beside the
//! target and renames it into place: an interrupted write leaves no file at the target.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::format::{self, FileEntry, FormatError, KindEntry, KindStatus, MANIFEST_PATH, Manifest};
use crate::kinds::{KINDS, KindSpec};

/// zstd level used for snapshots: fast, and JSON compresses well at it.
pub const COMPRESSION_LEVEL: i32 = 6;

/// An error writing or reading a snapshot archive. Each variant names the file or entry.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// I/O on a file failed.
    #[error("I/O error on `{path}`")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// An object could not be serialised.
    #[error("cannot serialise an object for `{path}`")]
    Serialize {
        /// The archive path being written.
        path: String,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The archive (zstd or tar) is damaged.
    #[error("`{archive}` is not a readable snapshot archive")]
    Corrupt {
        /// The archive file.
        archive: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// An entry breaks a path or type rule.
    #[error("`{archive}`: entry `{entry}` refused: {reason}")]
    Refused {
        /// The archive file.
        archive: PathBuf,
        /// The entry name (escaped).
        entry: String,
        /// Which rule.
        reason: String,
    },
    /// A limit was exceeded.
    #[error("`{archive}`: entry `{entry}` exceeds the {limit} limit ({detail})")]
    Limit {
        /// The archive file.
        archive: PathBuf,
        /// The entry being read.
        entry: String,
        /// Which limit.
        limit: &'static str,
        /// The numbers.
        detail: String,
    },
    /// The first entry is not the manifest.
    #[error("`{archive}`: the first entry is `{found}`, expected `manifest.json`")]
    NoManifest {
        /// The archive file.
        archive: PathBuf,
        /// What came first (or `nothing`).
        found: String,
    },
    /// The manifest is invalid or too new.
    #[error("`{archive}`: bad manifest")]
    Manifest {
        /// The archive file.
        archive: PathBuf,
        /// The cause.
        #[source]
        source: FormatError,
    },
    /// A line of a JSON Lines entry does not parse.
    #[error("`{archive}`: entry `{entry}` line {line} is not valid JSON")]
    Line {
        /// The archive file.
        archive: PathBuf,
        /// The entry.
        entry: String,
        /// 1-based line number.
        line: u64,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The visitor of an entry failed.
    #[error("`{archive}`: reading entry `{entry}` failed: {message}")]
    Visitor {
        /// The archive file.
        archive: PathBuf,
        /// The entry.
        entry: String,
        /// What the visitor said.
        message: String,
    },
    /// Entries do not match the manifest's hashes, sizes or list.
    #[error("`{archive}`: {} entr{} do not match the manifest: {}", .mismatches.len(), if .mismatches.len() == 1 { "y" } else { "ies" }, .mismatches.iter().map(|m| m.to_string()).collect::<Vec<_>>().join("; "))]
    Mismatch {
        /// The archive file.
        archive: PathBuf,
        /// Every mismatch found.
        mismatches: Vec<Mismatch>,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One difference between the archive and its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// The content hash differs.
    Hash {
        /// Entry path.
        path: String,
        /// Hash in the manifest.
        expected: String,
        /// Hash of the content.
        actual: String,
    },
    /// The size differs.
    Size {
        /// Entry path.
        path: String,
        /// Size in the manifest.
        expected: u64,
        /// Actual size.
        actual: u64,
    },
    /// The manifest lists a file the archive lacks.
    Missing {
        /// Entry path.
        path: String,
    },
    /// The archive holds a file the manifest does not list.
    Unlisted {
        /// Entry path.
        path: String,
    },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::Hash {
                path,
                expected,
                actual,
            } => write!(f, "`{path}`: sha256 {actual}, manifest says {expected}"),
            Mismatch::Size {
                path,
                expected,
                actual,
            } => write!(f, "`{path}`: {actual} bytes, manifest says {expected}"),
            Mismatch::Missing { path } => write!(
                f,
                "`{path}`: listed in the manifest, absent from the archive"
            ),
            Mismatch::Unlisted { path } => {
                write!(f, "`{path}`: in the archive, not listed in the manifest")
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// A JSON Lines file being spooled to disk, object by object. `Send`, so capture tasks can fill
/// spools in parallel and hand them to the writer when done.
pub struct Spool {
    archive_path: String,
    file_path: PathBuf,
    out: BufWriter<File>,
    /// The last line's (namespace, name) while lines arrive in order, which is how API servers list.
    last: Option<(String, String)>,
    /// (namespace, name, offset, length) per line, built only once a line arrives out of order: memory
    /// stays flat for sorted input.
    index: Option<Vec<SortKey>>,
    count: u64,
    offset: u64,
    hasher: Sha256,
    buf: Vec<u8>,
}

/// A line's sorting key and place in the spool file.
type SortKey = (String, String, u64, u32);

/// Just enough of an object to sort it.
#[derive(serde::Deserialize)]
struct KeyOnly {
    #[serde(default)]
    metadata: Option<KeyMeta>,
}

#[derive(serde::Deserialize)]
struct KeyMeta {
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

impl Spool {
    fn create(dir: &Path, archive_path: String, seq: u64) -> Result<Self, ArchiveError> {
        let file_path = dir.join(format!("spool-{seq}.jsonl"));
        let file = File::create(&file_path).map_err(io_err(&file_path))?;
        Ok(Spool {
            archive_path,
            file_path,
            out: BufWriter::with_capacity(1 << 16, file),
            last: None,
            index: None,
            count: 0,
            offset: 0,
            hasher: Sha256::new(),
            buf: Vec::with_capacity(4096),
        })
    }

    /// The archive path this spool becomes.
    pub fn archive_path(&self) -> &str {
        &self.archive_path
    }

    /// Number of objects pushed so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Appends one object as a line. The object is serialised compactly; its namespace and name
    /// decide its place in the sorted file.
    pub fn push(&mut self, object: &Value) -> Result<(), ArchiveError> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        serde_json::to_writer(&mut buf, object).map_err(|source| ArchiveError::Serialize {
            path: self.archive_path.clone(),
            source,
        })?;
        buf.push(b'\n');
        let ns = crate::manifests::namespace_of(object).unwrap_or("");
        let name = crate::manifests::name_of(object).unwrap_or("");
        let result = self.append(ns, name, &buf);
        self.buf = buf;
        result
    }

    /// Appends an already serialised document (no sorting key): for single JSON files.
    pub fn push_raw(&mut self, bytes: &[u8]) -> Result<(), ArchiveError> {
        self.append("", "", bytes)
    }

    /// Records a line's key (switching to an index on the first line out of order) and writes it.
    fn append(&mut self, ns: &str, name: &str, line: &[u8]) -> Result<(), ArchiveError> {
        let len = u32::try_from(line.len()).map_err(|_| ArchiveError::Limit {
            archive: self.file_path.clone(),
            entry: self.archive_path.clone(),
            limit: "object size",
            detail: format!("{} bytes in one object", line.len()),
        })?;
        if self.index.is_none() {
            let in_order = self
                .last
                .as_ref()
                .is_none_or(|(l_ns, l_name)| (l_ns.as_str(), l_name.as_str()) <= (ns, name));
            if in_order {
                let last = self.last.get_or_insert_with(Default::default);
                last.0.clear();
                last.0.push_str(ns);
                last.1.clear();
                last.1.push_str(name);
                self.hasher.update(line);
            } else {
                self.index = Some(self.rebuild_index()?);
            }
        }
        if let Some(index) = &mut self.index {
            index.push((ns.to_string(), name.to_string(), self.offset, len));
        }
        self.out.write_all(line).map_err(io_err(&self.file_path))?;
        self.offset += u64::from(len);
        self.count += 1;
        Ok(())
    }

    /// Reads back the lines written so far and returns their sorting keys.
    fn rebuild_index(&mut self) -> Result<Vec<SortKey>, ArchiveError> {
        self.out.flush().map_err(io_err(&self.file_path))?;
        let file = File::open(&self.file_path).map_err(io_err(&self.file_path))?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut index = Vec::with_capacity(self.count as usize);
        let mut line = Vec::new();
        let mut offset = 0u64;
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(io_err(&self.file_path))?;
            if n == 0 {
                break;
            }
            let key: KeyOnly = serde_json::from_slice(&line).unwrap_or(KeyOnly { metadata: None });
            let (ns, name) = key
                .metadata
                .map(|m| (m.namespace.unwrap_or_default(), m.name.unwrap_or_default()))
                .unwrap_or_default();
            index.push((ns, name, offset, n as u32));
            offset += n as u64;
        }
        Ok(index)
    }

    /// Finishes the spool: flushes, and sorts it by namespace then name when objects arrived out of
    /// order (reading lines back one at a time; memory holds only the index).
    pub fn finish(mut self) -> Result<Spooled, ArchiveError> {
        self.out.flush().map_err(io_err(&self.file_path))?;
        let count = self.count;
        let Some(mut index) = self.index.take() else {
            let sha256 = hex::encode(self.hasher.finalize());
            return Ok(Spooled {
                archive_path: self.archive_path,
                file_path: self.file_path,
                count,
                bytes: self.offset,
                sha256,
            });
        };
        drop(self.out);
        index.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let sorted_path = self.file_path.with_extension("sorted.jsonl");
        let mut input = File::open(&self.file_path).map_err(io_err(&self.file_path))?;
        let out_file = File::create(&sorted_path).map_err(io_err(&sorted_path))?;
        let mut out = BufWriter::with_capacity(1 << 16, out_file);
        let mut hasher = Sha256::new();
        let mut line = Vec::new();
        for (_, _, offset, len) in &index {
            line.resize(*len as usize, 0);
            input
                .seek(SeekFrom::Start(*offset))
                .map_err(io_err(&self.file_path))?;
            input
                .read_exact(&mut line)
                .map_err(io_err(&self.file_path))?;
            hasher.update(&line);
            out.write_all(&line).map_err(io_err(&sorted_path))?;
        }
        out.flush().map_err(io_err(&sorted_path))?;
        drop(input);
        let _ = std::fs::remove_file(&self.file_path);
        Ok(Spooled {
            archive_path: self.archive_path,
            file_path: sorted_path,
            count,
            bytes: self.offset,
            sha256: hex::encode(hasher.finalize()),
        })
    }
}

/// A finished spool, ready to go into the archive.
#[derive(Debug)]
pub struct Spooled {
    archive_path: String,
    file_path: PathBuf,
    count: u64,
    bytes: u64,
    sha256: String,
}

impl Spooled {
    /// Number of objects.
    pub fn count(&self) -> u64 {
        self.count
    }
    /// Size in bytes.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
    /// Reads the spooled lines back (sorted, as they go into the archive), for a second pass over a
    /// kind that does not hold it in memory.
    pub fn reader(&self) -> Result<BufReader<File>, ArchiveError> {
        let file = File::open(&self.file_path).map_err(io_err(&self.file_path))?;
        Ok(BufReader::with_capacity(1 << 16, file))
    }
}

/// Writes a snapshot atomically. Create it, fill spools (in parallel if wished), add them, then
/// [`SnapshotWriter::finish`] with the manifest. Dropping it unfinished removes every temporary file
/// and leaves the target untouched.
pub struct SnapshotWriter {
    target: PathBuf,
    spool_dir: tempfile::TempDir,
    seq: AtomicU64,
    kinds: BTreeMap<usize, (KindEntry, Option<Spooled>)>,
    files: BTreeMap<String, (String, Spooled)>,
    level: i32,
}

impl SnapshotWriter {
    /// Prepares to write `target`. Temporary files go in the target's folder, so the final rename
    /// stays on one file system.
    pub fn create(target: &Path) -> Result<Self, ArchiveError> {
        let dir = parent_dir(target);
        let spool_dir = tempfile::Builder::new()
            .prefix(".coder-sec-spool-")
            .tempdir_in(&dir)
            .map_err(io_err(&dir))?;
        Ok(SnapshotWriter {
            target: target.to_path_buf(),
            spool_dir,
            seq: AtomicU64::new(0),
            kinds: BTreeMap::new(),
            files: BTreeMap::new(),
            level: COMPRESSION_LEVEL,
        })
    }

    /// Sets the zstd level (1..=19).
    pub fn with_level(mut self, level: i32) -> Self {
        self.level = level;
        self
    }

    /// A new spool for a kind's objects.
    pub fn spool_kind(&self, spec: &KindSpec) -> Result<Spool, ArchiveError> {
        self.spool(spec.archive_path())
    }

    /// A new spool for another file (`coder/...`).
    pub fn spool(&self, archive_path: String) -> Result<Spool, ArchiveError> {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        Spool::create(self.spool_dir.path(), archive_path, seq)
    }

    /// Records a kind that was read completely.
    pub fn add_kind(&mut self, spec: &KindSpec, spooled: Spooled) {
        let entry = KindEntry {
            group: spec.group.to_string(),
            version: spec.version.to_string(),
            kind: spec.kind.to_string(),
            path: Some(spooled.archive_path.clone()),
            count: spooled.count,
            bytes: spooled.bytes,
            sha256: Some(spooled.sha256.clone()),
            status: KindStatus::Complete,
            message: None,
        };
        self.kinds.insert(kind_order(spec), (entry, Some(spooled)));
    }

    /// Records a kind that could not be read (forbidden, not found, error).
    pub fn add_unread_kind(
        &mut self,
        spec: &KindSpec,
        status: KindStatus,
        message: impl Into<String>,
    ) {
        self.kinds.insert(
            kind_order(spec),
            (KindEntry::unread(spec, status, message), None),
        );
    }

    /// Records another file.
    pub fn add_file(&mut self, spooled: Spooled, description: impl Into<String>) {
        self.files
            .insert(spooled.archive_path.clone(), (description.into(), spooled));
    }

    /// Writes the archive: `manifest` (its `kinds` and `files` filled in here), then every spooled
    /// file, into a temporary file beside the target that is renamed into place. Returns the final
    /// manifest and the archive's size.
    pub fn finish(self, mut manifest: Manifest) -> Result<(Manifest, u64), ArchiveError> {
        let mut spooled_files: Vec<Spooled> = Vec::new();
        manifest.kinds.clear();
        for (_, (entry, spooled)) in self.kinds {
            manifest.kinds.push(entry);
            spooled_files.extend(spooled);
        }
        manifest.files.clear();
        for (path, (description, spooled)) in self.files {
            manifest.files.push(FileEntry {
                path,
                description,
                count: spooled.count,
                bytes: spooled.bytes,
                sha256: spooled.sha256.clone(),
            });
            spooled_files.push(spooled);
        }
        let manifest_bytes =
            serde_json::to_vec_pretty(&manifest).map_err(|source| ArchiveError::Serialize {
                path: MANIFEST_PATH.to_string(),
                source,
            })?;

        let dir = parent_dir(&self.target);
        let tmp = tempfile::Builder::new()
            .prefix(".coder-sec-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(io_err(&dir))?;
        let tmp_path = tmp.path().to_path_buf();
        let file = tmp.as_file().try_clone().map_err(io_err(&tmp_path))?;
        let encoder =
            zstd::stream::Encoder::new(BufWriter::with_capacity(1 << 16, file), self.level)
                .map_err(io_err(&tmp_path))?;
        let mut tar = tar::Builder::new(encoder);
        tar.mode(tar::HeaderMode::Deterministic);
        append(
            &mut tar,
            MANIFEST_PATH,
            manifest_bytes.len() as u64,
            &manifest_bytes[..],
        )
        .map_err(io_err(&tmp_path))?;
        for spooled in &spooled_files {
            let f = File::open(&spooled.file_path).map_err(io_err(&spooled.file_path))?;
            append(
                &mut tar,
                &spooled.archive_path,
                spooled.bytes,
                BufReader::new(f),
            )
            .map_err(io_err(&tmp_path))?;
        }
        let encoder = tar.into_inner().map_err(io_err(&tmp_path))?;
        let mut buffered = encoder.finish().map_err(io_err(&tmp_path))?;
        buffered.flush().map_err(io_err(&tmp_path))?;
        let file = buffered.into_inner().map_err(|e| ArchiveError::Io {
            path: tmp_path.clone(),
            source: e.into_error(),
        })?;
        // Temporary files are created private (0600); a snapshot is an ordinary file to share.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(io_err(&tmp_path))?;
        }
        file.sync_all().map_err(io_err(&tmp_path))?;
        let size = file.metadata().map_err(io_err(&tmp_path))?.len();
        tmp.persist(&self.target).map_err(|e| ArchiveError::Io {
            path: self.target.clone(),
            source: e.error,
        })?;
        Ok((manifest, size))
    }
}

fn kind_order(spec: &KindSpec) -> usize {
    KINDS.iter().position(|k| k == spec).unwrap_or(KINDS.len())
}

fn parent_dir(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn append<W: Write, R: Read>(
    tar: &mut tar::Builder<W>,
    path: &str,
    size: u64,
    data: R,
) -> io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, path, data)
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// Limits enforced while reading a snapshot. The defaults fit the largest clusters Kubernetes supports
/// with room to spare, and stop decompression bombs long before memory or disk suffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Total uncompressed bytes of all entries (default 16 GiB).
    pub max_total_bytes: u64,
    /// Uncompressed bytes of one entry (default 4 GiB).
    pub max_entry_bytes: u64,
    /// Uncompressed bytes of the manifest (default 16 MiB).
    pub max_manifest_bytes: u64,
    /// Uncompressed / compressed ratio, checked once past `ratio_grace_bytes` (default 1000).
    pub max_ratio: u64,
    /// Uncompressed bytes read before the ratio is enforced (default 64 MiB).
    pub ratio_grace_bytes: u64,
    /// Number of entries (default 10,000).
    pub max_entries: u64,
    /// Length of one JSON Lines record (default 64 MiB).
    pub max_line_bytes: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_total_bytes: 16 << 30,
            max_entry_bytes: 4 << 30,
            max_manifest_bytes: 16 << 20,
            max_ratio: 1000,
            ratio_grace_bytes: 64 << 20,
            max_entries: 10_000,
            max_line_bytes: 64 << 20,
        }
    }
}

/// Counts bytes read from the compressed file.
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Shared state of limit checks while an entry is read.
struct Budget {
    archive: PathBuf,
    limits: ReadLimits,
    compressed: Arc<AtomicU64>,
    total: u64,
}

impl Budget {
    fn charge(
        &mut self,
        entry: &str,
        entry_bytes: u64,
        n: u64,
        entry_limit: u64,
    ) -> Result<(), ArchiveError> {
        self.total += n;
        let limit = |limit: &'static str, detail: String| ArchiveError::Limit {
            archive: self.archive.clone(),
            entry: entry.to_string(),
            limit,
            detail,
        };
        if entry_bytes > entry_limit {
            return Err(limit(
                "per-entry size",
                format!("more than {entry_limit} bytes uncompressed"),
            ));
        }
        if self.total > self.limits.max_total_bytes {
            return Err(limit(
                "total size",
                format!(
                    "more than {} bytes uncompressed in all",
                    self.limits.max_total_bytes
                ),
            ));
        }
        if self.total > self.limits.ratio_grace_bytes {
            let compressed = self.compressed.load(Ordering::Relaxed).max(1);
            if self.total / compressed > self.limits.max_ratio {
                return Err(limit(
                    "compression ratio",
                    format!(
                        "{} bytes from {} compressed, above {}:1",
                        self.total, compressed, self.limits.max_ratio
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A reader over one entry that hashes what passes through and enforces the limits.
pub struct EntryReader<'a, R: Read> {
    inner: R,
    budget: &'a mut Budget,
    name: &'a str,
    read: u64,
    entry_limit: u64,
    hasher: Sha256,
    error: Option<ArchiveError>,
}

impl<R: Read> Read for EntryReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.hasher.update(&buf[..n]);
        if let Err(e) = self
            .budget
            .charge(self.name, self.read, n as u64, self.entry_limit)
        {
            let msg = e.to_string();
            self.error = Some(e);
            return Err(io::Error::other(msg));
        }
        Ok(n)
    }
}

/// What is known about an entry when the visitor sees it.
#[derive(Debug, Clone)]
pub struct EntryInfo {
    /// Path in the archive.
    pub path: String,
    /// The kind, when the entry is a kind's file.
    pub kind: Option<&'static KindSpec>,
    /// Whether the manifest lists the entry.
    pub listed: bool,
}

/// A snapshot opened for reading: the manifest is parsed and checked; entries are streamed once by
/// [`SnapshotReader::read_entries`].
pub struct SnapshotReader {
    path: PathBuf,
    manifest: Manifest,
    limits: ReadLimits,
}

type ArchiveStream = tar::Archive<zstd::stream::Decoder<'static, BufReader<Counting<File>>>>;

/// Opens the archive file as a tar stream, with a fresh budget.
fn open_stream(path: &Path, limits: ReadLimits) -> Result<(ArchiveStream, Budget), ArchiveError> {
    let file = File::open(path).map_err(io_err(path))?;
    let compressed = Arc::new(AtomicU64::new(0));
    let counting = Counting {
        inner: file,
        count: compressed.clone(),
    };
    let decoder = zstd::stream::Decoder::new(counting).map_err(|source| ArchiveError::Corrupt {
        archive: path.to_path_buf(),
        source,
    })?;
    let budget = Budget {
        archive: path.to_path_buf(),
        limits,
        compressed,
        total: 0,
    };
    Ok((tar::Archive::new(decoder), budget))
}

impl std::fmt::Debug for SnapshotReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotReader")
            .field("path", &self.path)
            .finish()
    }
}

impl SnapshotReader {
    /// Opens `path` and reads its manifest (the first entry) within `limits`.
    pub fn open(path: &Path, limits: ReadLimits) -> Result<Self, ArchiveError> {
        let (mut archive, mut budget) = open_stream(path, limits)?;
        let mut entries = archive.entries().map_err(|source| ArchiveError::Corrupt {
            archive: path.to_path_buf(),
            source,
        })?;
        let manifest = read_manifest_entry(path, &mut entries, &mut budget)?;
        Ok(SnapshotReader {
            path: path.to_path_buf(),
            manifest,
            limits,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Streams every entry after the manifest through `visit`, in archive order. Each entry is checked
    /// against the path rules and limits; its sha256 and size against the manifest. The visitor may read
    /// as much of the entry as it likes; the rest is drained and hashed. Entries the manifest does not
    /// list are passed to the visitor with `listed: false`, so readers can skip what they do not know.
    ///
    /// Returns the mismatches found (empty when the archive matches its manifest); refusals and limit
    /// breaches stop reading with an error.
    pub fn read_entries<F>(self, mut visit: F) -> Result<(Manifest, Vec<Mismatch>), ArchiveError>
    where
        F: FnMut(&EntryInfo, &mut dyn BufRead) -> Result<(), String>,
    {
        let mut expected: BTreeMap<String, (u64, String)> = BTreeMap::new();
        for k in &self.manifest.kinds {
            if let (Some(p), Some(h)) = (&k.path, &k.sha256) {
                expected.insert(p.clone(), (k.bytes, h.clone()));
            }
        }
        for f in &self.manifest.files {
            expected.insert(f.path.clone(), (f.bytes, f.sha256.clone()));
        }
        let mut seen: HashSet<String> = HashSet::new();
        seen.insert(MANIFEST_PATH.to_string());
        let mut mismatches = Vec::new();
        let mut count: u64 = 1;
        let path = self.path.clone();
        let (mut archive, mut budget) = open_stream(&path, self.limits)?;
        let mut entries = archive.entries().map_err(|source| ArchiveError::Corrupt {
            archive: path.clone(),
            source,
        })?;
        // The manifest is read again (it is small) so that the budget covers the whole stream.
        read_manifest_entry(&path, &mut entries, &mut budget)?;
        for entry in entries {
            let entry = entry.map_err(|source| ArchiveError::Corrupt {
                archive: path.clone(),
                source,
            })?;
            count += 1;
            let name = check_entry(&path, &entry)?;
            if count > self.limits.max_entries {
                return Err(ArchiveError::Limit {
                    archive: path,
                    entry: name,
                    limit: "entry count",
                    detail: format!("more than {} entries", self.limits.max_entries),
                });
            }
            if !seen.insert(name.clone()) {
                return Err(ArchiveError::Refused {
                    archive: path,
                    entry: name,
                    reason: "duplicate entry name".into(),
                });
            }
            let header_size = entry.header().size().unwrap_or(u64::MAX);
            if header_size > self.limits.max_entry_bytes {
                return Err(ArchiveError::Limit {
                    archive: path,
                    entry: name,
                    limit: "per-entry size",
                    detail: format!("header says {header_size} bytes"),
                });
            }
            let info = EntryInfo {
                kind: crate::kinds::lookup_path(&name),
                listed: expected.contains_key(&name),
                path: name.clone(),
            };
            let entry_limit = self.limits.max_entry_bytes;
            let mut reader = EntryReader {
                inner: entry,
                budget: &mut budget,
                name: &name,
                read: 0,
                entry_limit,
                hasher: Sha256::new(),
                error: None,
            };
            let visited = {
                let mut buffered = BufReader::with_capacity(1 << 16, &mut reader);
                let r = visit(&info, &mut buffered);
                let drained = io::copy(&mut buffered, &mut io::sink());
                (r, drained)
            };
            if let Some(e) = reader.error.take() {
                return Err(e);
            }
            if let Err(source) = visited.1 {
                return Err(ArchiveError::Corrupt {
                    archive: path,
                    source,
                });
            }
            if let Err(message) = visited.0 {
                return Err(ArchiveError::Visitor {
                    archive: path,
                    entry: name,
                    message,
                });
            }
            let actual_hash = hex::encode(reader.hasher.clone().finalize());
            let actual_size = reader.read;
            match expected.get(&name) {
                None => mismatches.push(Mismatch::Unlisted { path: name }),
                Some((size, hash)) => {
                    if *hash != actual_hash {
                        mismatches.push(Mismatch::Hash {
                            path: name.clone(),
                            expected: hash.clone(),
                            actual: actual_hash,
                        });
                    } else if *size != actual_size {
                        mismatches.push(Mismatch::Size {
                            path: name.clone(),
                            expected: *size,
                            actual: actual_size,
                        });
                    }
                }
            }
        }
        for name in expected.keys() {
            if !seen.contains(name) {
                mismatches.push(Mismatch::Missing { path: name.clone() });
            }
        }
        Ok((self.manifest, mismatches))
    }
}

/// Reads the first entry, which must be the manifest, and parses it.
fn read_manifest_entry<R: Read>(
    path: &Path,
    entries: &mut tar::Entries<'_, R>,
    budget: &mut Budget,
) -> Result<Manifest, ArchiveError> {
    let first = match entries.next() {
        None => {
            return Err(ArchiveError::NoManifest {
                archive: path.to_path_buf(),
                found: "nothing".into(),
            });
        }
        Some(e) => e.map_err(|source| ArchiveError::Corrupt {
            archive: path.to_path_buf(),
            source,
        })?,
    };
    let name = check_entry(path, &first)?;
    if name != MANIFEST_PATH {
        return Err(ArchiveError::NoManifest {
            archive: path.to_path_buf(),
            found: name,
        });
    }
    let entry_limit = budget.limits.max_manifest_bytes;
    let mut bytes = Vec::new();
    let mut reader = EntryReader {
        inner: first,
        budget,
        name: MANIFEST_PATH,
        read: 0,
        entry_limit,
        hasher: Sha256::new(),
        error: None,
    };
    if let Err(source) = reader.read_to_end(&mut bytes) {
        return Err(reader.error.take().unwrap_or(ArchiveError::Corrupt {
            archive: path.to_path_buf(),
            source,
        }));
    }
    format::parse_manifest(&bytes).map_err(|source| ArchiveError::Manifest {
        archive: path.to_path_buf(),
        source,
    })
}

/// Checks an entry's type and name; returns the name.
fn check_entry<R: Read>(archive: &Path, entry: &tar::Entry<'_, R>) -> Result<String, ArchiveError> {
    let raw = entry.path_bytes();
    let shown: String = String::from_utf8_lossy(&raw)
        .chars()
        .flat_map(char::escape_default)
        .collect();
    let refuse = |reason: &str| ArchiveError::Refused {
        archive: archive.to_path_buf(),
        entry: shown.clone(),
        reason: reason.to_string(),
    };
    let kind = entry.header().entry_type();
    if !kind.is_file() {
        let what = if kind.is_symlink() || kind.is_hard_link() {
            "links are not allowed"
        } else if kind.is_character_special() || kind.is_block_special() || kind.is_fifo() {
            "devices and fifos are not allowed"
        } else if kind.is_dir() {
            "directories are not allowed"
        } else {
            "only regular files are allowed"
        };
        return Err(refuse(what));
    }
    let name = std::str::from_utf8(&raw).map_err(|_| refuse("name is not UTF-8"))?;
    if name.is_empty() || name.len() > 255 {
        return Err(refuse("name is empty or longer than 255 bytes"));
    }
    if name.chars().any(char::is_control) {
        return Err(refuse("name contains control characters"));
    }
    if name.starts_with('/') || name.contains('\\') || name.contains(':') {
        return Err(refuse("absolute paths are not allowed"));
    }
    if name
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(refuse(
            "`..`, `.` and empty path components are not allowed",
        ));
    }
    Ok(name.to_string())
}

/// Reads JSON Lines from `reader`, calling `each` with the 1-based line number and the parsed value.
/// Why [`append_line`] read no line.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// The reader failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The line is longer than the limit (it is left half read).
    #[error("line longer than the limit")]
    TooLong,
}

/// Appends the next line of `reader` (its `\n` included) to `buf`, reading at most `max_line + 1`
/// bytes, so an endless line never fills memory: the bytes read, 0 at the end of the input. Every
/// reader of JSON Lines goes through here, so the limit is applied in one place.
pub fn append_line(
    reader: &mut dyn BufRead,
    max_line: u64,
    buf: &mut Vec<u8>,
) -> Result<usize, LineError> {
    let read = reader
        .take(max_line.saturating_add(1))
        .read_until(b'\n', buf)?;
    if read as u64 > max_line {
        return Err(LineError::TooLong);
    }
    Ok(read)
}

/// Lines longer than `max_line` and lines that are not JSON are errors naming the entry and line.
pub fn read_json_lines<F>(
    archive: &Path,
    entry: &str,
    reader: &mut dyn BufRead,
    max_line: u64,
    mut each: F,
) -> Result<u64, ArchiveError>
where
    F: FnMut(u64, Value) -> Result<(), String>,
{
    let mut line = Vec::new();
    let mut n = 0;
    loop {
        line.clear();
        let read = match append_line(reader, max_line, &mut line) {
            Ok(read) => read,
            Err(LineError::Io(source)) => {
                return Err(ArchiveError::Corrupt {
                    archive: archive.to_path_buf(),
                    source,
                });
            }
            Err(LineError::TooLong) => {
                return Err(ArchiveError::Limit {
                    archive: archive.to_path_buf(),
                    entry: entry.to_string(),
                    limit: "line length",
                    detail: format!("line {} is longer than {max_line} bytes", n + 1),
                });
            }
        };
        if read == 0 {
            break;
        }
        n += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value: Value = serde_json::from_slice(&line).map_err(|source| ArchiveError::Line {
            archive: archive.to_path_buf(),
            entry: entry.to_string(),
            line: n,
            source,
        })?;
        each(n, value).map_err(|message| ArchiveError::Visitor {
            archive: archive.to_path_buf(),
            entry: entry.to_string(),
            message,
        })?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests;
