//! Shape detection: does a string look like a credential, does a key name a secret, does a URL carry
//! credentials. Pure functions, no state; the rules that call them live beside.

/// What made a string look like a credential (for tests and for the hex exemption of hash-named keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialShape {
    /// A PEM block (`-----BEGIN ...`): private keys, and certificates too, by caution.
    Pem,
    /// A JSON Web Token: `eyJ...` with two dots.
    Jwt,
    /// A token with a vendor prefix (`ghp_`, `glpat-`, `xoxb-`, `AKIA...`, `sk-...`).
    KnownPrefix,
    /// An `Authorization` scheme followed by a token (`Bearer ...`, `Basic ...`).
    AuthScheme,
    /// A URL with a user part (`scheme://user:pass@host`).
    UrlUserinfo,
    /// A `password=`, `token=`, `sig=` ... parameter with a value (DSNs, signed URLs).
    SecretParameter,
    /// A Coder API key: 10 alphanumerics, `-`, 22 alphanumerics.
    CoderApiKey,
    /// 32 or more hex digits.
    HexBlob,
    /// 24 or more base64 characters mixing upper case, lower case and digits, with high entropy.
    HighEntropy,
}

/// Whether `s` looks like a credential. See [`credential_shape`].
pub fn looks_like_credential(s: &str) -> bool {
    credential_shape(s).is_some()
}

/// Why `s` looks like a credential, or `None`. UUIDs, digests (`sha256:...`), Kubernetes names, paths,
/// plain URLs, numbers and words do not.
pub fn credential_shape(s: &str) -> Option<CredentialShape> {
    let t = s.trim();
    if t.len() < 8 {
        return None;
    }
    if t.contains("-----BEGIN ") {
        return Some(CredentialShape::Pem);
    }
    if has_url_userinfo(t) {
        return Some(CredentialShape::UrlUserinfo);
    }
    let lower = t.to_ascii_lowercase();
    if has_auth_scheme(t, &lower) {
        return Some(CredentialShape::AuthScheme);
    }
    if has_secret_parameter(&lower) {
        return Some(CredentialShape::SecretParameter);
    }
    let mut pos = 0;
    while pos < t.len() {
        let start = t[pos..].find(is_token_char).map_or(t.len(), |i| pos + i);
        let end = t[start..]
            .find(|c: char| !is_token_char(c))
            .map_or(t.len(), |i| start + i);
        let token = &t[start..end];
        // Only the few bytes before the token matter: `sha256:` and friends.
        let before = &t.as_bytes()[start.saturating_sub(7)..start];
        let digest = ["sha1:", "sha256:", "sha384:", "sha512:", "md5:"]
            .iter()
            .any(|p| {
                before.len() >= p.len()
                    && before[before.len() - p.len()..].eq_ignore_ascii_case(p.as_bytes())
            });
        match token_shape(token) {
            Some(CredentialShape::HexBlob) if digest => {}
            Some(shape) => return Some(shape),
            None => {}
        }
        pos = end.max(start + 1);
    }
    None
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.+/=".contains(c)
}

/// The shape of one whitespace- and punctuation-free token.
fn token_shape(token: &str) -> Option<CredentialShape> {
    if token.len() < 16 {
        return None;
    }
    // A JWT, also after `name=` (`opts=eyJ...`).
    if is_jwt(token) || token.split('=').any(is_jwt) {
        return Some(CredentialShape::Jwt);
    }
    // Vault tokens: `hvs.`, `hvb.`, `hvr.` and a long body (the dot would split them below).
    if ["hvs.", "hvb.", "hvr."]
        .iter()
        .any(|p| token.strip_prefix(p).is_some_and(|rest| rest.len() >= 20))
    {
        return Some(CredentialShape::KnownPrefix);
    }
    // JWTs aside, dots and slashes make a token a name, a path or a version, not a secret; split on
    // them and look at the parts.
    for part in token.split(['.', '/', '=']) {
        if has_known_prefix(part) {
            return Some(CredentialShape::KnownPrefix);
        }
        if is_coder_api_key(part) {
            return Some(CredentialShape::CoderApiKey);
        }
    }
    let trimmed = token.trim_end_matches('=');
    if trimmed.len() >= 32 && trimmed.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(CredentialShape::HexBlob);
    }
    if is_high_entropy(token) {
        return Some(CredentialShape::HighEntropy);
    }
    None
}

fn is_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[0].len() >= 10
        && !parts[1].is_empty()
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Vendor token prefixes and the least number of characters that must follow them.
const TOKEN_PREFIXES: &[(&str, usize)] = &[
    ("ghp_", 20),
    ("gho_", 20),
    ("ghu_", 20),
    ("ghs_", 20),
    ("ghr_", 20),
    ("github_pat_", 20),
    ("glpat-", 16),
    ("glrt-", 16),
    ("gldt-", 16),
    ("xoxb-", 10),
    ("xoxa-", 10),
    ("xoxp-", 10),
    ("xoxr-", 10),
    ("xoxs-", 10),
    ("xapp-", 10),
    ("sk_live_", 16),
    ("rk_live_", 16),
    ("sk-ant-", 16),
    ("npm_", 30),
    ("pypi-", 30),
    ("hf_", 30),
    ("dckr_pat_", 20),
    ("AIza", 30),
    ("shpat_", 20),
];

fn has_known_prefix(part: &str) -> bool {
    for (prefix, min) in TOKEN_PREFIXES {
        if part
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.len() >= *min)
        {
            return true;
        }
    }
    // AWS access key ids: AKIA/ASIA + 16 upper-case letters or digits.
    if part.len() == 20
        && (part.starts_with("AKIA") || part.starts_with("ASIA"))
        && part
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return true;
    }
    // OpenAI-style `sk-...`: long and mixed, so that names like `sk-learn-notebook` do not match.
    part.strip_prefix("sk-")
        .is_some_and(|rest| rest.len() >= 20 && mixed_classes(rest))
}

fn is_coder_api_key(part: &str) -> bool {
    let b = part.as_bytes();
    b.len() == 33
        && b[10] == b'-'
        && b[..10].iter().all(u8::is_ascii_alphanumeric)
        && b[11..].iter().all(u8::is_ascii_alphanumeric)
        && mixed_classes(&part[11..])
}

fn mixed_classes(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_uppercase())
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && s.bytes().any(|b| b.is_ascii_digit())
}

fn is_high_entropy(token: &str) -> bool {
    token.len() >= 24
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b))
        && mixed_classes(token)
        && !is_uuid_like(token)
        && !is_word_like(token)
        && shannon_entropy(token) >= 3.7
}

/// Whether a token reads as words joined by `-` or `_` (`Release-2024-Q3-hotfix`,
/// `MY_APP_SETTING_V2`): at least three parts, two thirds of them plain words or numbers. Random
/// tokens mix cases and digits inside their parts.
fn is_word_like(token: &str) -> bool {
    let parts: Vec<&str> = token.split(['-', '_']).filter(|p| !p.is_empty()).collect();
    if parts.len() < 3 {
        return false;
    }
    let plain = parts
        .iter()
        .filter(|p| {
            let b = p.as_bytes();
            b.iter().all(u8::is_ascii_digit)
                || b.iter().all(u8::is_ascii_lowercase)
                || b.iter().all(u8::is_ascii_uppercase)
                || (b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_lowercase))
        })
        .count();
    plain * 3 >= parts.len() * 2
}

fn is_uuid_like(token: &str) -> bool {
    token
        .split('-')
        .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
        && token.contains('-')
}

/// Bits of entropy per character of `s`.
fn shannon_entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum()
}

/// `lower` is `t` in ASCII lower case (same byte offsets).
fn has_auth_scheme(t: &str, lower: &str) -> bool {
    ["bearer ", "basic ", "token "].iter().any(|scheme| {
        lower.match_indices(scheme).any(|(i, _)| {
            let at_start = i == 0 || !lower.as_bytes()[i - 1].is_ascii_alphanumeric();
            let rest = &t[i + scheme.len()..];
            let token: &str = rest.split(char::is_whitespace).next().unwrap_or("");
            at_start
                && token.len() >= 12
                && token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
                && token.bytes().any(|b| b.is_ascii_digit())
        })
    })
}

/// Parameters (name and `=`) whose value is a secret in DSNs, query strings and `key=value` lists.
const SECRET_PARAMETERS: &[&str] = &[
    "password=",
    "passwd=",
    "pwd=",
    "pass=",
    "token=",
    "access_token=",
    "refresh_token=",
    "id_token=",
    "secret=",
    "client_secret=",
    "api_key=",
    "apikey=",
    "sig=",
    "signature=",
    "x-amz-signature=",
    "x-amz-credential=",
    "x-amz-security-token=",
    "sslpassword=",
];

fn has_secret_parameter(lower: &str) -> bool {
    SECRET_PARAMETERS.iter().any(|p| {
        lower.match_indices(*p).any(|(i, m)| {
            let boundary = i == 0 || b"?&; ,\"'".contains(&lower.as_bytes()[i - 1]);
            let value = &lower[i + m.len()..];
            let first = value.bytes().next();
            boundary && first.is_some_and(|c| !b"&; ,\"'$<".contains(&c))
        })
    })
}

/// Whether `s` holds a URL with a user part (`scheme://user[:pass]@host`).
pub fn has_url_userinfo(s: &str) -> bool {
    url_userinfo_spans(s).next().is_some()
}

/// Byte ranges of the user parts (without the `@`) of every URL in `s`.
fn url_userinfo_spans(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    s.match_indices("://").filter_map(move |(i, m)| {
        let scheme_ok = i > 0
            && s[..i]
                .bytes()
                .next_back()
                .is_some_and(|b| b.is_ascii_alphanumeric());
        let start = i + m.len();
        let rest = &s[start..];
        let end = rest
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\''
            })
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        let at = authority.rfind('@')?;
        let already = &authority[..at] == URL_USERINFO_REPLACEMENT;
        (scheme_ok && at > 0 && !already).then_some((start, start + at))
    })
}

/// What replaces the user part of a URL: the URL stays parseable and shows that it held credentials.
pub const URL_USERINFO_REPLACEMENT: &str = "REDACTED";

/// `s` with the user part of every URL replaced by [`URL_USERINFO_REPLACEMENT`], or `None` when no URL
/// in `s` has one.
pub fn strip_url_credentials(s: &str) -> Option<String> {
    let spans: Vec<(usize, usize)> = url_userinfo_spans(s).collect();
    if spans.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (start, end) in spans {
        out.push_str(&s[last..start]);
        out.push_str(URL_USERINFO_REPLACEMENT);
        last = end;
    }
    out.push_str(&s[last..]);
    Some(out)
}

/// Splits a key into lower-case words: `clientSecret`, `client_secret`, `CLIENT-SECRET` and
/// `client.secret` all give `["client", "secret"]`.
pub fn key_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Last words that make a key name a secret.
const SECRET_LAST_WORDS: &[&str] = &[
    "password",
    "pass",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "psk",
    "credential",
    "credentials",
    "creds",
    "dsn",
    "apikey",
    "auth",
    "authorization",
    "privatekey",
    "base64",
];

/// Words that, before `key` or `keys`, make the key name a secret (`private_key`, `api_keys`).
const SECRET_KEY_QUALIFIERS: &[&str] = &[
    "private",
    "api",
    "access",
    "secret",
    "signing",
    "encryption",
    "master",
    "client",
    "license",
    "session",
];

/// Whether a key or variable name says its value is a secret: `password`, `client_secret`,
/// `CODER_PG_CONNECTION_URL`, `apiKey`, `auth`, `SPLUNK_TOKEN`, `*_PSK`, `*_BASE64`. Names of secrets
/// (`secretName`, `existingSecret`, `pskSecretName`), URLs of token endpoints (`token_url`) and
/// lifetimes (`max_token_lifetime`) are not.
pub fn is_secret_key_name(key: &str) -> bool {
    let words = key_words(key);
    let Some(last) = words.last() else {
        return false;
    };
    if words[0] == "existing" {
        return false;
    }
    if words
        .iter()
        .any(|w| w.contains("password") || w.contains("passwd"))
    {
        // `CODER_DISABLE_PASSWORD_AUTH`, `password_file`: switches and paths about passwords.
        return !matches!(
            last.as_str(),
            "auth"
                | "enable"
                | "enabled"
                | "disable"
                | "disabled"
                | "field"
                | "file"
                | "path"
                | "key"
        );
    }
    if last == "auth" {
        // Docker's `auth`; not `external_auth`, `oauth`-style sections or `CODER_AGENT_AUTH`.
        return words.len() == 1;
    }
    if SECRET_LAST_WORDS.contains(&last.as_str())
        || last.ends_with("token")
        || last.ends_with("secret")
    {
        return true;
    }
    if (last == "key" || last == "keys") && words.len() >= 2 {
        let before = &words[words.len() - 2];
        if SECRET_KEY_QUALIFIERS.contains(&before.as_str()) {
            return true;
        }
    }
    if words.len() >= 2 {
        let tail = format!("{}_{}", words[words.len() - 2], last);
        if tail == "secret_id" {
            return true;
        }
        if matches!(
            tail.as_str(),
            "connection_url"
                | "connection_string"
                | "auth_header"
                | "database_url"
                | "docker_config"
        ) {
            return true;
        }
    }
    false
}

/// Whether a key names a hash or checksum (`checksum/config`, `pod-template-hash`): long hex values
/// under such keys are digests, not secrets.
pub fn is_digest_key_name(key: &str) -> bool {
    key_words(key).iter().any(|w| {
        matches!(
            w.as_str(),
            "checksum"
                | "hash"
                | "digest"
                | "sha"
                | "sha1"
                | "sha256"
                | "sha512"
                | "commit"
                | "fingerprint"
                | "revision"
                | "id"
                | "uid"
        )
    })
}

/// Whether `value` consists only of `$(VAR)` references (Kubernetes expands them from other variables).
pub fn is_only_var_references(value: &str) -> bool {
    let mut rest = value.trim();
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let Some(after) = rest.strip_prefix("$(") else {
            return false;
        };
        let Some(end) = after.find(')') else {
            return false;
        };
        let name = &after[..end];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return false;
        }
        rest = after[end + 1..].trim_start();
    }
    true
}

/// Matches `name` against a pattern where `*` stands for one or more characters and `<N>` for one or
/// more digits.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        if p.is_empty() {
            return n.is_empty();
        }
        if p[0] == b'*' {
            return (1..=n.len()).any(|i| go(&p[1..], &n[i..]));
        }
        if p.starts_with(b"<N>") {
            let digits = n.iter().take_while(|b| b.is_ascii_digit()).count();
            return (1..=digits).any(|i| go(&p[3..], &n[i..]));
        }
        !n.is_empty() && p[0] == n[0] && go(&p[1..], &n[1..])
    }
    go(pattern.as_bytes(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_recognised() {
        let cases = [
            (
                "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
                CredentialShape::Pem,
            ),
            (
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                CredentialShape::Jwt,
            ),
            (
                "ghp_0123456789abcdefABCDEF0123456789abcd",
                CredentialShape::KnownPrefix,
            ),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijkl",
                CredentialShape::KnownPrefix,
            ),
            ("glpat-abcdefghij0123456789", CredentialShape::KnownPrefix),
            ("xoxb-1234567890-abcdefghij", CredentialShape::KnownPrefix),
            ("AKIAIOSFODNN7EXAMPLE", CredentialShape::KnownPrefix),
            ("ASIAABCDEFGHIJKLMNOP", CredentialShape::KnownPrefix),
            (
                "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t",
                CredentialShape::KnownPrefix,
            ),
            ("Bearer abcdef0123456789xyz", CredentialShape::AuthScheme),
            (
                "Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==",
                CredentialShape::AuthScheme,
            ),
            (
                "postgres://coder:hunter2@db:5432/coder",
                CredentialShape::UrlUserinfo,
            ),
            (
                "host=db user=coder password=hunter2 sslmode=disable",
                CredentialShape::SecretParameter,
            ),
            (
                "https://s3.amazonaws.com/b/o?X-Amz-Signature=abcd&x=1",
                CredentialShape::SecretParameter,
            ),
            (
                "DWGJkKnOnj-Q7E0KrgXbWWyJQhBjKkB0Z",
                CredentialShape::CoderApiKey,
            ),
            (
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                CredentialShape::HexBlob,
            ),
            (
                "q8Vz3Lr0Xc5Ty7Bn2Mk4Hg6Jd1Fs9Pa0",
                CredentialShape::HighEntropy,
            ),
            ("aB3dE_fGh1-jK2LmN0pQ4rS5tU6", CredentialShape::HighEntropy),
            (
                "export GITHUB_TOKEN=ghp_0123456789abcdefABCDEF0123456789abcd",
                CredentialShape::KnownPrefix,
            ),
        ];
        for (s, shape) in cases {
            assert_eq!(credential_shape(s), Some(shape), "{s}");
        }
    }

    #[test]
    fn ordinary_values_are_not_credentials() {
        let cases = [
            "coder",
            "true",
            "3",
            "0.0.0.0:8080",
            "https://coder.example.com",
            "http://$(KUBE_POD_IP):8080",
            "/etc/ssl/certs/coder/coder-tls/tls.crt",
            "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "ghcr.io/coder/coder:v2.15.0@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "5d8f7c9b4",
            "coder-provisioner-7d9f8b6c5d-x2x9z",
            "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f",
            "arn:aws:iam::123456789012:role/coder-workspaces",
            "app.kubernetes.io/name",
            "coder-2.15.0",
            "ReplicaSetControllerManager",
            "Release-2024-Q3-Hotfix-Branch",
            "CANARY-pod-init-env-3d4e",
            "MY_APP_SETTING_V2_ENABLED_1",
            "Bearer",
            "the token is rotated every day by the operator",
            "alice@example.com",
            "sk-learn-notebook-workspace",
            "max_token=3",
            "password=$(DB_PASSWORD)",
            "TOKEN=<redacted fp=0123456789abcdef len=1>",
            "password=<your password here>",
            "coder.example.com,*.coder.example.com",
            "10.0.0.0/8,192.168.0.0/16",
            "2024-01-01T00:00:00.000000000Z",
            "unix:///run/containerd/containerd.sock",
            "{\"ebs.csi.aws.com\":\"i-0a1b2c3d4e5f67890\"}",
            "runtime/default",
            "system:node:{{EC2PrivateDNSName}}",
            "default-pool",
            "ip-10-0-1-23.eu-west-1.compute.internal",
            "registry.k8s.io/kube-proxy:v1.30.2-eksbuild.1",
            "{\"foo\":\"bar\"}",
        ];
        for s in cases {
            assert_eq!(credential_shape(s), None, "{s}");
        }
    }

    #[test]
    fn url_credentials_are_stripped() {
        assert_eq!(
            strip_url_credentials("https://admin:s3cret@coder.example.com/path").as_deref(),
            Some("https://REDACTED@coder.example.com/path")
        );
        assert_eq!(
            strip_url_credentials("a http://u:p@x,https://v:q@y/z").as_deref(),
            Some("a http://REDACTED@x,https://REDACTED@y/z")
        );
        assert_eq!(strip_url_credentials("https://coder.example.com/a@b"), None);
        assert_eq!(strip_url_credentials("git@github.com:coder/coder"), None);
    }

    #[test]
    fn secret_key_names() {
        for k in [
            "password",
            "PGPASSWORD",
            "client_secret",
            "clientSecret",
            "CODER_OIDC_CLIENT_SECRET",
            "CODER_PG_CONNECTION_URL",
            "CODER_PROVISIONER_DAEMON_PSK",
            "CODER_SCIM_AUTH_HEADER",
            "CODER_AGENT_TOKEN",
            "ENVBUILDER_DOCKER_CONFIG_BASE64",
            "SPLUNK_TOKEN",
            "CODER_EXTERNAL_TOKEN_ENCRYPTION_KEYS",
            "CODER_EXTERNAL_AUTH_0_CLIENT_SECRET",
            "auth",
            "apiKey",
            "private_key",
            "dsn",
            "identitytoken",
            "credentials",
        ] {
            assert!(is_secret_key_name(k), "{k}");
        }
        for k in [
            "secretName",
            "secretNames",
            "existingSecret",
            "pskSecretName",
            "token_url",
            "CODER_EXTERNAL_AUTH_0_TOKEN_URL",
            "CODER_MAX_TOKEN_LIFETIME",
            "CODER_DISABLE_PASSWORD_AUTH",
            "key",
            "public_key",
            "token_name",
            "CODER_TLS_KEY_FILE",
            "name",
            "login_type",
            "auth_url",
        ] {
            assert!(!is_secret_key_name(k), "{k}");
        }
        assert!(is_secret_key_name("identity_token"));
    }

    #[test]
    fn globs_and_references() {
        assert!(glob_match(
            "CODER_EXTERNAL_AUTH_<N>_ID",
            "CODER_EXTERNAL_AUTH_12_ID"
        ));
        assert!(!glob_match(
            "CODER_EXTERNAL_AUTH_<N>_ID",
            "CODER_EXTERNAL_AUTH_X_ID"
        ));
        assert!(glob_match(
            "CODER_DERP_*_URL",
            "CODER_DERP_SERVER_RELAY_URL"
        ));
        assert!(!glob_match("CODER_DERP_*_URL", "CODER_DERP__URL"));
        assert!(glob_match("PATH", "PATH"));
        assert!(is_only_var_references("$(KUBE_POD_IP)"));
        assert!(is_only_var_references("$(A) $(B)"));
        assert!(!is_only_var_references("http://$(KUBE_POD_IP):8080"));
        assert!(is_digest_key_name("checksum/config"));
        assert!(is_digest_key_name("pod-template-hash"));
        assert!(is_digest_key_name("cni.projectcalico.org/containerID"));
        assert!(is_digest_key_name("kubernetes.io/config.hash"));
        assert!(!is_digest_key_name("example.com/token"));
    }
}
