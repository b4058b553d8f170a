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
