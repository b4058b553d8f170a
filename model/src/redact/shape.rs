//! Shape checks and free-text parsers: what a value at an allow-listed path must look like to be kept,
//! and what a parser keeps of free text (arguments, scripts, annotation values, Helm leaves).
//!
//! Every check is a pure function of the value. A check says [`Verdict::Keep`], gives a rewritten
//! value ([`Verdict::Rewrite`]: a URL without its query values, an argument list with some words
//! replaced), or refuses with the reason the marker will carry ([`Verdict::Deny`]).

use super::detect::{
    CredentialShape, credential_shape, is_digest_key_name, is_only_var_references,
    is_secret_key_name,
};
use super::{MARKER_PREFIX, URL_USERINFO_REPLACEMENT, Why, is_marker};

mod free_text;
pub use free_text::*;

/// What a shape check decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The value stays as it is.
    Keep,
    /// The value is replaced by this text (parts of it went).
    Rewrite(String),
    /// The value becomes a marker, for this reason.
    Deny(Why),
}

/// The shape a value at an allow-listed path must have. Every shape also refuses values shaped like
/// credentials, except where the shape names an exemption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Object names and references: letters, digits and `-._:/@+*~`, at most 253 characters.
    Name,
    /// A label value (or a label key held as a value): letters, digits and `-._/`; a 40-hex git SHA is
    /// allowed, and long hex under keys naming a digest (`pod-template-hash`, `checksum/...`).
    Label,
    /// An enumeration or setting word: at most 64 letters, digits and `-._/:`.
    Word,
    /// An image reference `[registry/]repository[:tag][@algorithm:hex]`; hex tags (git SHAs) allowed.
    Image,
    /// A file system path without whitespace.
    Path,
    /// A URL: user part replaced by `REDACTED`, query values by `REDACTED`, fragment dropped, path
    /// segments that could hold a secret replaced by `REDACTED`.
    Url,
    /// An HTTP path with an optional query: the query values are replaced as in [`Shape::Url`].
    UrlPath,
    /// A host name, IP address or `host:port` (lower case).
    Host,
    /// An IP address or CIDR block.
    Cidr,
    /// A number or Kubernetes quantity (`500m`, `1Gi`, `8080`).
    Quantity,
    /// An Amazon resource name.
    Arn,
    /// An RFC 3339 time stamp.
    Timestamp,
    /// A cron schedule.
    Cron,
    /// A value the redactor itself wrote (the facts of a `redacted` object: certificate subjects and
    /// hashes, registry hosts): kept unless it carries a PEM block, a token prefix or a JWT.
    Fact,
    /// An environment value: decided by the variable's name (`ENV_ALLOW_LIST`) and then its value.
    EnvValue,
    /// An environment variable name.
    EnvName,
    /// An argument vector (`command`, `args`, `exec.command`): parsed word by word.
    Argv,
    /// An annotation value: the annotation keys the analysis reads have their own shape; the rest is
    /// free text.
    Annotation,
    /// Free text (Helm leaves, values nobody reads): only what [`parse_words`] and [`safe_token`]
    /// recognise as safe facts.
    FreeText,
}

impl Shape {
    /// A short description, for `docs/redaction.md`.
    pub fn description(self) -> &'static str {
        match self {
            Shape::Name => "name",
            Shape::Label => "label value",
            Shape::Word => "word",
            Shape::Image => "image reference",
            Shape::Path => "file path",
            Shape::Url => "URL (query values, fragments and secret-like path segments go)",
            Shape::UrlPath => "HTTP path (query values go)",
            Shape::Host => "host name or IP",
            Shape::Cidr => "IP or CIDR",
            Shape::Quantity => "number or quantity",
            Shape::Arn => "ARN",
            Shape::Timestamp => "time stamp",
            Shape::Cron => "cron schedule",
            Shape::Fact => "fact written by the redactor",
            Shape::EnvValue => "environment value (by name, see below)",
            Shape::EnvName => "environment variable name",
            Shape::Argv => "argument vector (parsed)",
            Shape::Annotation => "annotation value (by key, else free text)",
            Shape::FreeText => "free text (parsed)",
        }
    }
}

/// Why a value shaped like a credential went: `secret-shaped`, or `None` when it does not look like one.
pub fn secret_shape(s: &str) -> Option<Why> {
    credential_shape(s).map(|_| Why::SecretShaped)
}

/// [`Verdict::Keep`] when `ok`, else a denial (`secret-shaped` when the value looks like a credential).
fn keep_if(ok: bool, s: &str) -> Verdict {
    if ok { Verdict::Keep } else { deny_plain(s) }
}

fn deny_plain(s: &str) -> Verdict {
    Verdict::Deny(secret_shape(s).unwrap_or(Why::NotAllowed))
}

fn keep_unless_secret(s: &str) -> Verdict {
    match secret_shape(s) {
        Some(why) => Verdict::Deny(why),
        None => Verdict::Keep,
    }
}

fn chars_in(s: &str, extra: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

/// Checks `value` against `shape`. `key` is the map key the value sits under, when it does (a label
/// or annotation key). [`Shape::EnvValue`], [`Shape::Argv`] and [`Shape::FreeText`] values are
/// decided by the callers that know their context; here they follow the free-text rules.
pub fn check(shape: Shape, key: Option<&str>, value: &str) -> Verdict {
    if value.is_empty() || is_marker(value) {
        return Verdict::Keep;
    }
    if value.contains("-----BEGIN ") {
        return Verdict::Deny(Why::SecretShaped);
    }
    match shape {
        Shape::Name => {
            if value.len() <= 253 && chars_in(value, "-._:/@+*~{}") {
                keep_unless_secret(value)
            } else {
                deny_plain(value)
            }
        }
        Shape::Label => check_label(key, value),
        Shape::Word => {
            if value.len() <= 64 && chars_in(value, "-._/:") {
                keep_unless_secret(value)
            } else {
                deny_plain(value)
            }
        }
        Shape::Image => keep_if(is_image(value), value),
        Shape::Path => keep_if(is_path(value), value),
        Shape::Url => match sanitize_url(value) {
            Some(clean) if clean == value => Verdict::Keep,
            Some(clean) => Verdict::Rewrite(clean),
            None => deny_plain(value),
        },
        Shape::UrlPath => match sanitize_path_and_query(value) {
            Some(clean) if clean == value => Verdict::Keep,
            Some(clean) => Verdict::Rewrite(clean),
            None => deny_plain(value),
        },
        Shape::Host => keep_if(is_host(value) || is_cidr(value), value),
        Shape::Cidr => keep_if(is_cidr(value), value),
        Shape::Quantity => keep_if(is_quantity(value), value),
        Shape::Arn => {
            if value.starts_with("arn:") && chars_in(value, ":/_+=.,@-*") {
                keep_unless_secret(value)
            } else {
                deny_plain(value)
            }
        }
        Shape::Timestamp => keep_if(value.len() <= 40 && chars_in(value, "-:.+"), value),
        Shape::Cron => keep_if(
            value.len() <= 100 && (chars_in(value, " */,-?") || value.starts_with('@')),
            value,
        ),
        Shape::Fact => match credential_shape(value) {
            Some(
                CredentialShape::Pem
                | CredentialShape::Jwt
                | CredentialShape::KnownPrefix
                | CredentialShape::UrlUserinfo
                | CredentialShape::AuthScheme,
            ) => Verdict::Deny(Why::SecretShaped),
            _ => Verdict::Keep,
        },
        Shape::EnvName => keep_if(value.len() <= 253 && chars_in(value, "_-."), value),
        Shape::Annotation => check_annotation(key.unwrap_or(""), value),
        Shape::EnvValue | Shape::Argv | Shape::FreeText => free_word_or_text(value),
    }
}

fn check_label(key: Option<&str>, value: &str) -> Verdict {
    // Label values, and label keys where selectors, tolerations and affinities hold them as values.
    if value.len() > 317 || !chars_in(value, "-._/") {
        return deny_plain(value);
    }
    match credential_shape(value) {
        None => Verdict::Keep,
        Some(CredentialShape::HexBlob)
            if value.len() == 40 || key.is_some_and(is_digest_key_name) =>
        {
            Verdict::Keep
        }
        Some(_) => Verdict::Deny(Why::SecretShaped),
    }
}

/// Annotation keys the analysis reads, with the shape of their values.
pub const ANNOTATION_SHAPES: &[(&str, Shape, &str)] = &[
    (
        "eks.amazonaws.com/role-arn",
        Shape::Arn,
        "workload identity (AWS IRSA): the role a service account assumes",
    ),
    (
        "iam.gke.io/gcp-service-account",
        Shape::Name,
        "workload identity (GKE): the Google service account a service account acts as",
    ),
    (
        "azure.workload.identity/client-id",
        Shape::Name,
        "workload identity (Azure): the managed identity's client id",
    ),
    (
        "azure.workload.identity/tenant-id",
        Shape::Name,
        "workload identity (Azure): the tenant",
    ),
    (
        "kubernetes.io/service-account.name",
        Shape::Name,
        "token Secrets: the service account a token belongs to",
    ),
    (
        "kubernetes.io/service-account.uid",
        Shape::Name,
        "token Secrets: the service account's uid",
    ),
    (
        "meta.helm.sh/release-name",
        Shape::Name,
        "Helm ownership of an object",
    ),
    (
        "meta.helm.sh/release-namespace",
        Shape::Name,
        "Helm ownership of an object",
    ),
    (
        "deployment.kubernetes.io/revision",
        Shape::Quantity,
        "workload revisions",
    ),
    (
        "kubernetes.io/ingress.class",
        Shape::Word,
        "which controller serves an Ingress",
    ),
    (
        "cert-manager.io/cluster-issuer",
        Shape::Name,
        "which issuer signs an Ingress's certificate",
    ),
    (
        "cert-manager.io/issuer",
        Shape::Name,
        "which issuer signs an Ingress's certificate",
    ),
];

fn check_annotation(key: &str, value: &str) -> Verdict {
    if let Some((_, shape, _)) = ANNOTATION_SHAPES.iter().find(|(k, _, _)| *k == key) {
        return check(*shape, Some(key), value);
    }
    if key.starts_with("container.apparmor.security.beta.kubernetes.io/")
        || key.starts_with("seccomp.security.alpha.kubernetes.io/")
    {
        return check(Shape::Name, Some(key), value);
    }
    if value.len() >= 32 && value.bytes().all(|b| b.is_ascii_hexdigit()) && is_digest_key_name(key)
    {
        return Verdict::Keep;
    }
    free_word_or_text(value)
}

/// A single token of free text: kept when it is a safe fact, else denied. Multi-word text goes
/// through [`words`].
fn free_word_or_text(value: &str) -> Verdict {
    if value.split_whitespace().nth(1).is_some() || value.contains('\n') {
        let out = words(value);
        return if out == value {
            Verdict::Keep
        } else {
            Verdict::Rewrite(out)
        };
    }
    safe_token(value)
}

/// What free text keeps of one whitespace-free token: booleans, numbers, quantities, versions, time
/// stamps, plain words (lower-case words and dashed compounds starting with letters, letter-only
/// identifiers), host names, IPs, CIDRs, absolute paths, image references, ARNs, `$VAR` references
/// and URLs (sanitised). Anything else is denied.
pub fn safe_token(t: &str) -> Verdict {
    if t.is_empty() || is_marker(t) || t == URL_USERINFO_REPLACEMENT {
        return Verdict::Keep;
    }
    if let Some(why) = secret_shape(t) {
        // URLs with credentials are sanitised rather than dropped.
        if t.contains("://")
            && let Some(clean) = sanitize_url(t)
        {
            return Verdict::Rewrite(clean);
        }
        return Verdict::Deny(why);
    }
    if t.contains("://") {
        return match sanitize_url(t) {
            Some(clean) if clean == t => Verdict::Keep,
            Some(clean) => Verdict::Rewrite(clean),
            None => Verdict::Deny(Why::NotAllowed),
        };
    }
    if let Some((user, host)) = t.rsplit_once('@')
        && is_host(host)
    {
        if user == URL_USERINFO_REPLACEMENT {
            return Verdict::Keep;
        }
        if !user.contains(':') {
            return Verdict::Deny(Why::NotAllowed);
        }
        // `user:password@proxy:3128` without a scheme.
        return Verdict::Rewrite(format!("{URL_USERINFO_REPLACEMENT}@{host}"));
    }
    let plain = matches!(
        t,
        "true" | "false" | "null" | "~" | "yes" | "no" | "-" | "--"
    ) || is_quantity(t)
        || is_version(t)
        || is_plain_word(t)
        || is_host(t)
        || is_cidr(t)
        || (t.starts_with('/') && is_path(t))
        || (t.contains('/') && is_image(t) && !is_only_lower_hex(t))
        || (t.starts_with("arn:") && chars_in(t, ":/_+=.,@-*"))
        || is_only_var_references(t)
        || is_shell_var(t)
        || is_template_field(t)
        || (t.contains('_') && is_env_name(t))
        || is_api_version(t)
        || is_timestamp(t);
    if plain {
        Verdict::Keep
    } else {
        Verdict::Deny(Why::NotAllowed)
    }
}

fn is_only_lower_hex(t: &str) -> bool {
    t.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_shell_var(t: &str) -> bool {
    let inner = t
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| t.strip_prefix('$'));
    inner.is_some_and(|n| !n.is_empty() && chars_in(n, "_"))
}

/// A `chmod` symbolic mode (`+x`, `u+rw`, `go-w`).
fn is_chmod_mode(t: &str) -> bool {
    let Some(op) = t.find(['+', '-', '=']) else {
        return false;
    };
    let (who, rest) = t.split_at(op);
    t.len() <= 8
        && who.bytes().all(|b| b"ugoa".contains(&b))
        && rest.len() >= 2
        && rest[1..].bytes().all(|b| b"rwxXst".contains(&b))
}

/// A Go template field reference (`.Release.Name`, `.Values.image.tag`).
fn is_template_field(t: &str) -> bool {
    t.len() <= 100
        && t.starts_with('.')
        && t[1..]
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// `v1`, `v2beta1`, `apps/v1`, `networking.k8s.io/v1`.
fn is_api_version(t: &str) -> bool {
    let version = t.rsplit('/').next().unwrap_or(t);
    let Some(rest) = version.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let tail = &rest[digits..];
    digits > 0
        && (tail.is_empty()
            || ["alpha", "beta"].iter().any(|s| {
                tail.strip_prefix(s)
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            }))
        && (version.len() == t.len() || is_plain_word(&t[..t.len() - version.len() - 1]))
}

fn is_timestamp(t: &str) -> bool {
    t.len() >= 10
        && t.len() <= 40
        && t.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && t.as_bytes()[4] == b'-'
        && chars_in(t, "-:.+")
}

/// Lower-case words and compounds (`coder`, `coder-provisioner`, `kube-system`, `app.kubernetes.io`)
/// whose first part is letters only, and letter-only identifiers of up to 32 characters
/// (`RuntimeDefault`, `IfNotPresent`).
pub fn is_plain_word(t: &str) -> bool {
    if t.len() <= 32 && t.bytes().all(|b| b.is_ascii_alphabetic()) {
        // Identifiers read as words: few capitals (`RuntimeDefault`, `ClusterIP`), or short acronyms
        // (`TCP`). Random letters (base64 without digits) mix cases far more.
        let upper = t.bytes().filter(u8::is_ascii_uppercase).count();
        return upper * 4 <= t.len() || (upper == t.len() && t.len() <= 8);
    }
    if t.len() > 63 || !t.as_bytes()[0].is_ascii_lowercase() {
        return false;
    }
    let mut parts = t.split(['-', '_', '.', '/']);
    let first = parts.next().unwrap_or("");
    !first.is_empty()
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn is_version(t: &str) -> bool {
    let v = t.strip_prefix('v').unwrap_or(t);
    let (core, rest) = match v.find(['-', '+']) {
        Some(i) => (&v[..i], &v[i + 1..]),
        None => (v, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && rest.len() <= 40
        && chars_in(rest, "-.+")
}

/// Numbers and Kubernetes quantities: `3`, `-1`, `0.5`, `500m`, `1Gi`, `1e3`, `8080/TCP`.
pub fn is_quantity(t: &str) -> bool {
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    let digits = t
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (number, unit) = t.split_at(digits);
    !number.is_empty()
        && number.bytes().any(|b| b.is_ascii_digit())
        && (unit.is_empty()
            || matches!(
                unit,
                "m" | "k"
                    | "K"
                    | "M"
                    | "G"
                    | "T"
                    | "P"
                    | "E"
                    | "Ki"
                    | "Mi"
                    | "Gi"
                    | "Ti"
                    | "Pi"
                    | "Ei"
                    | "s"
                    | "ms"
                    | "h"
                    | "d"
                    | "%"
                    | "/TCP"
                    | "/UDP"
            )
            || (unit.len() <= 4
                && unit.starts_with(['e', 'E'])
                && unit[1..].bytes().all(|b| b.is_ascii_digit())))
}

/// Lower-case host names (with a letter-only top-level label), `*.` wildcards, IP addresses, an
/// optional `:port`, and `$(VAR)` references.
pub fn is_host(t: &str) -> bool {
    if t.is_empty() || t.len() > 253 {
        return false;
    }
    if t.parse::<std::net::IpAddr>().is_ok() || t.parse::<std::net::SocketAddr>().is_ok() {
        return true;
    }
    let (host, port) = match t.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
        Some((h, p)) if p.starts_with("$(") && is_only_var_references(p) => (h, Some(p)),
        _ => (t, None),
    };
    let _ = port;
    if is_only_var_references(host) || host == "localhost" {
        return true;
    }
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels.iter().enumerate().all(|(i, l)| {
            !l.is_empty()
                && l.len() <= 63
                && ((i == 0 && *l == "*")
                    || l.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
                && credential_shape(l).is_none()
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_lowercase()))
}

/// IPv4 / IPv6 addresses and CIDR blocks.
pub fn is_cidr(t: &str) -> bool {
    let (ip, bits) = t.split_once('/').unwrap_or((t, "0"));
    ip.parse::<std::net::IpAddr>().is_ok()
        && !bits.is_empty()
        && bits.len() <= 3
        && bits.bytes().all(|b| b.is_ascii_digit())
}

/// File system paths: no whitespace, no query, no part shaped like a credential; `$(VAR)` and `{{ }}`
/// allowed.
pub fn is_path(t: &str) -> bool {
    t.len() <= 4096
        && !t.contains(char::is_whitespace)
        && !t.contains(['?', '#', '"', '\'', '<', '>'])
        && chars_in(t, "/._-~*:@+=,$(){}[]%")
        && credential_shape(t).is_none()
        && t.split('/').all(|p| credential_shape(p).is_none())
}

/// Image references: `[registry[:port]/]repository[:tag][@algorithm:hex]`. Tags may be hex (git
/// SHAs); the repository must be lower case.
pub fn is_image(t: &str) -> bool {
    if t.len() > 512 || t.contains(char::is_whitespace) {
        return false;
    }
    let (name, digest) = match t.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (t, None),
    };
    if let Some(d) = digest {
        let Some((algorithm, hex)) = d.split_once(':') else {
            return false;
        };
        if !algorithm.bytes().all(|b| b.is_ascii_alphanumeric())
            || hex.len() < 32
            || !hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return false;
        }
    }
    let (repo, tag) = match name.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => (r, Some(tag)),
        _ => (name, None),
    };
    if let Some(tag) = tag
        && (tag.is_empty()
            || tag.len() > 128
            || !chars_in(tag, "_.-")
            || matches!(
                credential_shape(tag),
                Some(s) if s != CredentialShape::HexBlob
            ))
    {
        return false;
    }
    !repo.is_empty()
        && repo.split('/').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-:".contains(&b))
                && credential_shape(p).is_none()
        })
        && (digest.is_some() || tag.is_some() || repo.contains('/') || is_plain_word(repo))
}

/// A URL path segment that cannot hold a secret: lower-case words, digits and `-._~`, or letters only
/// (up to 20), or a template / variable reference; never a credential shape.
fn safe_path_segment(p: &str) -> bool {
    p.is_empty()
        || p == URL_USERINFO_REPLACEMENT
        || (credential_shape(p).is_none()
            && p.len() <= 64
            && (p
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._~*:@".contains(&b))
                || (p.len() <= 20 && p.bytes().all(|b| b.is_ascii_alphabetic()))
                || is_only_var_references(p)
                || (p.starts_with("{{") && p.ends_with("}}"))
                || (p.starts_with('{') && p.ends_with('}') && chars_in(&p[1..p.len() - 1], "_"))))
}

fn sanitize_segments(path: &str) -> String {
    path.split('/')
        .map(|p| {
            if safe_path_segment(p) {
                p
            } else {
                URL_USERINFO_REPLACEMENT
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn sanitize_query(query: &str) -> String {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let name = p.split_once('=').map_or(p, |(n, _)| n);
            let name = if name.len() <= 64 && chars_in(name, "_-.[]") {
                name
            } else {
                URL_USERINFO_REPLACEMENT
            };
            if p.contains('=') {
                format!("{name}={URL_USERINFO_REPLACEMENT}")
            } else {
                name.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// An HTTP path with an optional query: secret-like path segments and every query value become
/// `REDACTED`, the fragment goes. `None` when it is not a path.
pub fn sanitize_path_and_query(t: &str) -> Option<String> {
    if t.contains(char::is_whitespace) || !(t.starts_with('/') || t.is_empty()) {
        return None;
    }
    let t = t.split('#').next().unwrap_or("");
    let (path, query) = match t.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (t, None),
    };
    let mut out = sanitize_segments(path);
    if let Some(q) = query {
        out.push('?');
        out.push_str(&sanitize_query(q));
    }
    Some(out)
}

/// A URL kept as `scheme://host[:port]/path?name=REDACTED`: the user part becomes `REDACTED`,
/// query values `REDACTED`, the fragment goes, path segments that could hold a secret become
/// `REDACTED`. `None` when `t` is not a single URL with a host that passes [`is_host`] (or a
/// `$(VAR)` reference).
pub fn sanitize_url(t: &str) -> Option<String> {
    if t.contains(char::is_whitespace) || t.starts_with(MARKER_PREFIX) {
        return None;
    }
    let (scheme, rest) = t.split_once("://")?;
    if scheme.is_empty() || !chars_in(scheme, "+.-") {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, host) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let host_ok = host.is_empty() && scheme == "unix"
        || is_host(host)
        || is_host(&host.to_ascii_lowercase())
        || (host.starts_with('[') && host.contains(']'));
    if !host_ok {
        return None;
    }
    let mut out = format!("{scheme}://");
    if userinfo.is_some() {
        out.push_str(URL_USERINFO_REPLACEMENT);
        out.push('@');
    }
    out.push_str(host);
    let tail = tail.split('#').next().unwrap_or("");
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    out.push_str(&sanitize_segments(path));
    if let Some(q) = query {
        out.push('?');
        out.push_str(&sanitize_query(q));
    }
    Some(out)
}

/// HTTP header names whose values are credentials, whatever they look like.
pub const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "x-auth-token",
    "private-token",
    "coder-session-token",
];

/// Whether a header, flag or key name says its value is a secret.
pub fn secret_name(name: &str) -> bool {
    let n = name.trim_start_matches('-').to_ascii_lowercase();
    !n.is_empty() && (SECRET_HEADERS.contains(&n.as_str()) || is_secret_key_name(&n))
}

/// A flag name that cannot be a secret: lower-case words with digits and `-_.` (`tls-cert-file`,
/// `v2`), or a letter-only identifier (`allowPrivilegeEscalation`).
fn is_flag_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && (is_plain_word(name)
            || (name.as_bytes()[0].is_ascii_lowercase()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))))
        && credential_shape(name).is_none()
}

/// A variable or key name of an assignment: `UPPER_SNAKE` (`PGPASSWORD`, `DB_HOST`) or a flag name.
fn is_var_name(name: &str) -> bool {
    is_env_name(name) || is_flag_name(name)
}

/// An environment variable name: `[A-Z_][A-Z0-9_]*`, never a credential shape.
pub fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.as_bytes()[0].is_ascii_digit()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && credential_shape(name).is_none()
}

/// A bare word whose next word is a secret (`password X`, nginx `proxy_set_header Authorization
/// "Bearer X"`): header names that carry credentials and words naming passwords and tokens. Words
/// that merely name a kind of object (`Secret`) are not.
fn secret_word(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    w.len() <= 40
        && (SECRET_HEADERS.contains(&w.as_str())
            || [
                "password", "passwd", "token", "apikey", "api-key", "api_key",
            ]
            .iter()
            .any(|p| w.contains(p))
            || w == "psk")
        && !w.ends_with("file")
        && !w.ends_with("path")
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_host_and_path_not_secrets() {
        assert_eq!(
            sanitize_url("https://coder.example.com/metrics?token=abc&x=1#frag").as_deref(),
            Some("https://coder.example.com/metrics?token=REDACTED&x=REDACTED")
        );
        assert_eq!(
            sanitize_url("https://u:p@hooks.example.com/a/B0123ABCDEF/XXXXXXXXXXXXXXXXXXXXXXXX")
                .as_deref(),
            Some("https://REDACTED@hooks.example.com/a/REDACTED/REDACTED")
        );
        assert_eq!(
            sanitize_url("http://$(KUBE_POD_IP):8080").as_deref(),
            Some("http://$(KUBE_POD_IP):8080")
        );
        assert_eq!(
            sanitize_url(
                "https://login.microsoftonline.com/3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f/v2.0"
            )
            .as_deref(),
            Some("https://login.microsoftonline.com/3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f/v2.0")
        );
        assert_eq!(sanitize_url("not a url"), None);
        assert_eq!(
            sanitize_path_and_query("/metrics?token=abc").as_deref(),
            Some("/metrics?token=REDACTED")
        );
    }

    #[test]
    fn images_keep_sha_tags() {
        for i in [
            "ghcr.io/coder/coder:v2.15.0",
            "ghcr.io/coder/envbox:0123456789abcdef0123456789abcdef01234567",
            "busybox",
            "registry.example.com:5000/team/app@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ] {
            assert!(is_image(i), "{i}");
        }
        for i in ["ghcr.io/x:ghp_0123456789abcdefABCDEF0123456789abcd", "A B"] {
            assert!(!is_image(i), "{i}");
        }
    }

    #[test]
    fn safe_tokens() {
        for t in [
            "server",
            "coder-provisioner",
            "RuntimeDefault",
            "8080",
            "500m",
            "v2.15.0",
            "true",
            "coder.example.com",
            "10.0.0.0/8",
            "/etc/ssl/certs",
            "$(KUBE_POD_IP)",
            "$HOME",
        ] {
            assert_eq!(safe_token(t), Verdict::Keep, "{t}");
        }
        for t in [
            "hunter2",
            "Cnry7fQ2x9Lk",
            "a%20b",
            "dXNlcjpwYXNz",
            "user:pw",
        ] {
            assert!(matches!(safe_token(t), Verdict::Deny(_)), "{t}");
        }
        assert_eq!(
            safe_token("user:pw@proxy.example.com:3128"),
            Verdict::Rewrite("REDACTED@proxy.example.com:3128".into())
        );
    }

    #[test]
    fn words_lose_their_secrets() {
        let cases = [
            ("coder server --verbose", "coder server --verbose"),
            ("--token X1y2Z3", "--token <secret:secret-named>"),
            (
                "kubeadm join --token abcdef.0123456789abcdef",
                "kubeadm join --token <secret:secret-named>",
            ),
            (
                "mysql -pS3cr3t -u root",
                "mysql -p<secret:not-allowed> -u root",
            ),
            ("redis-cli -a Pw0rd9", "redis-cli -a <secret:not-allowed>"),
            (
                "curl -u user:Pw0rd9 -H 'Authorization: Bearer abc' https://x.example.com/a?token=1",
                "curl -u <secret:not-allowed> -H 'Authorization: Bearer <secret:secret-named>' https://x.example.com/a?token=REDACTED",
            ),
            (
                "curl -H 'PRIVATE-TOKEN: zzz' -H \"X-Api-Key: k\"",
                "curl -H 'PRIVATE-TOKEN: <secret:secret-named>' -H \"X-Api-Key: <secret:secret-named>\"",
            ),
            (
                "export PGPASSWORD=abc; DB_PASSWORD=x run",
                "export PGPASSWORD=<secret:secret-named>; DB_PASSWORD=<secret:secret-named> run",
            ),
            (
                "--from-literal=password=abc",
                "--from-literal=password=<secret:secret-named>",
            ),
            ("--psk Q9", "--psk <secret:secret-named>"),
        ];
        for (input, want) in cases {
            assert_eq!(words(input), want, "{input}");
        }
    }
}
