//! Reading: limits, path rules and the manifest's hashes, checked as the archive streams.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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
