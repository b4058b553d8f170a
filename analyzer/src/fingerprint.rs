//! Stable identities for paths and findings: a hash of what the item *is*, equal across two
//! captures of the same state whatever the redaction key or the capture time.
//!
//! A path's fingerprint hashes its entry, its target, its technique sequence and its causes (the
//! objects the steps pass through); a finding's hashes its code and its objects. Counts, examples,
//! costs, severities, titles and report ids are left out: they may change while the item stays the
//! same (the diff reports that as *changed*). Redaction markers (`<redacted fp=… len=…>`) differ
//! per snapshot (each has its own key) and are normalised to `<redacted>` before hashing.

use schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::findings::Finding;
use crate::paths::AttackPath;

/// Number of hex characters in a fingerprint (128 bits).
pub const FINGERPRINT_LEN: usize = 32;

/// The redaction marker's opening, as written by `coder_sec_model::redact`.
const MARKER: &str = "<redacted";

/// Replaces every redaction marker (`<redacted fp=… len=…>`, or any `<redacted …>`) with
/// `<redacted>`, so that values redacted under different keys compare equal.
pub fn normalise(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(MARKER) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(MARKER) {
        out.push_str(&rest[..i]);
        let after = &rest[i + MARKER.len()..];
        // Only a marker when followed by `>` or a space (then up to the closing `>`).
        match after.chars().next() {
            Some('>') => {
                out.push_str("<redacted>");
                rest = &after[1..];
            }
            Some(' ') => match after.find('>') {
                Some(end) => {
                    out.push_str("<redacted>");
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str(MARKER);
                    rest = after;
                }
            },
            _ => {
                out.push_str(MARKER);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Hashes a kind tag and a list of fields (each normalised, length-prefixed so that no two lists
/// hash alike) into a fingerprint.
pub fn hash_fields<'a>(kind: &str, fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update([0u8]);
    for f in fields {
        let f = normalise(f);
        h.update((f.len() as u64).to_le_bytes());
        h.update(f.as_bytes());
    }
    let digest = h.finalize();
    hex::encode(&digest[..FINGERPRINT_LEN / 2])
}

/// A path's fingerprint: entry, target, technique sequence, and the objects between (the `to` of
/// every step but the last).
pub fn of_path(p: &AttackPath) -> String {
    let techniques: Vec<&str> = p.steps.iter().map(|s| s.technique.code()).collect();
    let tos: Vec<&str> = p.steps.iter().map(|s| s.to.as_str()).collect();
    path_fingerprint(&p.entry, &p.target, &techniques, &tos)
}

/// A path's fingerprint from its parts: entry, target, each step's technique code and each step's
/// `to` (the last, the target object itself, is left out). Also used on JSON reports that predate
/// fingerprints.
pub fn path_fingerprint(entry: &str, target: &str, techniques: &[&str], tos: &[&str]) -> String {
    let mut fields: Vec<&str> = vec![entry, target, "techniques"];
    fields.extend(techniques.iter().copied());
    fields.push("through");
    fields.extend(tos.iter().take(tos.len().saturating_sub(1)).copied());
    hash_fields("path", fields)
}

/// A finding's fingerprint: its code and its objects.
pub fn of_finding(f: &Finding) -> String {
    let objects: Vec<&str> = f.objects.iter().map(String::as_str).collect();
    finding_fingerprint(f.code.code(), &objects)
}

/// A finding's fingerprint from its code and objects.
pub fn finding_fingerprint(code: &str, objects: &[&str]) -> String {
    let mut fields: Vec<&str> = vec![code];
    fields.extend(objects.iter().copied());
    hash_fields("finding", fields)
}

/// A path or finding with its fingerprint: serialised as the item's fields plus `fingerprint`; reads
/// as the item (`Deref`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Fingerprinted{T}")]
pub struct Fingerprinted<T> {
    /// The path or finding.
    #[serde(flatten)]
    pub item: T,
    /// Its stable identity: 32 lower-case hex characters, equal across captures of the same state.
    pub fingerprint: String,
}

impl Fingerprinted<AttackPath> {
    /// A path with its fingerprint.
    pub fn path(item: AttackPath) -> Self {
        let fingerprint = of_path(&item);
        Fingerprinted { item, fingerprint }
    }
}

impl Fingerprinted<Finding> {
    /// A finding with its fingerprint.
    pub fn finding(item: Finding) -> Self {
        let fingerprint = of_finding(&item);
        Fingerprinted { item, fingerprint }
    }
}

impl<T> std::ops::Deref for Fingerprinted<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.item
    }
}

/// Whether `s` looks like a fingerprint (lower-case hex of [`FINGERPRINT_LEN`]).
pub fn is_fingerprint(s: &str) -> bool {
    s.len() == FINGERPRINT_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_normalised() {
        assert_eq!(
            normalise("token <redacted fp=ab12cd len=40> and <redacted fp=ff len=3>"),
            "token <redacted> and <redacted>"
        );
        assert_eq!(normalise("<redacted>"), "<redacted>");
        assert_eq!(normalise("<redactedness"), "<redactedness");
        assert_eq!(normalise("x <redacted fp=1"), "x <redacted fp=1");
        assert!(matches!(normalise("plain"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn fields_hash_apart_and_ignore_keys() {
        let a = hash_fields("finding", ["code", "Secret/a/b <redacted fp=11 len=4>"]);
        let b = hash_fields("finding", ["code", "Secret/a/b <redacted fp=22 len=4>"]);
        assert_eq!(a, b);
        assert!(is_fingerprint(&a));
        // Length prefixes: moving a boundary changes the hash.
        assert_ne!(hash_fields("x", ["ab", "c"]), hash_fields("x", ["a", "bc"]));
        assert_ne!(hash_fields("path", ["a"]), hash_fields("finding", ["a"]));
    }
}
