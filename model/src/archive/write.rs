//! Writing: spools (one per kind or file, sorted by namespace then name) and the atomic writer.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{ArchiveError, COMPRESSION_LEVEL, io_err};
use crate::format::{FileEntry, KindEntry, KindStatus, MANIFEST_PATH, Manifest};
use crate::kinds::{KINDS, KindSpec};

/// A JSON Lines file being spooled to disk, object by object. `Send`, so capture tasks can fill
/// spools in parallel and hand them to the writer when done.
pub struct Spool {
    archive_path: String,
    /// The snapshot being written: what messages name, never the temporary file.
    target: PathBuf,
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
    fn create(
        dir: &Path,
        target: &Path,
        archive_path: String,
        seq: u64,
    ) -> Result<Self, ArchiveError> {
        let file_path = dir.join(format!("spool-{seq}.jsonl"));
        let file = File::create(&file_path).map_err(io_err(target))?;
        Ok(Spool {
            archive_path,
            target: target.to_path_buf(),
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
            archive: self.target.clone(),
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
        self.out.write_all(line).map_err(io_err(&self.target))?;
        self.offset += u64::from(len);
        self.count += 1;
        Ok(())
    }

    /// Reads back the lines written so far and returns their sorting keys.
    fn rebuild_index(&mut self) -> Result<Vec<SortKey>, ArchiveError> {
        self.out.flush().map_err(io_err(&self.target))?;
        let file = File::open(&self.file_path).map_err(io_err(&self.target))?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut index = Vec::with_capacity(self.count as usize);
        let mut line = Vec::new();
        let mut offset = 0u64;
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(io_err(&self.target))?;
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
        self.out.flush().map_err(io_err(&self.target))?;
        let count = self.count;
        let Some(mut index) = self.index.take() else {
            let sha256 = hex::encode(self.hasher.finalize());
            return Ok(Spooled {
                archive_path: self.archive_path,
                target: self.target,
                file_path: self.file_path,
                count,
                bytes: self.offset,
                sha256,
            });
        };
        drop(self.out);
        index.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let sorted_path = self.file_path.with_extension("sorted.jsonl");
        let mut input = File::open(&self.file_path).map_err(io_err(&self.target))?;
        let out_file = File::create(&sorted_path).map_err(io_err(&self.target))?;
        let mut out = BufWriter::with_capacity(1 << 16, out_file);
        let mut hasher = Sha256::new();
        let mut line = Vec::new();
        for (_, _, offset, len) in &index {
            line.resize(*len as usize, 0);
            input
                .seek(SeekFrom::Start(*offset))
                .map_err(io_err(&self.target))?;
            input.read_exact(&mut line).map_err(io_err(&self.target))?;
            hasher.update(&line);
            out.write_all(&line).map_err(io_err(&self.target))?;
        }
        out.flush().map_err(io_err(&self.target))?;
        drop(input);
        let _ = std::fs::remove_file(&self.file_path);
        Ok(Spooled {
            archive_path: self.archive_path,
            target: self.target,
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
    target: PathBuf,
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
        let file = File::open(&self.file_path).map_err(io_err(&self.target))?;
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
            .map_err(|e| io_err(target)(without_path(e)))?;
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
        Spool::create(self.spool_dir.path(), &self.target, archive_path, seq)
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
            .map_err(|e| io_err(&self.target)(without_path(e)))?;
        let file = tmp.as_file().try_clone().map_err(io_err(&self.target))?;
        let mut encoder =
            zstd::stream::Encoder::new(BufWriter::with_capacity(1 << 16, file), self.level)
                .map_err(io_err(&self.target))?;
        // The content checksum covers every byte, the manifest's included (format 1.1).
        encoder
            .include_checksum(true)
            .map_err(io_err(&self.target))?;
        let mut tar = tar::Builder::new(encoder);
        tar.mode(tar::HeaderMode::Deterministic);
        append(
            &mut tar,
            MANIFEST_PATH,
            manifest_bytes.len() as u64,
            &manifest_bytes[..],
        )
        .map_err(io_err(&self.target))?;
        for spooled in &spooled_files {
            let f = File::open(&spooled.file_path).map_err(io_err(&self.target))?;
            append(
                &mut tar,
                &spooled.archive_path,
                spooled.bytes,
                BufReader::new(f),
            )
            .map_err(io_err(&self.target))?;
        }
        let encoder = tar.into_inner().map_err(io_err(&self.target))?;
        let mut buffered = encoder.finish().map_err(io_err(&self.target))?;
        buffered.flush().map_err(io_err(&self.target))?;
        let file = buffered.into_inner().map_err(|e| ArchiveError::Io {
            path: self.target.clone(),
            source: e.into_error(),
        })?;
        // Temporary files are created private (0600); a snapshot is an ordinary file to share.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(std::fs::Permissions::from_mode(0o644))
                .map_err(io_err(&self.target))?;
        }
        file.sync_all().map_err(io_err(&self.target))?;
        let size = file.metadata().map_err(io_err(&self.target))?.len();
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

/// An I/O error of a temporary file without the temporary path `tempfile` adds to its message
/// (`… at path "/dir/.coder-sec-spool-x"`): messages name the user's target instead.
pub fn without_path(e: io::Error) -> io::Error {
    let text = e.to_string();
    match text.rsplit_once(" at path ") {
        Some((message, _)) => io::Error::new(e.kind(), message.to_string()),
        None => e,
    }
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
