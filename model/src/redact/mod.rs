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

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::format::RedactionSummary;

pub mod allow;
mod anywhere;
mod configmap;
pub mod detect;
mod document;
pub mod env;
pub mod helm;
mod metadata;
pub mod scan;
mod secrets;
pub mod shape;
pub mod tls;
mod walk;

pub use allow::{ALLOW_LIST, Allowed, Scope};
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
        name: "document-free-text",
        description: "a Helm value or other free text reduced to the safe facts its parser keeps (other words became markers)",
    },
    Rule {
        name: "annotation-free-text",
        description: "an annotation value reduced to the safe facts the free-text parser keeps",
    },
    Rule {
        name: "args-free-text",
        description: "an argument that is not a flag name or a safe fact replaced by a marker (in `command`, `args` or `exec.command`)",
    },
    Rule {
        name: "url-secret-part",
        description: "a URL's query values or secret-like path segments replaced by `REDACTED` (host and path stay)",
    },
    Rule {
        name: "not-allowed",
        description: "a string at a path not on the allow-list, or failing its shape check, replaced by a marker",
    },
    Rule {
        name: "field-secret",
        description: "a string not on the allow-list under a secret-named key replaced by a marker",
    },
    Rule {
        name: "field-credential",
        description: "a string shaped like a credential replaced by a marker (outside the rules above)",
    },
];

/// Most distinct kept literals recorded in a snapshot's redaction report.
pub const MAX_KEPT_LITERALS: usize = 5000;

/// Most distinct paths counted in a snapshot's redaction report (the rest count under `(other)`).
pub const MAX_REPORT_PATHS: usize = 2000;

/// Marker prefix of every redacted value: `<redacted fp=0123456789abcdef len=24 why=not-allowed>`.
pub const MARKER_PREFIX: &str = "<redacted fp=";

/// Why a value was replaced by a marker; recorded in the marker as `why=...`, so that the analysis can
/// tell a secret (`secret-shaped`, `secret-named`) from an ordinary value that is merely not on the
/// allow-list (`not-allowed`). Markers written before format 1.1 carry no reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Why {
    /// The value looks like a credential (token prefix, JWT, PEM, URL credentials, high entropy, ...).
    SecretShaped,
    /// The value's key, variable or flag names a secret (`password`, `*_TOKEN`, `--psk`, ...).
    SecretNamed,
    /// The value's field is not on the allow-list, or the value fails that field's shape check.
    NotAllowed,
}

impl Why {
    /// Every reason, in marker order.
    pub const ALL: [Why; 3] = [Why::SecretShaped, Why::SecretNamed, Why::NotAllowed];

    /// The reason as written in a marker.
    pub fn as_str(self) -> &'static str {
        match self {
            Why::SecretShaped => "secret-shaped",
            Why::SecretNamed => "secret-named",
            Why::NotAllowed => "not-allowed",
        }
    }

    /// Whether the reason says a secret was there (the first two).
    pub fn is_secret(self) -> bool {
        !matches!(self, Why::NotAllowed)
    }
}

/// The reason recorded in a marker, or `None` for markers without one (format 1.0) and for strings
/// that are not markers.
pub fn marker_reason(s: &str) -> Option<Why> {
    if !is_marker(s) {
        return None;
    }
    let why = s.rsplit(" why=").next().filter(|_| s.contains(" why="))?;
    let why = why.strip_suffix('>')?;
    Why::ALL.into_iter().find(|w| w.as_str() == why)
}

/// Whether a marker says a secret was there: `secret-shaped`, `secret-named`, or a marker without a
/// reason (format 1.0, where every marker stood for a possible secret). `false` for `not-allowed`
/// markers and for strings that are not markers.
pub fn marker_hides_secret(s: &str) -> bool {
    is_marker(s) && marker_reason(s).is_none_or(Why::is_secret)
}

/// How fingerprints are made, as recorded in the manifest.
pub const FINGERPRINT_SCHEME: &str =
    "hmac-sha256 with a random per-snapshot key that is never stored; first 16 hex digits";

/// Applies the redaction rules and counts what each rule did.
pub struct Redactor {
    key: [u8; 32],
    state: Mutex<State>,
}

/// What a redactor counted and kept.
#[derive(Debug, Default)]
struct State {
    counts: BTreeMap<&'static str, u64>,
    paths: BTreeMap<String, u64>,
    kept: BTreeMap<String, BTreeSet<String>>,
    kept_total: usize,
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
            state: Mutex::new(State::default()),
        }
    }

    /// The fingerprint of a value: 16 hex digits of its HMAC under this snapshot's key.
    pub fn fingerprint(&self, value: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(value);
        hex::encode(&mac.finalize().into_bytes()[..8])
    }

    /// The marker that replaces a literal value, with the reason it went.
    pub fn marker(&self, value: &str, why: Why) -> String {
        format!(
            "{MARKER_PREFIX}{} len={} why={}>",
            self.fingerprint(value.as_bytes()),
            value.len(),
            why.as_str()
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
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *state.counts.entry(rule).or_default() += n;
    }

    /// Counts one redaction at a path of the report (`Kind:{container}.args.[]`).
    pub fn count_path(&self, path: String) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let full = state.paths.len() >= MAX_REPORT_PATHS && !state.paths.contains_key(&path);
        let key = if full { "(other)".to_string() } else { path };
        *state.paths.entry(key).or_default() += 1;
    }

    /// Records a literal kept outside the schema's typed fields, for the redaction report.
    pub fn keep_literal(&self, path: String, value: &str) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.kept_total >= MAX_KEPT_LITERALS {
            return;
        }
        if state
            .kept
            .entry(path)
            .or_default()
            .insert(value.to_string())
        {
            state.kept_total += 1;
        }
    }

    /// A redactor with the same key and counts of its own, for work that may be thrown away (a list
    /// restarted after its continue token expired): [`Redactor::merge`] it once the work is kept, so
    /// the manifest counts each kept value once.
    pub fn fork(&self) -> Redactor {
        Redactor::with_key(self.key)
    }

    /// Adds the counts of a [`Redactor::fork`] to this one.
    pub fn merge(&self, fork: &Redactor) {
        let theirs = fork.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut ours = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for (rule, n) in theirs.counts.iter() {
            *ours.counts.entry(rule).or_default() += n;
        }
        for (path, n) in theirs.paths.iter() {
            *ours.paths.entry(path.clone()).or_default() += n;
        }
        for (path, values) in theirs.kept.iter() {
            for v in values {
                if ours.kept_total < MAX_KEPT_LITERALS
                    && ours.kept.entry(path.clone()).or_default().insert(v.clone())
                {
                    ours.kept_total += 1;
                }
            }
        }
    }

    /// The counts so far, for the manifest.
    pub fn summary(&self) -> RedactionSummary {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        RedactionSummary {
            fingerprint: FINGERPRINT_SCHEME.to_string(),
            rules: state
                .counts
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            paths: state.paths.clone(),
            kept: state
                .kept
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().cloned().collect()))
                .collect(),
        }
    }

    /// Redacts one Kubernetes object in place, by its `kind`: Secret and ConfigMap payloads become
    /// facts, the items of a `List` are redacted as objects, then every string goes through the
    /// default-deny walk: it stays only when its path is on [`ALLOW_LIST`] and it passes the row's
    /// shape. See `docs/redaction.md`.
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
        if kind.ends_with("List")
            && let Some(Value::Array(items)) = object.get_mut("items")
        {
            for item in items {
                self.redact_object(item);
            }
        }
        for root in allow::meta_roots(&kind) {
            let pointer: String = root.iter().map(|seg| format!("/{seg}")).collect();
            if let Some(meta) = object.pointer_mut(&pointer) {
                self.redact_metadata(meta);
            }
        }
        self.walk(walk::Mode::Listed(Scope::Object, &kind), object);
    }

    /// Redacts a Coder REST API answer in place: strings on the allow-list's Coder API rows stay (when
    /// they pass their shape), option values follow the environment rules by their `env`, everything
    /// else becomes a marker.
    pub fn redact_document(&self, doc: &mut Value) {
        self.walk(walk::Mode::Listed(Scope::CoderApi, ""), doc);
    }

    /// Redacts free-form values in place (Helm values, documents inside strings): `env` lists follow
    /// the environment rules, values under secret-named keys become markers, and every other string
    /// keeps only what the free-text parser accepts.
    pub fn redact_free_values(&self, doc: &mut Value) {
        self.walk(walk::Mode::Values, doc);
    }

    /// Redacts the parsed identity mappings of `aws-auth` in place (allow-list rows of scope
    /// `aws-auth`).
    pub(crate) fn redact_aws_auth(&self, doc: &mut Value) {
        self.walk(walk::Mode::Listed(Scope::AwsAuth, ""), doc);
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
        let m = r.marker("hunter2", Why::SecretNamed);
        assert!(is_marker(&m));
        assert!(m.starts_with(MARKER_PREFIX) && m.ends_with(" len=7 why=secret-named>"));
        assert_eq!(marker_reason(&m), Some(Why::SecretNamed));
        assert!(marker_hides_secret(&m));
        let plain = r.marker("HUMAN_LOG value", Why::NotAllowed);
        assert!(!marker_hides_secret(&plain));
        // Markers of format 1.0 carry no reason and count as secrets.
        let old = "<redacted fp=0123456789abcdef len=7>";
        assert!(is_marker(old) && marker_reason(old).is_none() && marker_hides_secret(old));
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
