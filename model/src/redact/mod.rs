//! Every redaction rule, in one place: capture, import and the Coder API capture all call
//! [`Redactor::redact_object`] or [`Redactor::redact_document`] before anything is buffered or written.
//!
//! Redacted literal values become a marker carrying a fingerprint: an HMAC-SHA256 of the value under a
//! random per-snapshot key that is never stored, so equal secrets are visibly shared within one
//! snapshot and cannot be guessed offline. See `docs/snapshot-format.md` for the rules.

use std::collections::BTreeMap;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::format::RedactionSummary;

/// Marker prefix of every redacted value: `<redacted fp=0123456789abcdef len=24>`.
pub const MARKER_PREFIX: &str = "<redacted fp=";

/// How fingerprints are made, as recorded in the manifest.
pub const FINGERPRINT_SCHEME: &str =
    "hmac-sha256 with a random per-snapshot key that is never stored; first 16 hex digits";

/// Applies the redaction rules and counts what each rule did.
pub struct Redactor {
    key: [u8; 32],
    counts: Mutex<BTreeMap<&'static str, u64>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor").finish_non_exhaustive()
    }
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new()
    }
}

impl Redactor {
    /// A redactor with a fresh random fingerprint key.
    pub fn new() -> Self {
        let mut key = [0u8; 32];
        // getrandom only fails where the OS has no entropy source; fall back to the clock and
        // address-space layout rather than a constant.
        if getrandom::fill(&mut key).is_err() {
            let seed = format!("{:?}{:p}", std::time::SystemTime::now(), &key);
            key.copy_from_slice(&<Sha256 as sha2::Digest>::digest(seed.as_bytes()));
        }
        Self::with_key(key)
    }

    /// A redactor with a given key (tests only: real snapshots use [`Redactor::new`]).
    pub fn with_key(key: [u8; 32]) -> Self {
        Redactor {
            key,
            counts: Mutex::new(BTreeMap::new()),
        }
    }

    /// The fingerprint of a value: 16 hex digits of its HMAC under this snapshot's key.
    pub fn fingerprint(&self, value: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(value);
        hex::encode(&mac.finalize().into_bytes()[..8])
    }

    /// The marker that replaces a literal value.
    pub fn marker(&self, value: &str) -> String {
        format!(
            "{MARKER_PREFIX}{} len={}>",
            self.fingerprint(value.as_bytes()),
            value.len()
        )
    }

    /// Counts one application of `rule`.
    pub fn count(&self, rule: &'static str) {
        self.count_n(rule, 1);
    }

    /// Counts `n` applications of `rule`.
    pub fn count_n(&self, rule: &'static str, n: u64) {
        if n == 0 {
            return;
        }
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(rule).or_default() += n;
    }

    /// The counts so far, for the manifest.
    pub fn summary(&self) -> RedactionSummary {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        RedactionSummary {
            fingerprint: FINGERPRINT_SCHEME.to_string(),
            rules: counts.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    /// Redacts one Kubernetes object in place, by its `kind`.
    pub fn redact_object(&self, object: &mut Value) {
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        match kind.as_str() {
            "Secret" => self.redact_secret(object),
            "ConfigMap" => self.redact_configmap(object),
            _ => {}
        }
        self.redact_env_everywhere(object);
    }

    /// Redacts a free-form JSON document (Coder API responses, Helm values): every string value is
    /// replaced by a marker.
    pub fn redact_document(&self, doc: &mut Value) {
        match doc {
            Value::String(s) => {
                *s = self.marker(s);
                self.count("document-value");
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_document(v)),
            Value::Object(map) => map.values_mut().for_each(|v| self.redact_document(v)),
            _ => {}
        }
    }

    fn redact_secret(&self, object: &mut Value) {
        let Some(obj) = object.as_object_mut() else {
            return;
        };
        for field in ["data", "stringData"] {
            if let Some(Value::Object(data)) = obj.remove(field) {
                let keys: Map<String, Value> = data
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str().map_or(0, str::len))))
                    .collect();
                self.count_n("secret-data", keys.len() as u64);
                obj.insert(format!("{field}Sizes"), Value::Object(keys));
            }
        }
    }

    fn redact_configmap(&self, object: &mut Value) {
        let Some(obj) = object.as_object_mut() else {
            return;
        };
        for field in ["data", "binaryData"] {
            if let Some(Value::Object(data)) = obj.remove(field) {
                let keys: Map<String, Value> = data
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str().map_or(0, str::len))))
                    .collect();
                self.count_n("configmap-data", keys.len() as u64);
                obj.insert(format!("{field}Sizes"), Value::Object(keys));
            }
        }
    }

    fn redact_env_everywhere(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Array(env)) = map.get_mut("env") {
                    for var in env.iter_mut() {
                        if let Some(Value::String(v)) = var.get_mut("value") {
                            *v = self.marker(v);
                            self.count("env-literal");
                        }
                    }
                }
                for v in map.values_mut() {
                    self.redact_env_everywhere(v);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_env_everywhere(v)),
            _ => {}
        }
    }
}

/// Whether a string is a redaction marker.
pub fn is_marker(s: &str) -> bool {
    s.starts_with(MARKER_PREFIX) && s.ends_with('>')
}
