//! Reading: limits, path rules and the manifest's hashes, checked as the archive streams.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::{ArchiveError, Mismatch, io_err};
use crate::format::{self, MANIFEST_PATH, Manifest};
use crate::kinds::KindSpec;

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

/// The first bytes of a zstd frame: its magic number.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// The bit of the frame header descriptor (the byte after the magic) that says the frame ends with a
/// content checksum.
const ZSTD_CHECKSUM_FLAG: u8 = 0x04;
/// What libzstd says when the content checksum does not match.
const ZSTD_CHECKSUM_ERROR: &str = "Restored data doesn't match checksum";

/// The compressed side: counts the bytes read and keeps the first ones (the frame header).
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
    head: Vec<u8>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        if self.head.len() < 5 {
            let take = (5 - self.head.len()).min(n);
            self.head.extend_from_slice(&buf[..take]);
        }
        Ok(n)
    }
}

impl<R> Counting<R> {
    /// Whether the archive starts with a zstd frame whose header announces a content checksum.
    fn has_checksum(&self) -> bool {
        self.head.len() == 5
            && self.head[..4] == ZSTD_MAGIC
            && self.head[4] & ZSTD_CHECKSUM_FLAG != 0
    }
}

/// What the source of a snapshot is: a file, a pipe, or bytes in memory.
type Source = Box<dyn Read + Send>;
/// The zstd decoder over the counted source; it stops at the end of the first frame.
type Decoder = zstd::stream::read::Decoder<'static, BufReader<Counting<Source>>>;

/// The decompressed side, under the tar reader: keeps its position, the bytes read while the
/// manifest is read (so the stream is read once, from pipes too), and the last error of the layers
/// below (zstd, the file), so that tar's own errors, which quote header bytes, are never shown.
///
/// It also holds the whole stream to the total size and ratio limits: the tar reader reads some
/// records (long names, PAX headers) into memory itself, beyond the entries' own budget.
struct Tracked {
    inner: Decoder,
    pos: u64,
    record: Option<Vec<u8>>,
    failure: Arc<Mutex<Option<String>>>,
    limits: ReadLimits,
    compressed: Arc<AtomicU64>,
}

impl Tracked {
    fn fail(&self, message: String) -> io::Error {
        if let Ok(mut f) = self.failure.lock() {
            *f = Some(message.clone());
        }
        io::Error::other(message)
    }
}

impl Read for Tracked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.pos += n as u64;
                if let Some(record) = &mut self.record {
                    record.extend_from_slice(&buf[..n]);
                }
                // Headers and padding come on top of the entries' bytes (the entries' own budget
                // names the entry, so it should trip first): 1 KiB an entry and 1 MiB of slack.
                let slack = self
                    .limits
                    .max_entries
                    .saturating_mul(1024)
                    .saturating_add(1 << 20);
                let beyond = self.pos.saturating_sub(slack);
                if beyond > self.limits.max_total_bytes {
                    return Err(self.fail(format!(
                        "the total size limit: more than {} bytes uncompressed",
                        self.limits.max_total_bytes
                    )));
                }
                if beyond > self.limits.ratio_grace_bytes {
                    let compressed = self.compressed.load(Ordering::Relaxed).max(1);
                    if beyond / compressed > self.limits.max_ratio {
                        return Err(self.fail(format!(
                            "the compression ratio limit: {} bytes from {compressed} compressed, above {}:1",
                            self.pos, self.limits.max_ratio
                        )));
                    }
                }
                Ok(n)
            }
            Err(e) => Err(self.fail(format!("zstd: {e}"))),
        }
    }
}

/// Why reading the stream failed, in words that quote nothing from the input: the message of
/// zstd or the file system when one of them failed, else a damaged tar structure at an offset.
struct StreamErrors {
    archive: PathBuf,
    failure: Arc<Mutex<Option<String>>>,
}

impl StreamErrors {
    /// The failure of the layers below tar, if any.
    fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }

    /// Whether the failure is zstd's content checksum.
    fn checksum_failed(&self) -> bool {
        self.failure()
            .is_some_and(|m| m.contains(ZSTD_CHECKSUM_ERROR))
    }

    /// An error for `err`, which one of the layers returned.
    fn corrupt(&self, err: io::Error) -> ArchiveError {
        let source = match self.failure() {
            Some(message) => io::Error::new(err.kind(), message),
            None => io::Error::new(
                err.kind(),
                "damaged tar structure (a header or an entry's size is invalid, or the archive ends early)",
            ),
        };
        ArchiveError::Corrupt {
            archive: self.archive.clone(),
            source,
        }
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

/// A reader over one entry that hashes what passes through, counts its lines and enforces the
/// limits.
pub struct EntryReader<'a, R: Read> {
    inner: R,
    budget: &'a mut Budget,
    name: &'a str,
    read: u64,
    lines: u64,
    entry_limit: u64,
    hasher: Sha256,
    error: Option<ArchiveError>,
}

impl<'a, R: Read> EntryReader<'a, R> {
    fn new(inner: R, budget: &'a mut Budget, name: &'a str, entry_limit: u64) -> Self {
        EntryReader {
            inner,
            budget,
            name,
            read: 0,
            lines: 0,
            entry_limit,
            hasher: Sha256::new(),
            error: None,
        }
    }
}

impl<R: Read> Read for EntryReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.hasher.update(&buf[..n]);
        self.lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
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

/// What [`SnapshotReader::stream`] found once the whole archive was read.
#[derive(Debug, Clone)]
pub struct ReadOutcome {
    /// The manifest.
    pub manifest: Manifest,
    /// Every difference between the archive and its manifest (empty when they match).
    pub mismatches: Vec<Mismatch>,
    /// Compressed bytes read: the archive's size.
    pub archive_bytes: u64,
}

/// A snapshot opened for reading: the manifest is parsed and checked; entries are streamed once by
/// [`SnapshotReader::read_entries`]. The source is read once from start to end, so pipes and FIFOs
/// work as files do.
pub struct SnapshotReader {
    path: PathBuf,
    manifest: Manifest,
    limits: ReadLimits,
    /// The decompressed stream, just after the manifest's data.
    stream: Tracked,
    /// The decompressed bytes read so far (the manifest's headers and data).
    prefix: Vec<u8>,
    compressed: Arc<AtomicU64>,
}

impl std::fmt::Debug for SnapshotReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotReader")
            .field("path", &self.path)
            .finish()
    }
}

impl SnapshotReader {
    /// Opens `path` (a file, a pipe or a FIFO) and reads its manifest (the first entry) within
    /// `limits`.
    pub fn open(path: &Path, limits: ReadLimits) -> Result<Self, ArchiveError> {
        if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            return Err(ArchiveError::Io {
                path: path.to_path_buf(),
                source: io::Error::new(io::ErrorKind::IsADirectory, "a folder, not a snapshot"),
            });
        }
        let file = File::open(path).map_err(io_err(path))?;
        Self::from_reader(path, Box::new(file), limits)
    }

    /// Reads a snapshot from `source` (read once, from start to end); `path` names it in messages.
    pub fn from_reader(
        path: &Path,
        source: Box<dyn Read + Send>,
        limits: ReadLimits,
    ) -> Result<Self, ArchiveError> {
        let compressed = Arc::new(AtomicU64::new(0));
        let counting = Counting {
            inner: source,
            count: compressed.clone(),
            head: Vec::with_capacity(5),
        };
        let failure = Arc::new(Mutex::new(None));
        let errors = StreamErrors {
            archive: path.to_path_buf(),
            failure: failure.clone(),
        };
        let decoder = Decoder::new(counting)
            .map_err(|e| errors.corrupt(e))?
            .single_frame();
        let tracked = Tracked {
            inner: decoder,
            pos: 0,
            record: Some(Vec::new()),
            failure,
            limits,
            compressed: compressed.clone(),
        };
        let mut budget = Budget {
            archive: path.to_path_buf(),
            limits,
            compressed: compressed.clone(),
            total: 0,
        };
        let mut archive = tar::Archive::new(tracked);
        let manifest = {
            let mut entries = archive.entries().map_err(|e| errors.corrupt(e))?;
            read_manifest_entry(path, &mut entries, &mut budget, &errors)?
        };
        let mut stream = archive.into_inner();
        let prefix = stream.record.take().unwrap_or_default();
        Ok(SnapshotReader {
            path: path.to_path_buf(),
            manifest,
            limits,
            stream,
            prefix,
            compressed,
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Streams every entry after the manifest through `visit`, in archive order. Each entry is checked
    /// against the path rules and limits; its sha256, size and (for a kind) line count against the
    /// manifest. The visitor may read as much of the entry as it likes; the rest is drained and
    /// hashed. Entries the manifest does not list are passed to the visitor with `listed: false`, so
    /// readers can skip what they do not know. After the last entry, the rest of the archive is read:
    /// the zstd content checksum must match (and be present from format 1.1 on), and nothing may
    /// follow the archive's end.
    ///
    /// Returns the manifest and the mismatches found (empty when the archive matches its manifest);
    /// refusals, damage and limit breaches stop reading with an error. [`SnapshotReader::stream`]
    /// says more.
    pub fn read_entries<F>(self, visit: F) -> Result<(Manifest, Vec<Mismatch>), ArchiveError>
    where
        F: FnMut(&EntryInfo, &mut dyn BufRead) -> Result<(), String>,
    {
        let outcome = self.stream(visit)?;
        Ok((outcome.manifest, outcome.mismatches))
    }

    /// As [`SnapshotReader::read_entries`], and says how many compressed bytes were read.
    pub fn stream<F>(self, mut visit: F) -> Result<ReadOutcome, ArchiveError>
    where
        F: FnMut(&EntryInfo, &mut dyn BufRead) -> Result<(), String>,
    {
        let SnapshotReader {
            path,
            manifest,
            limits,
            stream,
            prefix,
            compressed,
        } = self;
        let errors = StreamErrors {
            archive: path.clone(),
            failure: stream.failure.clone(),
        };
        // Path → (bytes, sha256, lines for a kind's file).
        let mut expected: BTreeMap<String, (u64, String, Option<u64>)> = BTreeMap::new();
        for k in &manifest.kinds {
            if let (Some(p), Some(h)) = (&k.path, &k.sha256) {
                expected.insert(p.clone(), (k.bytes, h.clone(), Some(k.count)));
            }
        }
        for f in &manifest.files {
            expected.insert(f.path.clone(), (f.bytes, f.sha256.clone(), None));
        }
        let mut seen: HashSet<String> = HashSet::new();
        seen.insert(MANIFEST_PATH.to_string());
        let mut mismatches = Vec::new();
        let mut count: u64 = 1;
        let mut budget = Budget {
            archive: path.clone(),
            limits,
            compressed: compressed.clone(),
            total: 0,
        };
        let mut checksum_failed = false;
        let mut archive = tar::Archive::new(io::Cursor::new(prefix).chain(stream));
        {
            let mut entries = archive.entries().map_err(|e| errors.corrupt(e))?;
            // The manifest again, from the bytes kept in memory, so the budget covers the whole stream.
            read_manifest_entry(&path, &mut entries, &mut budget, &errors)?;
            for entry in entries {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(_) if errors.checksum_failed() => {
                        checksum_failed = true;
                        break;
                    }
                    Err(e) => return Err(errors.corrupt(e)),
                };
                count += 1;
                let name = check_entry(&path, &entry)?;
                if count > limits.max_entries {
                    return Err(ArchiveError::Limit {
                        archive: path,
                        entry: name,
                        limit: "entry count",
                        detail: format!("more than {} entries", limits.max_entries),
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
                if header_size > limits.max_entry_bytes {
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
                let mut reader =
                    EntryReader::new(entry, &mut budget, &name, limits.max_entry_bytes);
                let visited = {
                    let mut buffered = BufReader::with_capacity(1 << 16, &mut reader);
                    let r = visit(&info, &mut buffered);
                    let drained = io::copy(&mut buffered, &mut io::sink());
                    (r, drained)
                };
                if let Some(e) = reader.error.take() {
                    return Err(e);
                }
                if let Err(e) = visited.1 {
                    return Err(errors.corrupt(e));
                }
                if let Err(message) = visited.0 {
                    return Err(ArchiveError::Visitor {
                        archive: path,
                        entry: name,
                        message,
                    });
                }
                let actual_hash = hex::encode(reader.hasher.clone().finalize());
                let (actual_size, actual_lines) = (reader.read, reader.lines);
                match expected.get(&name) {
                    None => mismatches.push(Mismatch::Unlisted { path: name }),
                    Some((size, hash, lines)) => {
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
                        if let Some(lines) = lines
                            && *lines != actual_lines
                        {
                            mismatches.push(Mismatch::Count {
                                path: name.clone(),
                                expected: *lines,
                                actual: actual_lines,
                            });
                        }
                    }
                }
            }
        }
        for name in expected.keys() {
            if !seen.contains(name) {
                mismatches.push(Mismatch::Missing { path: name.clone() });
            }
        }
        let (_, mut stream) = archive.into_inner().into_inner();
        if !checksum_failed {
            checksum_failed = finish_stream(&mut stream, &mut budget, &errors, &mut mismatches)?;
        }
        if checksum_failed {
            mismatches.push(Mismatch::ContentChecksum);
        } else {
            let mut compressed_rest = stream.inner.finish();
            let trailing = !compressed_rest.buffer().is_empty()
                || compressed_rest
                    .read(&mut [0u8; 1])
                    .map_err(|e| errors.corrupt(e))?
                    > 0;
            if trailing {
                mismatches.push(Mismatch::TrailingData {
                    what: "bytes after the end of the compressed stream",
                });
            }
            let needs_checksum = format::version_of(&manifest.format_version)
                .is_some_and(|v| v >= format::CHECKSUM_SINCE);
            if needs_checksum && !compressed_rest.get_ref().has_checksum() {
                mismatches.push(Mismatch::NoContentChecksum);
            }
        }
        Ok(ReadOutcome {
            manifest,
            mismatches,
            archive_bytes: compressed.load(Ordering::Relaxed),
        })
    }
}

/// Reads what follows the tar's last entry to the end of the zstd frame: only zeros (the tar's end
/// blocks) may follow. Returns whether zstd's content checksum failed.
fn finish_stream(
    stream: &mut Tracked,
    budget: &mut Budget,
    errors: &StreamErrors,
    mismatches: &mut Vec<Mismatch>,
) -> Result<bool, ArchiveError> {
    let mut buf = vec![0u8; 1 << 16];
    let mut rest = 0u64;
    let mut nonzero = false;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(_) if errors.checksum_failed() => return Ok(true),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(errors.corrupt(e)),
        };
        rest += n as u64;
        nonzero |= buf[..n].iter().any(|&b| b != 0);
        budget.charge("(end of archive)", rest, n as u64, u64::MAX)?;
    }
    if nonzero {
        mismatches.push(Mismatch::TrailingData {
            what: "data after the tar archive's end",
        });
    }
    Ok(false)
}

/// Reads the first entry, which must be the manifest, and parses it.
fn read_manifest_entry<R: Read>(
    path: &Path,
    entries: &mut tar::Entries<'_, R>,
    budget: &mut Budget,
    errors: &StreamErrors,
) -> Result<Manifest, ArchiveError> {
    let first = match entries.next() {
        None => {
            return Err(ArchiveError::NoManifest {
                archive: path.to_path_buf(),
                found: "nothing".into(),
            });
        }
        Some(e) => e.map_err(|e| errors.corrupt(e))?,
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
    let mut reader = EntryReader::new(first, budget, MANIFEST_PATH, entry_limit);
    if let Err(e) = reader.read_to_end(&mut bytes) {
        return Err(reader.error.take().unwrap_or_else(|| errors.corrupt(e)));
    }
    format::parse_manifest(&bytes).map_err(|source| ArchiveError::Manifest {
        archive: path.to_path_buf(),
        source,
    })
}

/// Checks an entry's type and name; returns the name.
fn check_entry<R: Read>(archive: &Path, entry: &tar::Entry<'_, R>) -> Result<String, ArchiveError> {
    let raw = entry.path_bytes();
    // Shown escaped and cut short: a message never carries raw bytes from the input.
    let shown = super::shown(&String::from_utf8_lossy(&raw));
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
