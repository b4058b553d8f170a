//! Errors of the archive writer and reader, and the differences between an archive and its manifest.

use std::io;
use std::path::{Path, PathBuf};

use crate::format::FormatError;

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

pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> ArchiveError + '_ {
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
    /// A kind's file holds another number of lines than the manifest's object count.
    Count {
        /// Entry path.
        path: String,
        /// Objects in the manifest.
        expected: u64,
        /// Lines in the file.
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
    /// A line of a kind's file is not one of that kind's objects (not JSON, nested too deep, not an
    /// object, or an object of another kind). Found by readers that parse the lines.
    Line {
        /// Entry path.
        path: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// zstd's content checksum does not match: some byte of the archive, manifest included, changed.
    ContentChecksum,
    /// The archive's format version promises a zstd content checksum and the archive has none.
    NoContentChecksum,
    /// Something follows the archive's end.
    TrailingData {
        /// What follows where.
        what: &'static str,
    },
}

impl Mismatch {
    /// The entry the mismatch is about, if it is about one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Mismatch::Hash { path, .. }
            | Mismatch::Size { path, .. }
            | Mismatch::Count { path, .. }
            | Mismatch::Missing { path }
            | Mismatch::Unlisted { path }
            | Mismatch::Line { path, .. } => Some(path),
            Mismatch::ContentChecksum
            | Mismatch::NoContentChecksum
            | Mismatch::TrailingData { .. } => None,
        }
    }
}

/// How many characters of a name read from an archive a message shows.
const SHOWN_CHARS: usize = 120;

/// A name read from an archive or its manifest, as messages show it: control characters escaped and
/// cut after 120 characters, so no message carries raw bytes from the input.
pub fn shown(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().take(SHOWN_CHARS) {
        if c.is_control() || c == '`' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if name.chars().nth(SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// A hash from the manifest as messages show it: itself when it is a sha256 in hex, else a note.
fn shown_hash(hash: &str) -> &str {
    if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        hash
    } else {
        "something that is not a sha256"
    }
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(path) = self.path() {
            write!(f, "`{}`: ", shown(path))?;
        }
        match self {
            Mismatch::Hash {
                expected, actual, ..
            } => write!(f, "sha256 {actual}, manifest says {}", shown_hash(expected)),
            Mismatch::Size {
                expected, actual, ..
            } => write!(f, "{actual} bytes, manifest says {expected}"),
            Mismatch::Count {
                expected, actual, ..
            } => write!(f, "{actual} objects, manifest says {expected}"),
            Mismatch::Missing { .. } => f.write_str("listed in the manifest, absent from the archive"),
            Mismatch::Unlisted { .. } => f.write_str("in the archive, not listed in the manifest"),
            Mismatch::Line { line, reason, .. } => write!(f, "line {line}: {reason}"),
            Mismatch::ContentChecksum => f.write_str(
                "the archive's zstd content checksum does not match: its bytes (manifest included) changed",
            ),
            Mismatch::NoContentChecksum => f.write_str(
                "the archive has no zstd content checksum, which its format version promises",
            ),
            Mismatch::TrailingData { what } => write!(f, "{what}"),
        }
    }
}
