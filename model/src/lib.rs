//! `coder-sec-model`: everything the capture plugin and the offline analyzer agree on.
//!
//! The data's path through this crate:
//!
//! ```text
//! manifests (kubectl/helm YAML, JSON) ─┐
//! capture (API pages) ─────────────────┴─▶ trim ─▶ redact ─▶ archive::SnapshotWriter ─▶ .tar.zst
//! .tar.zst ─▶ archive::SnapshotReader (limits, path rules, hashes) ─▶ format::Manifest + JSON Lines
//! ```
//!
//! Nothing here talks to a network.

pub mod archive;
pub mod format;
pub mod kinds;
pub mod manifests;
pub mod redact;
pub mod trim;

pub use archive::{ReadLimits, SnapshotReader, SnapshotWriter};
pub use format::{KindEntry, KindStatus, Manifest, Source};
pub use kinds::{KindSpec, KINDS};
pub use redact::Redactor;
