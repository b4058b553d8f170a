//! Every redaction rule, in one place: capture, import and the Coder API capture all call
//! [`Redactor::redact_object`] or [`Redactor::redact_document`] before anything is buffered or written.
//!
//! Redacted literal values become a marker carrying a fingerprint: an HMAC-SHA256 of the value under a
//! random per-snapshot key that is never stored, so equal secrets are visibly shared within one
//! snapshot and cannot be guessed offline. `docs/redaction.md` describes every rule; [`RULES`] names
//! them as they appear in a snapshot manifest's redaction summary.
//!
//! The rules live in one submodule each: [`detect`] (credential shapes, secret key names, URL
//! credentials), [`env`](mod@env) (the environment allow-list and pod templates), `secrets` and [`tls`],
//! [`helm`], `configmap`, `metadata` (labels and annotations) and `document` (free-form JSON).
//! [`scan`] is the decoder the canary tests use to prove nothing slipped through.

use std::collections::BTreeMap;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::format::RedactionSummary;

mod anywhere;
mod configmap;
pub mod detect;
mod document;
pub mod env;
pub mod helm;
mod metadata;
pub mod scan;
mod secrets;
pub mod tls;

pub use configmap::AWS_AUTH_KEYS;
pub use detect::{URL_USERINFO_REPLACEMENT, looks_like_credential, strip_url_credentials};
pub use document::PERSONAL_DATA_KEYS;
pub use env::{ENV_ALLOW_LIST, ENV_DENY_LIST, env_name_allowed};
pub use metadata::PERSONAL_DATA_ANNOTATIONS;

/// One redaction rule: its stable name (the key in a manifest's redaction summary) and what it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case name.
    pub name: &'static str,
    /// What one count of the rule means.
    pub description: &'static str,
}

/// Every rule [`Redactor`] counts, documented in `docs/redaction.md`.
pub const RULES: &[Rule] = &[
    Rule {
        name: "last-applied-configuration",
        description: "a `kubectl.kubernetes.io/last-applied-configuration` annotation dropped",
    },
    Rule {
        name: "secret-data",
        description: "a Secret `data` or `stringData` entry removed (its decoded size is kept)",
    },
    Rule {
        name: "configmap-data",
        description: "a ConfigMap `data` or `binaryData` entry removed (its size is kept)",
    },
    Rule {
        name: "helm-release",
        description: "a Helm release record reduced to its identity, chart and redacted values",
    },
    Rule {
        name: "registry-username",
        description: "a docker-config username shaped like a credential replaced by a marker",
    },
    Rule {
        name: "env-literal",
        description: "an environment value whose name is not on the allow-list replaced by a marker",
    },
    Rule {
        name: "env-credential",
        description: "an allow-listed environment value shaped like a credential replaced by a marker",
    },
    Rule {
        name: "url-credentials",
        description: "the user part of a URL replaced by `REDACTED`",
    },
    Rule {
        name: "private-key",
        description: "a string holding a PEM private key (as text or base64) replaced by a marker, anywhere",
    },
    Rule {
        name: "args-credential",
        description: "a credential in a container's `command` or `args` replaced by a marker",
    },
    Rule {
        name: "header-credential",
        description: "a probe or lifecycle-hook HTTP header value that carries a credential replaced by a marker",
    },
    Rule {
        name: "annotation-credential",
        description: "an annotation value shaped like a credential replaced by a marker",
    },
    Rule {
        name: "annotation-personal-data",
        description: "a personal-data annotation (`com.coder.user.email`) replaced by a marker",
    },
    Rule {
        name: "label-credential",
        description: "a label value shaped like a credential replaced by a marker",
    },
    Rule {
        name: "document-secret-key",
        description: "a document value under a key that names a secret replaced by a marker",
    },
    Rule {
        name: "document-credential",
        description: "a document value shaped like a credential replaced by a marker",
    },
    Rule {
        name: "document-personal-data",
        description: "a document `email` value replaced by a marker",
    },
];

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

    /// A redactor with the same key and counts of its own, for work that may be thrown away (a list
    /// restarted after its continue token expired): [`Redactor::merge`] it once the work is kept, so
    /// the manifest counts each kept value once.
    pub fn fork(&self) -> Redactor {
        Redactor::with_key(self.key)
    }

    /// Adds the counts of a [`Redactor::fork`] to this one.
    pub fn merge(&self, fork: &Redactor) {
        let theirs = fork.counts.lock().unwrap_or_else(|e| e.into_inner());
        let mut ours = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        for (rule, n) in theirs.iter() {
            *ours.entry(rule).or_default() += n;
        }
    }

    /// The counts so far, for the manifest.
    pub fn summary(&self) -> RedactionSummary {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        RedactionSummary {
            fingerprint: FINGERPRINT_SCHEME.to_string(),
            rules: counts.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    /// Redacts one Kubernetes object in place, by its `kind`: Secret and ConfigMap payloads, the
    /// environment and command lines of pod templates, every `env` list elsewhere, the labels and
    /// annotations of the object and its templates, and, in every string, private keys and URL
    /// credentials. See `docs/redaction.md`.
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
        self.redact_pod_templates(object, &kind);
        self.redact_env_anywhere(object);
        if let Some(meta) = object.get_mut("metadata") {
            self.redact_metadata(meta);
        }
        self.redact_strings_anywhere(object);
    }

    /// Redacts a free-form JSON document in place (Coder REST API responses, Helm values): values under
    /// keys that name secrets, values shaped like credentials, URL credentials, and `email` values
    /// become markers; `{env|name: VAR, value}` pairs and options flagged `annotations.secret` follow
    /// the environment rules. Everything else is kept.
    pub fn redact_document(&self, doc: &mut Value) {
        self.document_value(None, doc);
    }
}

/// Whether a string is a redaction marker.
pub fn is_marker(s: &str) -> bool {
    s.starts_with(MARKER_PREFIX) && s.ends_with('>')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn redactor_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Redactor>();
    }

    #[test]
    fn markers_are_recognised() {
        let r = Redactor::with_key([9; 32]);
        let m = r.marker("hunter2");
        assert!(is_marker(&m));
        assert!(m.starts_with(MARKER_PREFIX) && m.ends_with(" len=7>"));
        assert!(!is_marker("hunter2"));
    }

    fn arbitrary_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[A-Za-z0-9+/=_:@. -]{0,60}",
            "(https?://)?[a-z]{1,8}(:[a-z0-9]{1,8})?@[a-z.]{1,12}(/[a-z]{0,5})?",
            Just("ghp_0123456789abcdefABCDEF0123456789abcd".to_string()),
            Just("$(KUBE_POD_IP)".to_string()),
            "(--password=|TOKEN=|--token )[a-z0-9 ]{0,12}( x)?",
        ]
    }

    proptest! {
        #[test]
        fn detection_never_panics(s in any::<String>()) {
            let _ = detect::credential_shape(&s);
            let _ = strip_url_credentials(&s);
            let _ = detect::is_secret_key_name(&s);
            let _ = scan::decoded_text_strings(&s);
        }

        #[test]
        fn redacting_twice_changes_nothing(
            env in proptest::collection::vec(("[A-Z_]{1,12}|CODER_ACCESS_URL|LOG_LEVEL", arbitrary_text()), 0..6),
            annotation in arbitrary_text(),
            doc_value in arbitrary_text(),
        ) {
            let env: Vec<Value> = env.iter().map(|(n, v)| json!({"name": n, "value": v})).collect();
            let mut pod = json!({"kind": "Pod", "metadata": {"annotations": {"a": annotation}, "labels": {"l": annotation}},
                "spec": {"containers": [{"env": env, "args": [annotation]}]}});
            let r = Redactor::with_key([9; 32]);
            r.redact_object(&mut pod);
            let once = pod.clone();
            let counts = r.summary();
            r.redact_object(&mut pod);
            prop_assert_eq!(&pod, &once);
            prop_assert_eq!(r.summary(), counts);

            let mut secret = json!({"kind": "Secret", "type": "Opaque", "data": {"k": annotation},
                "stringData": {"s": doc_value}});
            r.redact_object(&mut secret);
            let once = secret.clone();
            r.redact_object(&mut secret);
            prop_assert_eq!(&secret, &once);

            let mut doc = json!({"password": doc_value, "note": doc_value, "nested": {"v": doc_value}});
            r.redact_document(&mut doc);
            let once = doc.clone();
            r.redact_document(&mut doc);
            prop_assert_eq!(doc, once);
        }
    }
}
