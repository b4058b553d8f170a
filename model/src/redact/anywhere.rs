//! Private keys wherever they are: PEM blocks as text, or base64-encoded as in a webhook's `caBundle`.
//! The default-deny walk counts them under their own rule.

use super::secrets::decode_base64;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::{Redactor, Why, is_marker, marker_reason};
    use base64::Engine;
    use serde_json::json;

    const KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA\n-----END EC PRIVATE KEY-----\n";

    #[test]
    fn private_keys_and_url_credentials_anywhere() {
        let r = Redactor::with_key([6; 32]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("cert\n{KEY}"));
        let mut obj = json!({"kind": "MutatingWebhookConfiguration", "webhooks": [
            {"clientConfig": {"url": "https://u:p@hooks.example.com/mutate?token=abc", "caBundle": b64}},
            {"clientConfig": {"caBundle": "Y2VydA=="}, "name": KEY}
        ]});
        r.redact_object(&mut obj);
        let w = &obj["webhooks"];
        assert_eq!(
            w[0]["clientConfig"]["url"],
            "https://REDACTED@hooks.example.com/mutate?token=REDACTED"
        );
        let bundle = w[0]["clientConfig"]["caBundle"].as_str().unwrap();
        assert_eq!(marker_reason(bundle), Some(Why::SecretShaped));
        assert!(is_marker(
            w[1]["clientConfig"]["caBundle"].as_str().unwrap()
        ));
        assert!(is_marker(w[1]["name"].as_str().unwrap()));
        assert_eq!(r.summary().rules["private-key"], 2);
        assert!(!holds_private_key(
            "LS0tLS1CRUdJTi but not base64 at all, much longer than sixty-four chars"
        ));
    }
}
