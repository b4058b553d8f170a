//! Secrets: `data` and `stringData` are removed; a `redacted` object keeps each key's decoded size and,
//! by type, the facts the analysis needs (certificate facts, registry hosts and users, the service
//! account of a token, the Helm release's identity and redacted values).

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Map, Value, json};

use super::detect::looks_like_credential;
use super::{Redactor, tls};

/// Decodes a Secret's base64 `data` value; `None` when it is not base64.
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let engine = base64::engine::general_purpose::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    engine.decode(compact.as_bytes()).ok()
}

/// Removes `field` (`data` or `stringData` style) from `obj` and returns its entries as bytes:
/// decoded when `base64` is set, raw text otherwise.
pub(crate) fn take_entries(
    obj: &mut Map<String, Value>,
    field: &str,
    base64: bool,
    into: &mut BTreeMap<String, Vec<u8>>,
) -> usize {
    let Some(removed) = obj.remove(field) else {
        return 0;
    };
    let Value::Object(entries) = removed else {
        return 1;
    };
    let n = entries.len();
    for (key, value) in entries {
        let text = value.as_str().unwrap_or("");
        let bytes = if base64 {
            decode_base64(text).unwrap_or_else(|| text.as_bytes().to_vec())
        } else {
            text.as_bytes().to_vec()
        };
        into.insert(key, bytes);
    }
    n
}

impl Redactor {
    /// Whether `obj` was redacted before (a `redacted` object and none of the payload `fields`): then
    /// its `redacted` object is kept, re-checked so that nothing but sizes and facts can pass: `keys`
    /// keeps numbers only, everything else goes through the document rules. Redacting twice changes
    /// nothing.
    pub(crate) fn already_redacted(&self, obj: &mut Map<String, Value>, fields: &[&str]) -> bool {
        if fields.iter().any(|f| obj.contains_key(*f)) {
            return false;
        }
        let Some(Value::Object(redacted)) = obj.get_mut("redacted") else {
            return false;
        };
        for (key, value) in redacted.iter_mut() {
            if key == "keys" {
                if let Value::Object(sizes) = value {
                    sizes.retain(|_, size| size.is_u64());
                } else {
                    *value = Value::Object(Map::new());
                }
            }
            // Everything else in `redacted` goes through the default-deny walk of the object.
        }
        true
    }

    /// Redacts one Secret in place.
    pub(crate) fn redact_secret(&self, object: &mut Value) {
        let Some(obj) = object.as_object_mut() else {
            return;
        };
        if self.already_redacted(obj, &["data", "stringData"]) {
            return;
        }
        let mut entries = BTreeMap::new();
        let mut removed = take_entries(obj, "data", true, &mut entries);
        // `stringData` wins over `data` for the same key, as in the API server.
        removed += take_entries(obj, "stringData", false, &mut entries);
        self.count_n("secret-data", removed as u64);

        let keys: Map<String, Value> = entries
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.len())))
            .collect();
        let mut redacted = Map::new();
        redacted.insert("keys".into(), Value::Object(keys));
        let secret_type = obj
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let get = |k: &str| entries.get(k).map(Vec::as_slice);
        match secret_type.as_str() {
            "kubernetes.io/tls" => {
                redacted.insert(
                    "tls".into(),
                    tls::tls_facts(get("tls.crt"), get("ca.crt"), get("tls.key")),
                );
            }
            "kubernetes.io/dockerconfigjson" => {
                redacted.insert(
                    "registries".into(),
                    self.registries(get(".dockerconfigjson"), true),
                );
            }
            "kubernetes.io/dockercfg" => {
                redacted.insert(
                    "registries".into(),
                    self.registries(get(".dockercfg"), false),
                );
            }
            "kubernetes.io/service-account-token" => {
                let annotation = |k: &str| {
                    obj.get("metadata")
                        .and_then(|m| m.get("annotations"))
                        .and_then(|a| a.get(k))
                        .cloned()
                        .unwrap_or(Value::Null)
                };
                redacted.insert(
                    "serviceAccount".into(),
                    json!({
                        "name": annotation("kubernetes.io/service-account.name"),
                        "uid": annotation("kubernetes.io/service-account.uid"),
                    }),
                );
            }
            "helm.sh/release.v1" => {
                redacted.insert("helmRelease".into(), self.helm_release(get("release")));
            }
            _ => {}
        }
        obj.insert("redacted".into(), Value::Object(redacted));
    }

    /// `[{host, username}]` of a docker config; passwords, `auth`, `identitytoken` and e-mail addresses
    /// are never read out. `{"error": ...}` when the config is not JSON.
    fn registries(&self, config: Option<&[u8]>, wrapped: bool) -> Value {
        let Some(bytes) = config else {
            return json!({"error": "the docker config key is missing"});
        };
        let Ok(parsed) = serde_json::from_slice::<Value>(bytes) else {
            return json!({"error": "the docker config is not JSON"});
        };
        let hosts = if wrapped {
            parsed.get("auths")
        } else {
            Some(&parsed)
        };
        let Some(Value::Object(hosts)) = hosts else {
            return json!({"error": "the docker config has no registry map"});
        };
        let mut out = Vec::new();
        for (host, entry) in hosts {
            let username = entry
                .get("username")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    let auth = entry.get("auth").and_then(Value::as_str)?;
                    let decoded = decode_base64(auth)?;
                    let text = String::from_utf8(decoded).ok()?;
                    text.split_once(':').map(|(user, _)| user.to_string())
                })
                .filter(|u| !u.is_empty())
                .map(|u| {
                    if looks_like_credential(&u) {
                        self.count("registry-username");
                        self.marker(&u, super::Why::SecretShaped)
                    } else {
                        u
                    }
                });
            out.push(json!({"host": host, "username": username}));
        }
        Value::Array(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::is_marker;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn opaque_keeps_key_sizes_only() {
        let r = Redactor::with_key([3; 32]);
        let mut s = json!({"kind": "Secret", "type": "Opaque", "immutable": true,
            "metadata": {"name": "db", "namespace": "coder"},
            "data": {"url": b64("postgres://x"), "bad": "%%%"}, "stringData": {"extra": "abc"}});
        r.redact_secret(&mut s);
        assert_eq!(
            s,
            json!({"kind": "Secret", "type": "Opaque", "immutable": true,
                "metadata": {"name": "db", "namespace": "coder"},
                "redacted": {"keys": {"bad": 3, "extra": 3, "url": 12}}})
        );
        assert_eq!(r.summary().rules["secret-data"], 3);
    }

    #[test]
    fn redacting_a_redacted_secret_keeps_its_facts() {
        let r = Redactor::with_key([3; 32]);
        let config = json!({"auths": {"ghcr.io": {"auth": b64("bot:p")}}});
        let mut s = json!({"kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": b64(&config.to_string())}});
        r.redact_secret(&mut s);
        let once = s.clone();
        r.redact_secret(&mut s);
        assert_eq!(s, once);
        assert_eq!(r.summary().rules["secret-data"], 1);

        // A hand-made `redacted` object cannot smuggle values through.
        let mut forged = json!({"kind": "Secret", "redacted": {"keys": {"a": "hunter2", "b": 3},
            "note": {"password": "hunter2"}}});
        r.redact_object(&mut forged);
        assert_eq!(forged["redacted"]["keys"], json!({"b": 3}));
        assert!(is_marker(
            forged["redacted"]["note"]["password"].as_str().unwrap()
        ));
        let mut forged = json!({"kind": "Secret", "type": "helm.sh/release.v1",
            "redacted": {"helmRelease": {"name": "x", "config": {"credentials": {"blob": "plain", "enabled": true}}}}});
        r.redact_object(&mut forged);
        let config = &forged["redacted"]["helmRelease"]["config"];
        assert!(is_marker(config["credentials"]["blob"].as_str().unwrap()));
        assert_eq!(config["credentials"]["enabled"], true);
        assert_eq!(forged["redacted"]["helmRelease"]["name"], "x");
    }

    #[test]
    fn docker_configs_keep_hosts_and_users() {
        let r = Redactor::with_key([3; 32]);
        let config = json!({"auths": {
            "ghcr.io": {"username": "bot", "password": "p", "auth": b64("bot:p")},
            "registry.example.com": {"auth": b64("alice:pw"), "identitytoken": "t"},
            "token.example.com": {"username": "ghp_0123456789abcdefABCDEF0123456789abcd"}
        }});
        let mut s = json!({"kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": b64(&config.to_string())}});
        r.redact_secret(&mut s);
        let regs = &s["redacted"]["registries"];
        assert_eq!(regs[0], json!({"host": "ghcr.io", "username": "bot"}));
        assert_eq!(
            regs[1],
            json!({"host": "registry.example.com", "username": "alice"})
        );
        assert!(is_marker(regs[2]["username"].as_str().unwrap()));
        let text = s.to_string();
        assert!(!text.contains("\"p\"") && !text.contains("pw") && !text.contains("identitytoken"));

        let mut old = json!({"kind": "Secret", "type": "kubernetes.io/dockercfg",
            "data": {".dockercfg": b64(&json!({"quay.io": {"auth": b64("robot:x")}}).to_string())}});
        r.redact_secret(&mut old);
        assert_eq!(
            old["redacted"]["registries"],
            json!([{"host": "quay.io", "username": "robot"}])
        );

        let mut broken = json!({"kind": "Secret", "type": "kubernetes.io/dockercfg", "data": {".dockercfg": b64("{")}});
        r.redact_secret(&mut broken);
        assert!(broken["redacted"]["registries"]["error"].is_string());
    }

    #[test]
    fn service_account_tokens_keep_the_account() {
        let r = Redactor::with_key([3; 32]);
        let mut s = json!({"kind": "Secret", "type": "kubernetes.io/service-account-token",
            "metadata": {"annotations": {"kubernetes.io/service-account.name": "coder",
                "kubernetes.io/service-account.uid": "u-1"}},
            "data": {"token": b64("eyJhbGciOi.x.y"), "ca.crt": b64("x"), "namespace": b64("coder")}});
        r.redact_secret(&mut s);
        assert_eq!(
            s["redacted"]["serviceAccount"],
            json!({"name": "coder", "uid": "u-1"})
        );
        assert!(s.get("data").is_none());
    }
}
