//! Metadata before the default-deny walk: the `last-applied-configuration` annotation goes (it repeats
//! the whole object), and personal-data annotations (`com.coder.user.email`) are fingerprinted. Label
//! and annotation values are then checked by the walk (label shape; annotation keys the analysis reads
//! have their own shape, other values are free text).

use serde_json::Value;

use super::{Redactor, Why, is_marker};
use crate::trim::LAST_APPLIED;

/// Annotation keys whose values are personal data: fingerprinted, never kept.
pub const PERSONAL_DATA_ANNOTATIONS: &[&str] = &["com.coder.user.email"];

impl Redactor {
    /// Drops `last-applied-configuration` and fingerprints personal-data annotations of one
    /// `metadata` object.
    pub(crate) fn redact_metadata(&self, meta: &mut Value) {
        let Some(Value::Object(annotations)) = meta.get_mut("annotations") else {
            return;
        };
        // `trim` drops it first; this guards callers that redact without trimming.
        if annotations.remove(LAST_APPLIED).is_some() {
            self.count("last-applied-configuration");
        }
        for key in PERSONAL_DATA_ANNOTATIONS {
            if let Some(Value::String(s)) = annotations.get_mut(*key)
                && !s.is_empty()
                && !is_marker(s)
            {
                *s = self.marker(s, Why::NotAllowed);
                self.count("annotation-personal-data");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::marker_reason;
    use serde_json::json;

    #[test]
    fn labels_and_annotations() {
        let r = Redactor::with_key([1; 32]);
        let mut obj = json!({"kind": "ConfigMap", "metadata": {
            "name": "x",
            "labels": {
                "app.kubernetes.io/name": "coder",
                "com.coder.workspace.id": "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f",
                "com.coder.user.username": "alice",
                "pod-template-hash": "5d8f7c9b4",
                "app.kubernetes.io/version": "0123456789abcdef0123456789abcdef01234567",
                "leak": "ghp_0123456789abcdefABCDEF0123456789abcd",
            },
            "annotations": {
                "checksum/config": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/coder",
                "com.coder.user.email": "alice@example.com",
                "example.com/token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlMDEyMzQ1",
                "example.com/webhook": "https://u:p@hooks.example.com/x?token=abc",
                "example.com/json": "{\"password\":\"hunter2\",\"user\":\"bob\"}",
                "example.com/random": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "example.com/config": "log: debug\ndb_password: hunter2\n",
                "kubernetes.io/change-cause": "kubectl set env deploy/x PGPASSWORD=Xy9z DB_PASSWORD=Qq1",
                LAST_APPLIED: "{}",
            }
        }});
        r.redact_object(&mut obj);
        let meta = &obj["metadata"];
        let l = &meta["labels"];
        assert_eq!(l["app.kubernetes.io/name"], "coder");
        assert_eq!(
            l["com.coder.workspace.id"],
            "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"
        );
        assert_eq!(l["com.coder.user.username"], "alice");
        assert_eq!(l["pod-template-hash"], "5d8f7c9b4");
        assert_eq!(
            l["app.kubernetes.io/version"],
            "0123456789abcdef0123456789abcdef01234567"
        );
        assert_eq!(
            marker_reason(l["leak"].as_str().unwrap()),
            Some(Why::SecretShaped)
        );
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
            "https://REDACTED@hooks.example.com/x?token=REDACTED"
        );
        let j: Value = serde_json::from_str(a["example.com/json"].as_str().unwrap()).unwrap();
        assert!(is_marker(j["password"].as_str().unwrap()));
        assert_eq!(j["user"], "bob");
        assert!(is_marker(a["example.com/random"].as_str().unwrap()));
        let config = a["example.com/config"].as_str().unwrap();
        // Re-serialised (in serde_json's key order); the setting stays, the password goes.
        let lines: Vec<&str> = config.lines().collect();
        assert_eq!(lines.len(), 2, "{config}");
        assert!(lines.contains(&"log: debug"), "{config}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("db_password: <redacted fp=")),
            "{config}"
        );
        let cause = a["kubernetes.io/change-cause"].as_str().unwrap();
        assert!(
            cause.starts_with("kubectl set env deploy/x PGPASSWORD=<redacted fp=")
                && !cause.contains("Xy9z")
                && !cause.contains("Qq1"),
            "{cause}"
        );
        assert!(a.get(LAST_APPLIED).is_none());
        let s = r.summary().rules;
        assert_eq!(s["label-credential"], 1);
        assert_eq!(s["annotation-personal-data"], 1);
        assert_eq!(s["last-applied-configuration"], 1);
    }
}
