//! Snapshot archives: a streaming, atomic writer and a streaming reader that enforces limits, path
//! rules and the manifest's hashes.
//!
//! Layout: one zstd-compressed tar. Entry 1 is `manifest.json`; then one JSON Lines file per kind
//! (sorted by namespace, then name) and the other files the manifest lists.
//!
//! Writing spools each kind to a file in a temporary folder beside the target (memory holds only a
//! sort index), then writes the manifest and the spooled files into a temporary archive beside the
//! target and renames it into place: an interrupted write leaves no file at the target.

mod error;
mod lines;
mod read;
mod write;

pub(crate) use error::io_err;
pub use error::{ArchiveError, Mismatch, shown};
pub use lines::{LineError, append_line, read_json_lines};
pub use read::{EntryInfo, EntryReader, ReadLimits, ReadOutcome, SnapshotReader};
pub use write::{SnapshotWriter, Spool, Spooled, without_path};

/// zstd level used for snapshots: fast, and JSON compresses well at it.
pub const COMPRESSION_LEVEL: i32 = 6;

#[cfg(test)]
mod tests;
