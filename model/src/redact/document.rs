//! Free-form documents: Coder REST API responses, Helm values, the parsed `aws-auth` mappings and JSON
//! annotations. Keys that name secrets, values shaped like credentials and URL credentials are
//! redacted; everything else is kept.

use serde_json::{Map, Value};

use super::detect::{
    CredentialShape, credential_shape, is_digest_key_name, is_secret_key_name,
    strip_url_credentials,
};
use super::env::{ENV_DENY_LIST, env_name_allowed};
use super::{MARKER_PREFIX, Redactor, detect::glob_match, is_marker};

/// Keys whose string values are personal data in documents (fingerprinted).
pub const PERSONAL_DATA_KEYS: &[&str] = &["email"];

/// Keys under a secret-named object whose values are still kept: switches and names of things.
const HARMLESS_UNDER_SECRET: &[&str] = &[
    "enabled",
    "enable",
    "name",
    "key",
    "type",
    "username",
    "user",
    "existingSecret",
    "secretName",
    "secretKey",
    "passwordKey",
    "userKey",
];

fn is_env_name(s: &str) -> bool {
    s.len() >= 2
        && s.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Whether an environment variable named `name`, met in a document, holds a secret: on the deny
/// list, or named like one, and not on the allow list.
fn env_name_secret(name: &str) -> bool {
    !env_name_allowed(name)
        && (ENV_DENY_LIST.iter().any(|p| glob_match(p, name)) || is_secret_key_name(name))
}

impl Redactor {
    pub(crate) fn document_value(&self, key: Option<&str>, value: &mut Value) {
        match value {
            Value::String(s) => self.document_string(key, s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.document_value(key, v)),
            Value::Object(map) => self.document_object(map),
            _ => {}
        }
    }

    fn document_object(&self, map: &mut Map<String, Value>) {
        // `{name|env: CODER_X, value: ...}` pairs (Helm env lists, Coder deployment options) and
        // options flagged `annotations.secret`.
        let flagged = map
            .get("annotations")
            .and_then(|a| a.get("secret"))
            .is_some_and(|s| s == "true" || s == true);
        let env_name = ["env", "name"]
            .iter()
            .filter_map(|k| map.get(*k).and_then(Value::as_str))
            .find(|n| is_env_name(n))
            .map(str::to_string);
        let value_is_secret = flagged || env_name.as_deref().is_some_and(env_name_secret);
        for (key, value) in map.iter_mut() {
            if key == "value" && value_is_secret {
                self.secret_value(value);
            } else if PERSONAL_DATA_KEYS.contains(&key.as_str()) {
                match value {
                    Value::String(s) => {
                        if !s.is_empty() && !is_marker(s) {
                            *s = self.marker(s);
                            self.count("document-personal-data");
                        }
                    }
                    // `email` may also name a settings block (Coder's `email.auth.password`):
                    // everything inside it goes through the same rules.
                    other => self.document_value(Some(key), other),
                }
            } else if is_secret_key_name(key) {
                self.secret_value(value);
            } else {
                self.document_value(Some(key), value);
            }
        }
    }

    /// Everything under a secret-named key: non-empty strings and numbers become markers; objects keep
    /// only their switches and names of things.
    fn secret_value(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if !s.is_empty() && !is_marker(s) && s != "true" && s != "false" {
                    *s = self.marker(s);
                    self.count("document-secret-key");
                }
            }
            Value::Number(n) => {
                let text = n.to_string();
                *value = Value::String(self.marker(&text));
                self.count("document-secret-key");
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.secret_value(v)),
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if HARMLESS_UNDER_SECRET.contains(&k.as_str()) {
                        self.document_value(Some(k), v);
                    } else {
                        self.secret_value(v);
                    }
                }
            }
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn document_string(&self, key: Option<&str>, s: &mut String) {
        if s.is_empty() || is_marker(s) {
            return;
        }
        if let Some(stripped) = strip_url_credentials(s) {
            *s = stripped;
            self.count("url-credentials");
        }
        if let Some(redacted) = self.redact_embedded_json(s) {
            *s = redacted;
            return;
        }
        // Multi-line text (YAML manifests in Helm values such as `extraTemplates`, scripts): redacted
        // structurally or line by line first, so that one token does not cost the whole text.
        if s.contains('\n')
            && let Some(redacted) = self.redact_embedded_text(s)
        {
            *s = redacted;
        }
        match credential_shape(s) {
            None => {}
            Some(CredentialShape::HexBlob) if key.is_some_and(is_digest_key_name) => {}
            Some(_) => {
                *s = self.marker(s);
                self.count("document-credential");
            }
        }
    }

    /// Redacts multi-line text: YAML documents as Kubernetes objects (when they have `apiVersion` and
    /// `kind`) or as documents, re-serialised; other text line by line (`key: value` and `key=value`
    /// with secret-named keys, credential-shaped words). `None` when nothing changed.
    pub(crate) fn redact_embedded_text(&self, s: &str) -> Option<String> {
        use serde::Deserialize;
        let docs: Result<Vec<Value>, _> = serde_yaml_ng::Deserializer::from_str(s)
            .map(Value::deserialize)
            .collect();
        match docs {
            Ok(docs) if docs.iter().any(|d| d.is_object() || d.is_array()) => {
                let mut changed = false;
                let mut parts = Vec::with_capacity(docs.len());
                for mut doc in docs {
                    let before = doc.clone();
                    if doc.get("apiVersion").is_some() && doc.get("kind").is_some() {
                        self.redact_object(&mut doc);
                    } else {
                        self.redact_document(&mut doc);
                    }
                    changed |= doc != before;
                    parts.push(serde_yaml_ng::to_string(&doc).ok()?);
                }
                changed.then(|| parts.join("---\n"))
            }
            _ => self.redact_lines(s),
        }
    }

    /// Line-by-line redaction of text that is not structured YAML (templates with `{{ }}`, scripts).
    fn redact_lines(&self, s: &str) -> Option<String> {
        let mut out = String::with_capacity(s.len());
        let mut changed = false;
        for line in s.split_inclusive('\n') {
            let body = line.trim_end_matches(['\n', '\r']);
            let ending = &line[body.len()..];
            if let Some(redacted) = self.redact_yaml_line(body) {
                out.push_str(&redacted);
                changed = true;
            } else if let Some(redacted) = self.redact_words(body, "document-credential") {
                out.push_str(&redacted);
                changed = true;
            } else {
                out.push_str(body);
            }
            out.push_str(ending);
        }
        changed.then_some(out)
    }

    /// `  password: value` (or `- token: value`) with a secret-named key: the value becomes a marker.
    fn redact_yaml_line(&self, line: &str) -> Option<String> {
        let indent = line.len() - line.trim_start_matches([' ', '\t', '-']).len();
        let rest = &line[indent..];
        let colon = rest.find(':')?;
        let key = rest[..colon].trim_matches(|c| c == '"' || c == '\'');
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            || !is_secret_key_name(key)
        {
            return None;
        }
        let value = rest[colon + 1..].trim();
        let bare = value.trim_matches(|c| c == '"' || c == '\'');
        if bare.is_empty()
            || bare.starts_with("{{")
            || bare.starts_with('$')
            || bare.starts_with(MARKER_PREFIX)
            || matches!(
                bare,
                "|" | ">" | "|-" | ">-" | "true" | "false" | "null" | "~"
            )
        {
            return None;
        }
        self.count("document-secret-key");
        Some(format!(
            "{}{}: {}",
            &line[..indent],
            &rest[..colon],
            self.marker(bare)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coder_api_responses_keep_what_is_not_secret() {
        let r = Redactor::with_key([2; 32]);
        let mut doc = json!({
            "buildinfo": {"version": "v2.15.0+e3d7eb2", "external_url": "https://github.com/coder/coder/commit/e3d7eb2", "dashboard_url": "https://coder.example.com"},
            "users": [{"username": "alice", "email": "alice@example.com", "login_type": "oidc", "roles": [{"name": "owner"}], "status": "active"}],
            "templates": [{"name": "kubernetes", "require_active_version": false}],
            "options": [
                {"name": "Access URL", "env": "CODER_ACCESS_URL", "value": "https://user:pw@coder.example.com"},
                {"name": "Postgres Connection URL", "env": "CODER_PG_CONNECTION_URL", "value": "postgres://u:p@db/coder", "annotations": {"secret": "true"}},
                {"name": "OIDC Client Secret", "env": "CODER_OIDC_CLIENT_SECRET", "value": "abc"},
                {"name": "Something", "env": "CODER_SOMETHING", "value": "harmless", "annotations": {"secret": "true"}},
                {"name": "Cache", "env": "CODER_CACHE_DIRECTORY", "value": "/tmp/coder-cache"},
            ],
            "oidc": {"client_id": "coder", "client_secret": "", "issuer_url": "https://idp.example.com"},
            "external_auth": [{"id": "github", "client_secret": "s3cr3t", "token_url": "https://github.com/login/oauth/access_token"}],
            "license": {"claims": {"jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlMDEyMzQ1"}},
            "postgresql": {"auth": {"username": "coder", "password": "hunter2", "existingSecret": "db", "enabled": true}},
            "coder": {"tls": {"secretNames": ["coder-tls"]}},
            "checksum": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        });
        r.redact_document(&mut doc);
        assert_eq!(doc["buildinfo"]["version"], "v2.15.0+e3d7eb2");
        assert_eq!(doc["users"][0]["username"], "alice");
        assert!(is_marker(doc["users"][0]["email"].as_str().unwrap()));
        assert_eq!(doc["users"][0]["login_type"], "oidc");
        assert_eq!(doc["users"][0]["roles"][0]["name"], "owner");
        assert_eq!(doc["templates"][0]["name"], "kubernetes");
        let o = &doc["options"];
        assert_eq!(o[0]["value"], "https://REDACTED@coder.example.com");
        assert!(is_marker(o[1]["value"].as_str().unwrap()));
        assert!(is_marker(o[2]["value"].as_str().unwrap()));
        assert!(is_marker(o[3]["value"].as_str().unwrap()));
        assert_eq!(o[4]["value"], "/tmp/coder-cache");
        assert_eq!(doc["oidc"]["client_id"], "coder");
        assert_eq!(doc["oidc"]["client_secret"], "");
        assert!(is_marker(
            doc["external_auth"][0]["client_secret"].as_str().unwrap()
        ));
        assert_eq!(
            doc["external_auth"][0]["token_url"],
            "https://github.com/login/oauth/access_token"
        );
        assert!(is_marker(doc["license"]["claims"]["jwt"].as_str().unwrap()));
        let auth = &doc["postgresql"]["auth"];
        assert_eq!(auth["username"], "coder");
        assert!(is_marker(auth["password"].as_str().unwrap()));
        assert_eq!(auth["existingSecret"], "db");
        assert_eq!(auth["enabled"], true);
        assert_eq!(doc["coder"]["tls"]["secretNames"][0], "coder-tls");
        assert!(doc["checksum"].as_str().unwrap().starts_with("9f86"));
        let s = r.summary().rules;
        assert_eq!(s["document-secret-key"], 5);
        assert_eq!(s["document-credential"], 1);
        assert_eq!(s["document-personal-data"], 1);
        assert_eq!(s["url-credentials"], 1);
    }

    #[test]
    fn yaml_and_text_inside_strings() {
        let r = Redactor::with_key([2; 32]);
        let mut doc = json!({"extraTemplates": [
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-x\nstringData:\n  token: abc123\n  user: bob\n",
            "enabled: true\nlevel: debug\n",
            "#!/bin/sh\nexport API_TOKEN=abc\necho done\n"
        ]});
        r.redact_document(&mut doc);
        let t = &doc["extraTemplates"];
        let parsed: Value = serde_yaml_ng::from_str(t[0].as_str().unwrap()).unwrap();
        assert_eq!(parsed["metadata"]["name"], "db");
        assert!(parsed.get("stringData").is_none());
        assert_eq!(parsed["redacted"]["keys"]["password"], 7);
        let raw = t[1].as_str().unwrap();
        assert!(raw.contains("  token: <redacted fp="), "{raw}");
        assert!(raw.contains("  user: bob\n") && raw.contains("{{ .Release.Name }}-x"));
        assert_eq!(t[2], "enabled: true\nlevel: debug\n");
        assert!(
            t[3].as_str()
                .unwrap()
                .contains("export API_TOKEN=<redacted fp=")
        );
        assert!(t[3].as_str().unwrap().ends_with("echo done\n"));
        let once = doc.clone();
        r.redact_document(&mut doc);
        assert_eq!(doc, once);
    }

    #[test]
    fn secret_objects_keep_only_switches_and_names() {
        let r = Redactor::with_key([2; 32]);
        let mut doc = json!({"credentials": {"enabled": true, "name": "x", "blob": "abc", "n": 5}});
        r.redact_document(&mut doc);
        assert_eq!(doc["credentials"]["enabled"], true);
        assert_eq!(doc["credentials"]["name"], "x");
        assert!(is_marker(doc["credentials"]["blob"].as_str().unwrap()));
        assert!(is_marker(doc["credentials"]["n"].as_str().unwrap()));
    }

    #[test]
    fn settings_blocks_under_personal_data_keys_are_redacted_inside() {
        let r = crate::redact::Redactor::with_key([7; 32]);
        let mut doc = serde_json::json!({"email": {"from": "coder@example.com",
            "auth": {"username": "mailer", "password": "CANARY-email-block-password"}}});
        r.redact_document(&mut doc);
        let text = doc.to_string();
        assert!(!text.contains("CANARY-email-block-password"), "{text}");
    }
}
