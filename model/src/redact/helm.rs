//! Helm release records (`helm.sh/release.v1` Secrets, and ConfigMaps of Helm's ConfigMap driver):
//! the release's identity, status and chart are kept; its user values (`config`) are kept redacted;
//! the rendered `manifest`, the chart's templates and default values, and hooks are dropped.

use std::io::Read;

use serde_json::{Map, Value, json};

use super::Redactor;
use super::secrets::decode_base64;

/// Largest decompressed release record read (64 MiB); larger ones are reported as errors.
pub const MAX_RELEASE_BYTES: u64 = 64 << 20;

/// Why a release record could not be decoded. Messages never quote the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseError {
    /// The `release` key is absent.
    #[error("the `release` key is missing")]
    Missing,
    /// A layer is neither gzip, JSON nor base64.
    #[error("the release record is not base64, gzip or JSON (after {layers} decoding steps)")]
    Encoding {
        /// How many layers were peeled before failing.
        layers: usize,
    },
    /// The gzip stream is damaged or too large.
    #[error("the release record's gzip stream is damaged or larger than {MAX_RELEASE_BYTES} bytes")]
    Gzip,
    /// The JSON does not parse.
    #[error("the release record is not valid JSON ({category} at line {line}, column {column})")]
    Json {
        /// serde_json's error category.
        category: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
    },
}

/// Decodes a release record: base64 layers (the API's and Helm's own), gzip when the magic `1f 8b 08`
/// is present, then JSON.
pub fn decode_release(bytes: &[u8]) -> Result<Value, ReleaseError> {
    let mut current = bytes.to_vec();
    for layers in 0..4 {
        let trimmed: &[u8] = current.trim_ascii();
        if trimmed.starts_with(&[0x1f, 0x8b, 0x08]) {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(trimmed)
                .take(MAX_RELEASE_BYTES + 1)
                .read_to_end(&mut out)
                .map_err(|_| ReleaseError::Gzip)?;
            if out.len() as u64 > MAX_RELEASE_BYTES {
                return Err(ReleaseError::Gzip);
            }
            current = out;
            continue;
        }
        if trimmed.starts_with(b"{") {
            return serde_json::from_slice(trimmed).map_err(|e| ReleaseError::Json {
                category: format!("{:?}", e.classify()).to_lowercase(),
                line: e.line(),
                column: e.column(),
            });
        }
        let text = std::str::from_utf8(trimmed).map_err(|_| ReleaseError::Encoding { layers })?;
        current = decode_base64(text).ok_or(ReleaseError::Encoding { layers })?;
    }
    Err(ReleaseError::Encoding { layers: 4 })
}

impl Redactor {
    /// The `helmRelease` facts of a release record (the bytes of the `release` key, the API's base64
    /// already removed or not), or `{"error": ...}` and nothing else.
    pub(crate) fn helm_release(&self, payload: Option<&[u8]>) -> Value {
        self.count("helm-release");
        let release = match payload
            .ok_or(ReleaseError::Missing)
            .and_then(decode_release)
        {
            Ok(r) => r,
            Err(e) => return json!({"error": e.to_string()}),
        };
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map_or(Value::Null, Value::from);
        let metadata = release.pointer("/chart/metadata");
        let mut config = release.get("config").cloned().unwrap_or(Value::Null);
        self.redact_values(&mut config);
        let mut out = Map::new();
        out.insert("name".into(), text(release.get("name")));
        out.insert("namespace".into(), text(release.get("namespace")));
        out.insert(
            "revision".into(),
            release
                .get("version")
                .filter(|v| v.is_u64())
                .cloned()
                .unwrap_or(Value::Null),
        );
        out.insert("status".into(), text(release.pointer("/info/status")));
        out.insert(
            "chart".into(),
            json!({
                "name": text(metadata.and_then(|m| m.get("name"))),
                "version": text(metadata.and_then(|m| m.get("version"))),
                "appVersion": text(metadata.and_then(|m| m.get("appVersion"))),
            }),
        );
        out.insert("config".into(), config);
        Value::Object(out)
    }

    /// Redacts Helm values: every `env` list (Coder's `coder.env`) under the environment allow-list
    /// rule, values under secret-named keys become markers, every other leaf is free text.
    pub(crate) fn redact_values(&self, values: &mut Value) {
        self.redact_free_values(values);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::is_marker;
    use base64::Engine;
    use std::io::Write;

    fn b64(b: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(b)
    }

    fn gzip(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    fn release() -> Value {
        json!({
            "name": "coder", "namespace": "coder", "version": 3,
            "info": {"status": "deployed", "notes": "x"},
            "chart": {"metadata": {"name": "coder", "version": "2.15.0", "appVersion": "2.15.0"},
                "values": {"coder": {"image": "x"}}, "templates": [{"name": "t", "data": "eA=="}]},
            "config": {"coder": {"env": [
                {"name": "CODER_ACCESS_URL", "value": "https://coder.example.com"},
                {"name": "CODER_PG_CONNECTION_URL", "value": "postgres://coder:pw@db/coder"},
                {"name": "CODER_CUSTOM_SETTING", "value": "plain"},
                {"name": "CODER_OIDC_CLIENT_SECRET", "valueFrom": {"secretKeyRef": {"name": "oidc", "key": "secret"}}}
            ]}, "postgresql": {"auth": {"password": "hunter2"}}},
            "manifest": "apiVersion: v1\nkind: Secret\n", "hooks": []
        })
    }

    #[test]
    fn decodes_every_wrapping() {
        let json = release().to_string();
        let forms = [
            json.clone().into_bytes(),
            gzip(json.as_bytes()),
            b64(&gzip(json.as_bytes())).into_bytes(),
            b64(json.as_bytes()).into_bytes(),
        ];
        for form in forms {
            assert_eq!(decode_release(&form).unwrap(), release());
        }
    }

    #[test]
    fn keeps_identity_and_redacted_values() {
        let r = Redactor::with_key([4; 32]);
        let payload = b64(&gzip(release().to_string().as_bytes()));
        let facts = r.helm_release(Some(payload.as_bytes()));
        assert_eq!(facts["name"], "coder");
        assert_eq!(facts["revision"], 3);
        assert_eq!(facts["status"], "deployed");
        assert_eq!(
            facts["chart"],
            json!({"name": "coder", "version": "2.15.0", "appVersion": "2.15.0"})
        );
        let env = &facts["config"]["coder"]["env"];
        assert_eq!(env[0]["value"], "https://coder.example.com");
        assert!(is_marker(env[1]["value"].as_str().unwrap()));
        assert!(
            is_marker(env[2]["value"].as_str().unwrap()),
            "not on the allow-list"
        );
        assert_eq!(env[3]["valueFrom"]["secretKeyRef"]["name"], "oidc");
        assert!(is_marker(
            facts["config"]["postgresql"]["auth"]["password"]
                .as_str()
                .unwrap()
        ));
        // Keys in serde_json's (sorted) order: the record is the identity, chart and config only.
        let mut keys: Vec<&String> = facts.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["chart", "config", "name", "namespace", "revision", "status"]
        );
    }

    #[test]
    fn undecodable_releases_are_errors() {
        let r = Redactor::with_key([4; 32]);
        assert_eq!(
            r.helm_release(Some(b"%%% not base64")),
            json!({"error": "the release record is not base64, gzip or JSON (after 0 decoding steps)"})
        );
        assert!(r.helm_release(None)["error"].is_string());
        let truncated = &gzip(b"{\"name\": \"x\"}")[..12];
        assert!(r.helm_release(Some(truncated))["error"].is_string());
        assert!(r.helm_release(Some(b"{\"name\": ")).get("error").is_some());
    }
}
