//! Labels and annotations of every object and of pod templates: credential-shaped values become
//! markers, URL credentials are removed, JSON annotations are redacted as documents, and the
//! `com.coder.user.email` annotation (personal data) is fingerprinted.

use serde_json::{Map, Value};

use super::detect::{CredentialShape, credential_shape, is_digest_key_name, strip_url_credentials};
use super::{Redactor, is_marker};
use crate::trim::LAST_APPLIED;

/// Annotation keys whose values are personal data: fingerprinted, never kept.
pub const PERSONAL_DATA_ANNOTATIONS: &[&str] = &["com.coder.user.email"];

impl Redactor {
    /// Redacts the `labels` and `annotations` of one `metadata` object.
    pub(crate) fn redact_metadata(&self, meta: &mut Value) {
        let Some(meta) = meta.as_object_mut() else {
            return;
        };
        if let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
            // `trim` drops it first; this guards callers that redact without trimming.
            if annotations.remove(LAST_APPLIED).is_some() {
                self.count("last-applied-configuration");
            }
            self.redact_annotations(annotations);
        }
        if let Some(Value::Object(labels)) = meta.get_mut("labels") {
            for (key, value) in labels.iter_mut() {
                if let Value::String(s) = value {
                    self.redact_short_value(key, s, "label-credential");
                }
            }
        }
    }

    fn redact_annotations(&self, annotations: &mut Map<String, Value>) {
        for (key, value) in annotations.iter_mut() {
            let Value::String(s) = value else {
                continue;
            };
            if s.is_empty() || is_marker(s) {
                continue;
            }
            if PERSONAL_DATA_ANNOTATIONS.contains(&key.as_str()) {
                *s = self.marker(s);
                self.count("annotation-personal-data");
                continue;
            }
            if let Some(redacted) = self.redact_embedded_json(s) {
                *s = redacted;
                continue;
            }
            if s.contains('\n')
                && let Some(redacted) = self.redact_embedded_text(s)
            {
                *s = redacted;
            }
            self.redact_short_value(key, s, "annotation-credential");
        }
    }

    /// URL credentials out, then a marker if the value looks like a credential (long hex under
    /// digest-named keys such as `checksum/config` is kept).
    fn redact_short_value(&self, key: &str, s: &mut String, rule: &'static str) {
        if s.is_empty() || is_marker(s) {
            return;
        }
        if let Some(stripped) = strip_url_credentials(s) {
            *s = stripped;
            self.count("url-credentials");
        }
        match credential_shape(s) {
            None => {}
            Some(CredentialShape::HexBlob) if is_digest_key_name(key) => {}
            Some(_) => {
                *s = self.marker(s);
                self.count(rule);
            }
        }
    }

    /// When `s` is a JSON object or array, redacts it as a document and returns the new text if
    /// anything changed.
    pub(crate) fn redact_embedded_json(&self, s: &str) -> Option<String> {
        let t = s.trim_start();
        if !(t.starts_with('{') || t.starts_with('[')) {
            return None;
        }
        let mut doc: Value = serde_json::from_str(s).ok()?;
        let before = doc.clone();
        self.redact_document(&mut doc);
        (doc != before).then(|| doc.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_and_annotations() {
        let r = Redactor::with_key([1; 32]);
        let mut meta = json!({
            "labels": {
                "app.kubernetes.io/name": "coder",
                "app.kubernetes.io/instance": "coder",
                "com.coder.workspace.id": "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f",
                "com.coder.user.username": "alice",
                "pod-template-hash": "5d8f7c9b4",
                "leak": "ghp_0123456789abcdefABCDEF0123456789abcd",
            },
            "annotations": {
                "checksum/config": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/coder",
                "com.coder.user.email": "alice@example.com",
                "example.com/token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlMDEyMzQ1",
                "example.com/webhook": "https://u:p@hooks.example.com/x",
                "example.com/json": "{\"password\":\"hunter2\",\"user\":\"bob\"}",
                "example.com/random": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "example.com/config": "log: debug\ndb_password: hunter2\n",
                LAST_APPLIED: "{}",
            }
        });
        r.redact_metadata(&mut meta);
        let l = &meta["labels"];
        assert_eq!(l["app.kubernetes.io/name"], "coder");
        assert_eq!(
            l["com.coder.workspace.id"],
            "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"
        );
        assert_eq!(l["com.coder.user.username"], "alice");
        assert_eq!(l["pod-template-hash"], "5d8f7c9b4");
        assert!(is_marker(l["leak"].as_str().unwrap()));
        let a = &meta["annotations"];
        assert!(a["checksum/config"].as_str().unwrap().starts_with("9f86"));
        assert_eq!(
            a["eks.amazonaws.com/role-arn"],
            "arn:aws:iam::123456789012:role/coder"
        );
        assert!(is_marker(a["com.coder.user.email"].as_str().unwrap()));
        assert!(is_marker(a["example.com/token"].as_str().unwrap()));
        assert_eq!(
            a["example.com/webhook"],
            "https://REDACTED@hooks.example.com/x"
        );
        let j: Value = serde_json::from_str(a["example.com/json"].as_str().unwrap()).unwrap();
        assert!(is_marker(j["password"].as_str().unwrap()));
        assert_eq!(j["user"], "bob");
        assert!(is_marker(a["example.com/random"].as_str().unwrap()));
        let config = a["example.com/config"].as_str().unwrap();
        assert!(
            config.starts_with("log: debug\ndb_password: <redacted fp="),
            "{config}"
        );
        assert!(a.get(LAST_APPLIED).is_none());
        let s = r.summary().rules;
        assert_eq!(s["label-credential"], 1);
        assert_eq!(s["annotation-credential"], 2);
        assert_eq!(s["annotation-personal-data"], 1);
        assert_eq!(s["url-credentials"], 1);
        assert_eq!(s["document-secret-key"], 2);
        assert_eq!(s["last-applied-configuration"], 1);
    }
}
