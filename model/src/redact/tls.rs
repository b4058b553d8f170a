//! Facts about the certificates of `kubernetes.io/tls` Secrets: names, validity, key type, issuer.
//! Certificates are public; private keys are never parsed (only their PEM label is read).

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, GeneralName, Pem, X509Certificate};
use x509_parser::public_key::PublicKey;

/// Why certificate facts could not be read. Messages never quote the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// The key holds no `-----BEGIN CERTIFICATE-----` block.
    #[error("`{key}` holds no PEM certificate")]
    NoCertificate {
        /// The Secret key.
        key: String,
    },
    /// A PEM block is damaged.
    #[error("`{key}`: PEM block {index} is not valid PEM")]
    Pem {
        /// The Secret key.
        key: String,
        /// 1-based block number.
        index: usize,
    },
    /// A certificate does not parse.
    #[error("`{key}`: certificate {index} is not valid X.509")]
    X509 {
        /// The Secret key.
        key: String,
        /// 1-based certificate number.
        index: usize,
    },
}

/// The facts of every certificate in a PEM bundle, in order (the leaf first in a `tls.crt` chain).
pub fn chain_facts(key: &str, pem: &[u8]) -> Result<Vec<Value>, CertError> {
    let mut facts = Vec::new();
    for (i, block) in Pem::iter_from_buffer(pem).enumerate() {
        let index = i + 1;
        let block = block.map_err(|_| CertError::Pem {
            key: key.to_string(),
            index,
        })?;
        if block.label != "CERTIFICATE" {
            continue;
        }
        let (_, cert) =
            X509Certificate::from_der(&block.contents).map_err(|_| CertError::X509 {
                key: key.to_string(),
                index,
            })?;
        facts.push(cert_facts(&cert, &block.contents));
    }
    if facts.is_empty() {
        return Err(CertError::NoCertificate {
            key: key.to_string(),
        });
    }
    Ok(facts)
}

fn rfc3339(timestamp: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(timestamp)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn cert_facts(cert: &X509Certificate<'_>, der: &[u8]) -> Value {
    let mut out = Map::new();
    out.insert("subject".into(), cert.subject().to_string().into());
    out.insert("issuer".into(), cert.issuer().to_string().into());
    out.insert("serial".into(), cert.raw_serial_as_string().into());
    let validity = cert.validity();
    out.insert(
        "notBefore".into(),
        rfc3339(validity.not_before.timestamp()).into(),
    );
    out.insert(
        "notAfter".into(),
        rfc3339(validity.not_after.timestamp()).into(),
    );
    let mut dns = Vec::new();
    let mut ips = Vec::new();
    let mut uris = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => dns.push(Value::from(*d)),
                GeneralName::IPAddress(b) => {
                    if let Ok(v4) = <[u8; 4]>::try_from(*b) {
                        ips.push(Value::from(Ipv4Addr::from(v4).to_string()));
                    } else if let Ok(v6) = <[u8; 16]>::try_from(*b) {
                        ips.push(Value::from(Ipv6Addr::from(v6).to_string()));
                    }
                }
                GeneralName::URI(u) => uris.push(Value::from(*u)),
                _ => {}
            }
        }
    }
    out.insert("dnsNames".into(), dns.into());
    out.insert("ipAddresses".into(), ips.into());
    if !uris.is_empty() {
        out.insert("uris".into(), uris.into());
    }
    let spki = cert.public_key();
    let (algorithm, size, curve) = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => ("RSA".to_string(), Some(rsa.key_size()), None),
        Ok(PublicKey::EC(ec)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| x509_parser::asn1_rs::Oid::try_from(p).ok())
                .map(|oid| curve_name(&oid.to_id_string()));
            ("EC".to_string(), Some(ec.key_size()), curve)
        }
        Ok(PublicKey::DSA(_)) => ("DSA".to_string(), None, None),
        _ => {
            let oid = spki.algorithm.algorithm.to_id_string();
            let name = match oid.as_str() {
                "1.3.101.112" => "Ed25519".to_string(),
                "1.3.101.113" => "Ed448".to_string(),
                _ => oid,
            };
            (name, None, None)
        }
    };
    out.insert("keyAlgorithm".into(), algorithm.into());
    if let Some(size) = size.filter(|s| *s > 0) {
        out.insert("keySize".into(), size.into());
    }
    if let Some(curve) = curve {
        out.insert("curve".into(), curve.into());
    }
    out.insert(
        "selfSigned".into(),
        (cert.subject().as_raw() == cert.issuer().as_raw()).into(),
    );
    out.insert("isCA".into(), cert.is_ca().into());
    out.insert("sha256".into(), hex::encode(Sha256::digest(der)).into());
    Value::Object(out)
}

fn curve_name(oid: &str) -> String {
    match oid {
        "1.2.840.10045.3.1.7" => "P-256".into(),
        "1.3.132.0.34" => "P-384".into(),
        "1.3.132.0.35" => "P-521".into(),
        "1.3.132.0.10" => "secp256k1".into(),
        other => other.into(),
    }
}

/// The `tls` facts of a Secret: `certificates` from `tls.crt` (leaf first), `ca` from `ca.crt`, and
/// `keyType`, the PEM label of `tls.key`. `{"error": ...}` when `tls.crt` is missing or unreadable.
pub fn tls_facts(tls_crt: Option<&[u8]>, ca_crt: Option<&[u8]>, tls_key: Option<&[u8]>) -> Value {
    let certificates = match tls_crt.map(|b| chain_facts("tls.crt", b)) {
        None => {
            return json!({"error": CertError::NoCertificate { key: "tls.crt".into() }.to_string()});
        }
        Some(Err(e)) => return json!({"error": e.to_string()}),
        Some(Ok(c)) => c,
    };
    let mut out = Map::new();
    out.insert("certificates".into(), certificates.into());
    match ca_crt.map(|b| chain_facts("ca.crt", b)) {
        Some(Ok(ca)) => {
            out.insert("ca".into(), ca.into());
        }
        Some(Err(e)) => {
            out.insert("caError".into(), e.to_string().into());
        }
        None => {}
    }
    if let Some(label) = tls_key.and_then(pem_label) {
        out.insert("keyType".into(), label.into());
    }
    Value::Object(out)
}

/// The label of the first PEM block (`RSA PRIVATE KEY`, `EC PRIVATE KEY`, `PRIVATE KEY`), read from
/// its `-----BEGIN` line only.
fn pem_label(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    let start = text.find("-----BEGIN ")? + "-----BEGIN ".len();
    let end = text[start..].find("-----")?;
    let label = &text[start..start + end];
    (label.len() <= 40 && label.bytes().all(|b| b.is_ascii_uppercase() || b == b' '))
        .then(|| label.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed EC P-256 certificate for `coder.example.com`, `*.coder.example.com` and
    /// 10.0.0.1 (the canary scenario's `testdata/scenarios/canaries/tls.crt`).
    const CERT: &str = include_str!("../../../testdata/scenarios/canaries/tls.crt");

    #[test]
    fn reads_certificate_facts() {
        let facts = tls_facts(
            Some(CERT.as_bytes()),
            Some(CERT.as_bytes()),
            Some(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
        );
        let leaf = &facts["certificates"][0];
        assert_eq!(leaf["subject"], "CN=coder.example.com");
        assert_eq!(
            leaf["dnsNames"],
            json!(["coder.example.com", "*.coder.example.com"])
        );
        assert_eq!(leaf["ipAddresses"], json!(["10.0.0.1"]));
        assert_eq!(leaf["keyAlgorithm"], "EC");
        assert_eq!(leaf["curve"], "P-256");
        assert_eq!(leaf["selfSigned"], true);
        assert!(leaf["notAfter"].as_str().unwrap().ends_with('Z'));
        assert_eq!(facts["ca"][0]["subject"], "CN=coder.example.com");
        assert_eq!(facts["keyType"], "PRIVATE KEY");
    }

    #[test]
    fn bad_certificates_are_errors_not_panics() {
        assert_eq!(
            tls_facts(Some(b"not a cert"), None, None),
            json!({"error": "`tls.crt` holds no PEM certificate"})
        );
        let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(
            tls_facts(Some(broken.as_bytes()), None, None),
            json!({"error": "`tls.crt`: certificate 1 is not valid X.509"})
        );
        assert!(tls_facts(None, None, None)["error"].is_string());
    }
}
