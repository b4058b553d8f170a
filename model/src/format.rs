//! Snapshot format v1: the manifest that opens every snapshot, and the compatibility rules.
//!
//! The full description, with an example, is `docs/snapshot-format.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::kinds::KindSpec;

/// The format version this build writes. 1.1 added the zstd content checksum and
/// the redaction report (`redaction.paths`, `redaction.kept`).
pub const FORMAT_VERSION: &str = "1.1";
/// The first format version whose archives carry a zstd content checksum; readers refuse such an
/// archive without one.
pub const CHECKSUM_SINCE: (u64, u64) = (1, 1);
/// The major format version this build reads; a snapshot with a larger major is refused.
pub const FORMAT_MAJOR: u64 = 1;
/// The archive path of the manifest, always the first entry.
pub const MANIFEST_PATH: &str = "manifest.json";

/// How the snapshot was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Listed from a live API server by `kubectl coder-sec capture`.
    Capture,
    /// Built by `coder-sec import` from manifest files.
    Import,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Capture => "capture",
            Source::Import => "import",
        })
    }
}

/// The tool that wrote a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// Binary name (`kubectl-coder_sec`, `coder-sec`).
    pub name: String,
    /// Its version.
    pub version: String,
}

/// Facts about the cluster, where known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ClusterFacts {
    /// `gitVersion` from `/version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// A guess at the platform (`eks`, `gke`, `aks`, `k3s`, `kind`, `openshift`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// The kubeconfig context the capture used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
}

/// What the capture covered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The namespaces listed; empty means all namespaces.
    #[serde(default)]
    pub namespaces: Vec<String>,
}

/// Who made the capture, as the API server saw them (`SelfSubjectReview`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// User name.
    pub username: String,
    /// UID, where the server gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Groups.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// How reading one kind went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KindStatus {
    /// Every object was read.
    Complete,
    /// The identity may not list this kind (403).
    Forbidden,
    /// The server does not serve this kind (404 or absent from discovery).
    NotFound,
    /// Listing failed for another reason; see `message`.
    Error,
}

impl std::fmt::Display for KindStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KindStatus::Complete => "complete",
            KindStatus::Forbidden => "forbidden",
            KindStatus::NotFound => "not-found",
            KindStatus::Error => "error",
        })
    }
}

/// One resource kind in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct KindEntry {
    /// API group (`""` for core).
    pub group: String,
    /// API version.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// Path of the JSON Lines file in the archive; absent when nothing was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Number of objects (lines).
    pub count: u64,
    /// Size of the file in bytes.
    #[serde(default)]
    pub bytes: u64,
    /// Lower-case hex sha256 of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// How reading the kind went.
    pub status: KindStatus,
    /// Details for `forbidden`, `not-found` and `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl KindEntry {
    /// An entry with no file, for a kind that could not be read.
    pub fn unread(spec: &KindSpec, status: KindStatus, message: impl Into<String>) -> Self {
        KindEntry {
            group: spec.group.to_string(),
            version: spec.version.to_string(),
            kind: spec.kind.to_string(),
            path: None,
            count: 0,
            bytes: 0,
            sha256: None,
            status,
            message: Some(message.into()),
        }
    }

    /// `kind.group` or `kind` for the core group, for messages.
    pub fn label(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }
}

/// Another file in the archive (Coder state, access reviews).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FileEntry {
    /// Path in the archive.
    pub path: String,
    /// What the file holds.
    pub description: String,
    /// Number of JSON Lines records, or 1 for a single JSON document.
    pub count: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// Lower-case hex sha256.
    pub sha256: String,
}

/// What the redaction did, rule by rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RedactionSummary {
    /// How values were fingerprinted.
    #[serde(default)]
    pub fingerprint: String,
    /// Number of values each rule redacted or dropped.
    #[serde(default)]
    pub rules: BTreeMap<String, u64>,
    /// Number of values redacted at each field path (`Kind:{container}.args.[]`,
    /// `Coder API:users.[].email`, `values:coder.env.[].value`), since format 1.1.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub paths: BTreeMap<String, u64>,
    /// Literal strings kept outside the schema's typed fields (free text, annotation values,
    /// arguments, environment values), by path, sorted and distinct, since format 1.1: what a support
    /// engineer reviews before a snapshot leaves.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kept: BTreeMap<String, Vec<String>>,
}

impl RedactionSummary {
    /// Total number of redactions.
    pub fn total(&self) -> u64 {
        self.rules.values().sum()
    }
}

/// Something the snapshot cannot show, and which conclusions it weakens.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlindSpot {
    /// What could not be read (`secrets`, `namespace kube-system`, `Coder API`).
    pub subject: String,
    /// Why (`forbidden`, `not captured`, ...).
    pub reason: String,
    /// What the analysis cannot see because of it.
    pub hides: String,
}

/// The first entry of every snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Manifest {
    /// `MAJOR.MINOR`; readers refuse a major newer than theirs.
    pub format_version: String,
    /// The tool that wrote the snapshot.
    pub tool: Tool,
    /// RFC 3339 time of the capture or import.
    pub captured_at: String,
    /// Capture or import.
    pub source: Source,
    /// Cluster facts where known.
    #[serde(default)]
    pub cluster: ClusterFacts,
    /// Namespaces covered.
    #[serde(default)]
    pub scope: Scope,
    /// The capturing identity, where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// One entry per resource kind.
    #[serde(default)]
    pub kinds: Vec<KindEntry>,
    /// Other files (Coder state, access reviews).
    #[serde(default)]
    pub files: Vec<FileEntry>,
    /// Objects of kinds this format does not know, counted by `apiVersion kind`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unknown_kinds: BTreeMap<String, u64>,
    /// Redaction counts.
    #[serde(default)]
    pub redaction: RedactionSummary,
    /// What could not be read and what that hides.
    #[serde(default)]
    pub blind_spots: Vec<BlindSpot>,
}

impl Manifest {
    /// A manifest with nothing recorded yet, stamped with the current time.
    pub fn new(tool_name: &str, tool_version: &str, source: Source) -> Self {
        Manifest {
            format_version: FORMAT_VERSION.to_string(),
            tool: Tool {
                name: tool_name.to_string(),
                version: tool_version.to_string(),
            },
            captured_at: now_rfc3339(),
            source,
            cluster: ClusterFacts::default(),
            scope: Scope::default(),
            identity: None,
            kinds: Vec::new(),
            files: Vec::new(),
            unknown_kinds: BTreeMap::new(),
            redaction: RedactionSummary::default(),
            blind_spots: Vec::new(),
        }
    }

    /// The entry for a kind, if listed.
    pub fn kind(&self, group: &str, kind: &str) -> Option<&KindEntry> {
        self.kinds
            .iter()
            .find(|k| k.group == group && k.kind == kind)
    }

    /// Total number of objects across kinds.
    pub fn object_count(&self) -> u64 {
        self.kinds.iter().map(|k| k.count).sum()
    }
}

/// The current UTC time in RFC 3339 with second precision.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `MAJOR.MINOR` as numbers, or `None` when `version` is not of that shape.
pub fn version_of(version: &str) -> Option<(u64, u64)> {
    let (major, minor) = version.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Why a manifest was refused. Messages never quote the manifest's bytes: they say where and what.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Not JSON, or not a manifest.
    #[error("`manifest.json` is not a valid snapshot manifest: {problem}")]
    Invalid {
        /// What is wrong and where (line and column), without the offending text.
        problem: String,
    },
    /// `format-version` is missing or malformed.
    #[error("`manifest.json` has no valid `format-version` (`MAJOR.MINOR`)")]
    NoVersion,
    /// A newer major version.
    #[error(
        "snapshot format {major}.{minor} is newer than this build reads (major {FORMAT_MAJOR}); upgrade coder-sec"
    )]
    TooNew {
        /// The snapshot's major version.
        major: u64,
        /// The snapshot's minor version.
        minor: u64,
    },
}

impl FormatError {
    /// An [`FormatError::Invalid`] for a serde_json error, keeping its place and kind but not its
    /// text when the text may quote the input (`invalid type: string "…"`).
    fn invalid(e: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let what = match e.classify() {
            Category::Io => "it could not be read".to_string(),
            Category::Eof => "it ends early".to_string(),
            Category::Syntax if e.to_string().starts_with("recursion limit exceeded") => {
                "it nests deeper than 128 levels".to_string()
            }
            Category::Syntax => "it is not JSON".to_string(),
            Category::Data => {
                let text = e.to_string();
                // serde's own wording for a missing field quotes only the field's name.
                let m = text
                    .split_once(" at line ")
                    .map_or(text.as_str(), |(m, _)| m);
                if m.starts_with("missing field `") {
                    m.to_string()
                } else {
                    "a field has the wrong type or value".to_string()
                }
            }
        };
        let problem = if e.line() > 0 {
            format!("{what} (line {}, column {})", e.line(), e.column())
        } else {
            what
        };
        FormatError::Invalid { problem }
    }
}

/// Parses a manifest, checking the format version before anything else so that a newer major gets a
/// clear message even when its shape changed. Unknown fields are ignored.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, FormatError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| FormatError::invalid(&e))?;
    let version = value
        .get("format-version")
        .and_then(|v| v.as_str())
        .and_then(version_of);
    match version {
        None => return Err(FormatError::NoVersion),
        Some((major, minor)) if major > FORMAT_MAJOR => {
            return Err(FormatError::TooNew { major, minor });
        }
        Some(_) => {}
    }
    serde_json::from_value(value).map_err(|e| FormatError::invalid(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_unknown_fields() {
        let m = Manifest::new("coder-sec", "0.1.0", Source::Import);
        let mut v = serde_json::to_value(&m).unwrap();
        v["some-future-field"] = serde_json::json!({"x": 1});
        let back = parse_manifest(v.to_string().as_bytes()).unwrap();
        assert_eq!(back, m);
        assert!(v.get("captured-at").is_some());
    }

    #[test]
    fn newer_major_refused_with_message() {
        let text = r#"{"format-version":"2.0","totally":"different"}"#;
        let err = parse_manifest(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("2.0") && err.contains("newer"), "{err}");
        let err = parse_manifest(br#"{"tool":{}}"#).unwrap_err().to_string();
        assert!(err.contains("format-version"), "{err}");
    }

    #[test]
    fn errors_never_quote_the_manifest() {
        let hostile = r"\u001b]0;pwned\u0007";
        for text in [
            format!(r#"{{"format-version":"1.0","tool":"{hostile}"}}"#),
            format!(r#"{{"format-version":"{hostile}"}}"#),
            format!(r#"{{"format-version":"1.0","source":"{hostile}"}}"#),
        ] {
            let err = parse_manifest(text.as_bytes()).unwrap_err().to_string();
            assert!(!err.contains("pwned") && !err.contains('\u{1b}'), "{err}");
        }
        let err = parse_manifest(br#"{"format-version":"1.0"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `tool`"), "{err}");
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let err = parse_manifest(deep.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("deeper than 128 levels"), "{err}");
    }

    #[test]
    fn newer_minor_accepted() {
        let mut v = serde_json::to_value(Manifest::new("x", "1", Source::Capture)).unwrap();
        v["format-version"] = "1.7".into();
        assert!(parse_manifest(v.to_string().as_bytes()).is_ok());
    }
}
