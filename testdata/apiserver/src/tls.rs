//! The certificates a test server presents, minted at start: a CA, and an EC P-256 leaf for
//! `127.0.0.1` and `localhost` (`CA:FALSE`, `serverAuth`) that both kubectl (Go) and rustls accept.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// An error minting certificates or building the TLS configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// rcgen refused the parameters.
    #[error("cannot mint the test certificates")]
    Mint(#[source] rcgen::Error),
    /// rustls refused the certificate or key.
    #[error("cannot build the TLS configuration")]
    Config(#[source] rustls::Error),
}

/// The CA (PEM, for kubeconfigs) and the server's TLS configuration.
pub(crate) struct Minted {
    pub ca_pem: String,
    pub config: Arc<rustls::ServerConfig>,
}

fn validity(params: &mut CertificateParams) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - Duration::from_secs(3600);
    params.not_after = now + Duration::from_secs(365 * 24 * 3600);
}

/// Mints a fresh CA and leaf.
pub(crate) fn mint() -> Result<Minted, TlsError> {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(TlsError::Mint)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "coder-sec test CA");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity(&mut ca_params);
    let ca_key = KeyPair::generate().map_err(TlsError::Mint)?;
    let ca_cert = ca_params.self_signed(&ca_key).map_err(TlsError::Mint)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let mut leaf_params = CertificateParams::new(Vec::<String>::new()).map_err(TlsError::Mint)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "coder-sec-test-apiserver");
    leaf_params.distinguished_name = dn;
    leaf_params.subject_alt_names = vec![
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::DnsName("localhost".try_into().map_err(TlsError::Mint)?),
    ];
    leaf_params.is_ca = IsCa::ExplicitNoCa;
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    validity(&mut leaf_params);
    let leaf_key = KeyPair::generate().map_err(TlsError::Mint)?;
    let leaf = leaf_params
        .signed_by(&leaf_key, &issuer)
        .map_err(TlsError::Mint)?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Config)?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .map_err(TlsError::Config)?;
    // HTTP/1.1 only: a dropped-connection fault then closes a real connection, not an HTTP/2 stream.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Minted {
        ca_pem: ca_cert.pem(),
        config: Arc::new(config),
    })
}
