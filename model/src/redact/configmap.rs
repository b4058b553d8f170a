//! ConfigMaps: `data` and `binaryData` are removed, each key's size kept. Two exceptions keep facts:
//! `kube-system/aws-auth` keeps its identity mappings as structured data, and Helm's ConfigMap
//! storage driver keeps the release facts of a Secret-stored release.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Redactor;
use super::secrets::take_entries;

/// The keys of `kube-system/aws-auth` kept as structured data.
pub const AWS_AUTH_KEYS: &[&str] = &["mapRoles", "mapUsers", "mapAccounts"];

impl Redactor {
    /// Redacts one ConfigMap in place.
    pub(crate) fn redact_configmap(&self, object: &mut Value) {
        let namespace = crate::manifests::namespace_of(object)
            .unwrap_or("")
            .to_string();
        let name = crate::manifests::name_of(object).unwrap_or("").to_string();
        let helm_owned = object
            .pointer("/metadata/labels/owner")
            .and_then(Value::as_str)
            .is_some_and(|o| o.eq_ignore_ascii_case("helm"));
        let Some(obj) = object.as_object_mut() else {
            return;
        };
        if self.already_redacted(obj, &["data", "binaryData"]) {
            return;
        }
        let mut entries = BTreeMap::new();
        let mut removed = take_entries(obj, "data", false, &mut entries);
        let mut binary = BTreeMap::new();
        removed += take_entries(obj, "binaryData", true, &mut binary);
        self.count_n("configmap-data", removed as u64);
        let keys: Map<String, Value> = entries
            .iter()
            .chain(binary.iter())
            .map(|(k, v)| (k.clone(), Value::from(v.len())))
            .collect();
        let mut redacted = Map::new();
        redacted.insert("keys".into(), Value::Object(keys));
        if namespace == "kube-system" && name == "aws-auth" {
            redacted.insert("awsAuth".into(), self.aws_auth(&entries));
        }
        if helm_owned && entries.contains_key("release") {
            redacted.insert(
                "helmRelease".into(),
                self.helm_release(entries.get("release").map(Vec::as_slice)),
            );
        }
        obj.insert("redacted".into(), Value::Object(redacted));
    }

    /// The identity mappings of `aws-auth`, parsed from YAML and redacted as documents; a key that does
    /// not parse becomes `{"error": ...}`.
    fn aws_auth(&self, entries: &BTreeMap<String, Vec<u8>>) -> Value {
        let mut out = Map::new();
        for key in AWS_AUTH_KEYS {
            let Some(bytes) = entries.get(*key) else {
                continue;
            };
            let parsed = std::str::from_utf8(bytes)
                .map_err(|_| "not UTF-8".to_string())
                .and_then(|text| {
                    serde_yaml_ng::from_str::<Value>(text).map_err(|e| match e.location() {
                        Some(l) => {
                            format!("not valid YAML (line {}, column {})", l.line(), l.column())
                        }
                        None => "not valid YAML".to_string(),
                    })
                });
            let value = match parsed {
                Ok(mut v) => {
                    self.redact_aws_auth(&mut v);
                    v
                }
                Err(message) => serde_json::json!({"error": format!("`{key}` is {message}")}),
            };
            out.insert((*key).to_string(), value);
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::is_marker;
    use serde_json::json;

    #[test]
    fn plain_configmaps_keep_sizes() {
        let r = Redactor::with_key([5; 32]);
        let mut cm = json!({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "coder"},
            "data": {"a": "hello"}, "binaryData": {"b": "AAEC"}});
        r.redact_configmap(&mut cm);
        assert_eq!(
            cm,
            json!({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "coder"},
            "redacted": {"keys": {"a": 5, "b": 3}}})
        );
        assert_eq!(r.summary().rules["configmap-data"], 2);
    }

    #[test]
    fn aws_auth_keeps_identity_mappings() {
        let r = Redactor::with_key([5; 32]);
        let mut cm = json!({"kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"},
        "data": {
            "mapRoles": "- rolearn: arn:aws:iam::123456789012:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n",
            "mapUsers": "- userarn: arn:aws:iam::123456789012:user/alice\n  username: AKIAIOSFODNN7EXAMPLE\n  groups: [system:masters]\n",
            "mapAccounts": "[unclosed",
            "other": "secret"
        }});
        r.redact_configmap(&mut cm);
        let a = &cm["redacted"]["awsAuth"];
        assert_eq!(
            a["mapRoles"][0]["rolearn"],
            "arn:aws:iam::123456789012:role/nodes"
        );
        assert_eq!(a["mapRoles"][0]["groups"][1], "system:nodes");
        assert_eq!(a["mapUsers"][0]["groups"][0], "system:masters");
        assert!(is_marker(a["mapUsers"][0]["username"].as_str().unwrap()));
        assert!(
            a["mapAccounts"]["error"]
                .as_str()
                .unwrap()
                .starts_with("`mapAccounts` is not valid YAML")
        );
        assert!(a.get("other").is_none());
        assert!(!cm.to_string().contains("\"secret\""));
    }

    #[test]
    fn helm_configmap_driver_releases_are_decoded() {
        use base64::Engine;
        let r = Redactor::with_key([5; 32]);
        let release =
            json!({"name": "coder", "version": 1, "info": {"status": "deployed"}, "manifest": "m"});
        let payload = base64::engine::general_purpose::STANDARD.encode(release.to_string());
        let mut cm = json!({"kind": "ConfigMap", "metadata": {"name": "coder.v1", "labels": {"owner": "helm"}},
            "data": {"release": payload}});
        r.redact_configmap(&mut cm);
        assert_eq!(cm["redacted"]["helmRelease"]["status"], "deployed");
    }
}
