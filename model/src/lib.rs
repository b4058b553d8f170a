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
pub mod blind;
pub mod coder;
pub mod format;
pub mod import;
pub mod kinds;
pub mod manifests;
pub mod object_ref;
pub mod redact;
pub mod testing;
pub mod trim;

pub use archive::{ReadLimits, SnapshotReader, SnapshotWriter};
pub use format::{KindEntry, KindStatus, Manifest, Source};
pub use kinds::{KINDS, KindSpec};
pub use object_ref::ObjectRef;
pub use redact::Redactor;

/// Prepares one object for a snapshot: trims it, then redacts it. Capture and import both call this,
/// so the rules cannot drift apart. Returns the object's kind table entry, or `None` for kinds this
/// format does not know (those are counted, never written).
pub fn prepare_object(
    object: &mut serde_json::Value,
    redactor: &Redactor,
) -> Option<&'static KindSpec> {
    if trim::trim(object) > 0 {
        redactor.count("last-applied-configuration");
    }
    redactor.redact_object(object);
    let api_version = object
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let kind = object.get("kind").and_then(|v| v.as_str()).unwrap_or("");
    kinds::lookup(api_version, kind)
}
