//! The last pass over every string of every object, whatever its kind and wherever the string sits:
//! PEM private keys (plain, or base64-encoded as in a webhook's `caBundle`) become markers, and URL
//! credentials are removed (webhook `clientConfig.url`, CRD fields, volume attributes).

use serde_json::Value;

use super::detect::strip_url_credentials;
use super::secrets::decode_base64;
use super::{Redactor, is_marker};

/// Whether `s` holds a PEM private key, as text or base64-encoded.
pub fn holds_private_key(s: &str) -> bool {
    if s.contains("PRIVATE KEY-----") {
        return true;
    }
    // Only long strings made of base64 characters are worth decoding.
    s.len() >= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=\r\n ".contains(&b))
        && decode_base64(s).is_some_and(|bytes| {
            bytes
                .windows(b"PRIVATE KEY-----".len())
                .any(|w| w == b"PRIVATE KEY-----")
        })
}

impl Redactor {
    /// Applies the private-key and URL-credential rules to every string of `value`.
    pub(crate) fn redact_strings_anywhere(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                if s.is_empty() || is_marker(s) {
                    return;
                }
                if holds_private_key(s) {
                    *s = self.marker(s);
                    self.count("private-key");
                } else if let Some(stripped) = strip_url_credentials(s) {
                    *s = stripped;
                    self.count("url-credentials");
                }
            }
            Value::Array(items) => items
                .iter_mut()
                .for_each(|v| self.redact_strings_anywhere(v)),
            Value::Object(map) => map
                .values_mut()
                .for_each(|v| self.redact_strings_anywhere(v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use serde_json::json;

    const KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA\n-----END EC PRIVATE KEY-----\n";

    #[test]
    fn private_keys_and_url_credentials_anywhere() {
        let r = Redactor::with_key([6; 32]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("cert\n{KEY}"));
        let cert_only = base64::engine::general_purpose::STANDARD
            .encode("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        let mut obj = json!({"kind": "MutatingWebhookConfiguration", "webhooks": [
            {"clientConfig": {"url": "https://u:p@hooks.example.com/mutate", "caBundle": b64}},
            {"clientConfig": {"caBundle": cert_only.clone()}, "note": KEY}
        ]});
        r.redact_strings_anywhere(&mut obj);
        let w = &obj["webhooks"];
        assert_eq!(
            w[0]["clientConfig"]["url"],
            "https://REDACTED@hooks.example.com/mutate"
        );
        assert!(is_marker(
            w[0]["clientConfig"]["caBundle"].as_str().unwrap()
        ));
        assert_eq!(w[1]["clientConfig"]["caBundle"], cert_only.as_str());
        assert!(is_marker(w[1]["note"].as_str().unwrap()));
        assert_eq!(r.summary().rules["private-key"], 2);
        assert!(!holds_private_key(
            "LS0tLS1CRUdJTi but not base64 at all, much longer than sixty-four chars"
        ));
    }
}
