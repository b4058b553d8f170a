//! Environment variables: which names keep their literal values, and the pod template places.
//!
//! A literal `value` survives only when the variable's name is on [`ENV_ALLOW_LIST`], not on
//! [`ENV_DENY_LIST`], and the value passes the name's shape ([`env_verdict`]); URL credentials and
//! query values are removed even then. `valueFrom` references and values made only of `$(VAR)`
//! references are kept.

use super::detect::{
    CredentialShape, credential_shape, glob_match, is_only_var_references, is_secret_key_name,
    looks_like_credential,
};
use super::shape::{Verdict, is_image, safe_token, sanitize_url, secret_shape};
use super::{Why, is_marker};

/// Names of environment variables whose literal values are kept (unless they look like credentials).
/// `*` stands for one or more characters, `<N>` for an index (one or more digits). Every entry is
/// explained in `docs/redaction.md`.
pub const ENV_ALLOW_LIST: &[&str] = &[
    // coderd: addresses and URLs
    "CODER_ACCESS_URL",
    "CODER_PRIMARY_ACCESS_URL",
    "CODER_WILDCARD_ACCESS_URL",
    "CODER_HTTP_ADDRESS",
    "CODER_REDIRECT_TO_ACCESS_URL",
    "CODER_PROMETHEUS_ADDRESS",
    "CODER_PPROF_ADDRESS",
    "CODER_URL",
    "CODER_AGENT_URL",
    "CODER_AGENT_AUTH",
    "KUBE_POD_IP",
    // coderd: TLS
    "CODER_TLS_ENABLE",
    "CODER_TLS_ADDRESS",
    "CODER_TLS_CERT_FILE",
    "CODER_TLS_KEY_FILE",
    "CODER_TLS_CLIENT_CA_FILE",
    "CODER_TLS_CLIENT_AUTH",
    "CODER_TLS_MIN_VERSION",
    "CODER_TLS_ALLOW_INSECURE_CIPHERS",
    "CODER_TLS_REDIRECT_HTTP",
    "CODER_STRICT_TRANSPORT_SECURITY",
    "CODER_SECURE_AUTH_COOKIE",
    "CODER_SAMESITE_AUTH_COOKIE",
    // coderd: OIDC and GitHub login (client ids are public)
    "CODER_OIDC_ISSUER_URL",
    "CODER_OIDC_CLIENT_ID",
    "CODER_OIDC_ALLOW_SIGNUPS",
    "CODER_OIDC_EMAIL_DOMAIN",
    "CODER_OIDC_ALLOWED_GROUPS",
    "CODER_OIDC_IGNORE_EMAIL_VERIFIED",
    "CODER_OIDC_USERNAME_FIELD",
    "CODER_OIDC_EMAIL_FIELD",
    "CODER_OIDC_SCOPES",
    "CODER_OIDC_GROUP_FIELD",
    "CODER_OIDC_GROUP_MAPPING",
    "CODER_OIDC_USER_ROLE_FIELD",
    "CODER_OIDC_USER_ROLE_MAPPING",
    "CODER_OIDC_USER_ROLE_DEFAULT",
    "CODER_OAUTH2_GITHUB_CLIENT_ID",
    "CODER_OAUTH2_GITHUB_ALLOW_SIGNUPS",
    "CODER_OAUTH2_GITHUB_ALLOW_EVERYONE",
    "CODER_OAUTH2_GITHUB_ALLOWED_ORGS",
    "CODER_OAUTH2_GITHUB_ALLOWED_TEAMS",
    "CODER_OAUTH2_GITHUB_DEFAULT_PROVIDER_ENABLE",
    "CODER_OAUTH2_GITHUB_ENTERPRISE_BASE_URL",
    // coderd: access control and sessions
    "CODER_DISABLE_OWNER_WORKSPACE_ACCESS",
    "CODER_DISABLE_PASSWORD_AUTH",
    "CODER_DISABLE_PATH_APPS",
    "CODER_MAX_TOKEN_LIFETIME",
    "CODER_SESSION_DURATION",
    "CODER_DANGEROUS_*",
    "CODER_PROXY_TRUSTED_ORIGINS",
    "CODER_PROXY_TRUSTED_HEADERS",
    "CODER_BLOCK_DIRECT",
    "CODER_BROWSER_ONLY",
    "CODER_ADDITIONAL_CSP_POLICY",
    "CODER_PG_AUTH",
    // coderd: external auth (secrets excluded by the deny list)
    "CODER_EXTERNAL_AUTH_<N>_ID",
    "CODER_EXTERNAL_AUTH_<N>_TYPE",
    "CODER_EXTERNAL_AUTH_<N>_CLIENT_ID",
    "CODER_EXTERNAL_AUTH_<N>_AUTH_URL",
    "CODER_EXTERNAL_AUTH_<N>_TOKEN_URL",
    "CODER_EXTERNAL_AUTH_<N>_VALIDATE_URL",
    "CODER_EXTERNAL_AUTH_<N>_REGEX",
    "CODER_EXTERNAL_AUTH_<N>_SCOPES",
    "CODER_EXTERNAL_AUTH_<N>_DISPLAY_NAME",
    "CODER_EXTERNAL_AUTH_<N>_NO_REFRESH",
    "CODER_GITAUTH_<N>_ID",
    "CODER_GITAUTH_<N>_TYPE",
    "CODER_GITAUTH_<N>_CLIENT_ID",
    "CODER_GITAUTH_<N>_AUTH_URL",
    "CODER_GITAUTH_<N>_TOKEN_URL",
    "CODER_GITAUTH_<N>_VALIDATE_URL",
    "CODER_GITAUTH_<N>_REGEX",
    "CODER_GITAUTH_<N>_SCOPES",
    // coderd: provisioners, DERP, telemetry, diagnostics
    "CODER_PROVISIONER_DAEMONS",
    "CODER_ENABLE_TERRAFORM_DEBUG_MODE",
    "CODER_DERP_*_URL",
    "CODER_DERP_SERVER_ENABLE",
    "CODER_PROMETHEUS_ENABLE",
    "CODER_PPROF_ENABLE",
    "CODER_TELEMETRY_ENABLE",
    "CODER_EXPERIMENTS",
    "CODER_UPDATE_CHECK",
    "CODER_VERBOSE",
    "CODER_EMAIL_TLS_SKIPVERIFY",
    "CODER_NOTIFICATIONS_EMAIL_TLS_SKIPVERIFY",
    "CODER_CACHE_DIRECTORY",
    // workspaces (envbox, envbuilder)
    "CODER_INNER_IMAGE",
    "CODER_INNER_USERNAME",
    "CODER_ADD_TUN",
    "CODER_ADD_FUSE",
    "CODER_MOUNTS",
    "ENVBUILDER_GIT_URL",
    "ENVBUILDER_FALLBACK_IMAGE",
    "ENVBUILDER_CACHE_REPO",
    // what cloud workload-identity webhooks inject (EKS pod identity, Azure workload identity): token
    // file paths, role and client ids, regions; never a credential
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_STS_REGIONAL_ENDPOINTS",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_AUTHORITY_HOST",
    // generic, harmless settings
    "PATH",
    "HOME",
    "USER",
    "SHELL",
    "TERM",
    "TZ",
    "LANG",
    "LC_ALL",
    "HOSTNAME",
    "PORT",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "GOMAXPROCS",
    "GOMEMLIMIT",
    "GODEBUG",
    "NODE_ENV",
    "POD_NAME",
    "POD_NAMESPACE",
    "POD_IP",
    "NODE_NAME",
    "POSTGRES_USER",
    "POSTGRES_DB",
    // Coder v1 (coder/coder-enterprise): database coordinates, never the password
    "DB_HOST",
    "DB_PORT",
    "DB_USER",
    "DB_NAME",
    "DB_SSL_MODE",
    // Coder v1: the dev URL host and the certificate files coderd serves TLS with (paths, not keys)
    "DEVURL_HOST",
    "SSL_SERVER_CERT_FILE",
    "SSL_SERVER_KEY_FILE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];

/// Names that are never kept, whatever [`ENV_ALLOW_LIST`] says: a guard for its wildcards.
pub const ENV_DENY_LIST: &[&str] = &[
    "*PASSWORD*",
    "*PASSWORD",
    "*PASSWD*",
    "*_SECRET",
    "*_SECRET_*",
    "*_TOKEN",
    "*_PSK",
    "*_KEY",
    "*_KEYS",
    "*_CONNECTION_URL",
    "*_AUTH_HEADER",
    "*_BASE64",
    "*_DSN",
    "*_CREDENTIALS",
];

/// Whether a literal value of the variable `name` may be kept (subject to the value checks). An
/// allow-list entry that names one variable exactly (no pattern) wins over the deny list: it is a
/// setting known to be harmless whose name merely contains a word like `PASSWORD`
/// (`CODER_DISABLE_PASSWORD_AUTH`, a switch).
pub fn env_name_allowed(name: &str) -> bool {
    let exact = ENV_ALLOW_LIST
        .iter()
        .any(|p| *p == name && !p.contains('*') && !p.contains("<N>"));
    exact
        || (!ENV_DENY_LIST.iter().any(|p| glob_match(p, name))
            && ENV_ALLOW_LIST.iter().any(|p| glob_match(p, name)))
}

/// Whether a variable's literal values are kept as client ids (public identifiers that may be long
/// hex or random-looking): `*_CLIENT_ID` and `AZURE_CLIENT_ID`/`AZURE_TENANT_ID`.
fn is_public_id_name(name: &str) -> bool {
    name.ends_with("_CLIENT_ID") || name.ends_with("_TENANT_ID")
}

/// Decides one literal environment value of variable `name` (`flagged`: a Coder option marked
/// secret). Values made only of `$(VAR)` references are kept. A name off the allow-list loses its
/// value: `secret-named` when the name is on the deny list or names a secret, `secret-shaped` when
/// the value looks like a credential, else `not-allowed`. An allow-listed name keeps a value that
/// passes its shape: `*_IMAGE` an image reference (hex tags allowed), `*_CLIENT_ID` any identifier,
/// URLs without their user part and query values, anything else when it does not look like a
/// credential.
pub fn env_verdict(name: &str, value: &str, flagged: bool) -> Verdict {
    if value.is_empty() || is_marker(value) || is_only_var_references(value) {
        return Verdict::Keep;
    }
    if flagged {
        return Verdict::Deny(Why::SecretNamed);
    }
    if !env_name_allowed(name) {
        let named = ENV_DENY_LIST.iter().any(|p| glob_match(p, name)) || is_secret_key_name(name);
        return Verdict::Deny(if named {
            Why::SecretNamed
        } else if looks_like_credential(value) {
            Why::SecretShaped
        } else {
            Why::NotAllowed
        });
    }
    if name.ends_with("_IMAGE") {
        return if is_image(value) {
            Verdict::Keep
        } else {
            Verdict::Deny(secret_shape(value).unwrap_or(Why::NotAllowed))
        };
    }
    if is_public_id_name(name) {
        // Client ids are public, and often long hex or random-looking: only the shapes that are
        // certainly secrets go.
        return match credential_shape(value) {
            None | Some(CredentialShape::HexBlob | CredentialShape::HighEntropy)
                if value.len() <= 253
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._:/@".contains(&b)) =>
            {
                Verdict::Keep
            }
            None | Some(CredentialShape::HexBlob | CredentialShape::HighEntropy) => {
                Verdict::Deny(Why::NotAllowed)
            }
            Some(_) => Verdict::Deny(Why::SecretShaped),
        };
    }
    let mut current = value.to_string();
    if value.contains("://") || value.contains('@') {
        // URLs (and proxies `user:pass@host:port`) lose their user part and query values, one
        // comma-separated item at a time.
        let parts: Vec<String> = value
            .split(',')
            .map(|p| match safe_token(p.trim()) {
                Verdict::Rewrite(clean) => clean,
                _ => match sanitize_url(p.trim()) {
                    Some(clean) => clean,
                    None => p.to_string(),
                },
            })
            .collect();
        current = parts.join(",");
    }
    if looks_like_credential(&current) {
        return Verdict::Deny(Why::SecretShaped);
    }
    if current == value {
        Verdict::Keep
    } else {
        Verdict::Rewrite(current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::{Redactor, marker_reason};
    use serde_json::{Value, json};

    fn redactor() -> Redactor {
        Redactor::with_key([7; 32])
    }

    #[test]
    fn secret_names_are_never_allowed() {
        for name in [
            "CODER_OIDC_CLIENT_SECRET",
            "CODER_PG_CONNECTION_URL",
            "CODER_PROVISIONER_DAEMON_PSK",
            "CODER_PROVISIONER_DAEMON_KEY",
            "CODER_SCIM_AUTH_HEADER",
            "CODER_AGENT_TOKEN",
            "CODER_PROXY_SESSION_TOKEN",
            "CODER_EXTERNAL_TOKEN_ENCRYPTION_KEYS",
            "CODER_EXTERNAL_AUTH_0_CLIENT_SECRET",
            "CODER_GITAUTH_1_CLIENT_SECRET",
            "CODER_OAUTH2_GITHUB_CLIENT_SECRET",
            "CODER_TRACE_HONEYCOMB_API_KEY",
            "CODER_EMAIL_AUTH_PASSWORD",
            "CODER_NOTIFICATIONS_EMAIL_AUTH_PASSWORD",
            "CODER_DANGEROUS_SOMETHING_TOKEN",
            "CODER_DERP_SECRET_KEY_URL_PASSWORD",
            "ENVBUILDER_DOCKER_CONFIG_BASE64",
            "SPLUNK_TOKEN",
            "DB_PASSWORD",
            "UNKNOWN_SETTING",
        ] {
            assert!(!env_name_allowed(name), "{name}");
        }
        for name in [
            "CODER_ACCESS_URL",
            "CODER_EXTERNAL_AUTH_0_CLIENT_ID",
            "CODER_EXTERNAL_AUTH_3_TOKEN_URL",
            "CODER_DANGEROUS_ALLOW_PATH_APP_SHARING",
            "CODER_DERP_SERVER_RELAY_URL",
            "CODER_TLS_KEY_FILE",
            "CODER_MAX_TOKEN_LIFETIME",
            "CODER_AGENT_AUTH",
            "PATH",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AZURE_FEDERATED_TOKEN_FILE",
            "DB_SSL_MODE",
            "DB_HOST",
            "DEVURL_HOST",
            "SSL_SERVER_CERT_FILE",
        ] {
            assert!(env_name_allowed(name), "{name}");
        }
        assert!(env_name_allowed("CODER_DISABLE_PASSWORD_AUTH"));
        for name in [
            "CODER_DISABLE_PASSWORD_AUTH_X",
            "X_CODER_DISABLE_PASSWORD_AUTH",
        ] {
            assert!(!env_name_allowed(name), "{name}");
        }
    }

    #[test]
    fn verdicts_say_why() {
        let deny = |n: &str, v: &str| match env_verdict(n, v, false) {
            Verdict::Deny(why) => Some(why),
            _ => None,
        };
        assert_eq!(deny("DB_PASSWORD", "x"), Some(Why::SecretNamed));
        assert_eq!(deny("HUMAN_LOG", "/dev/stderr"), Some(Why::NotAllowed));
        assert_eq!(deny("VERBOSE", "true"), Some(Why::NotAllowed));
        assert_eq!(
            deny("SOMETHING", "ghp_0123456789abcdefABCDEF0123456789abcd"),
            Some(Why::SecretShaped)
        );
        assert_eq!(
            env_verdict(
                "CODER_INNER_IMAGE",
                "ghcr.io/coder/envbox:0123456789abcdef0123456789abcdef01234567",
                false
            ),
            Verdict::Keep
        );
        assert_eq!(
            env_verdict(
                "CODER_OIDC_CLIENT_ID",
                "0123456789abcdef0123456789abcdef",
                false
            ),
            Verdict::Keep
        );
        assert_eq!(
            env_verdict("HTTP_PROXY", "http://user:pw@proxy.example.com:3128", false),
            Verdict::Rewrite("http://REDACTED@proxy.example.com:3128".into())
        );
        assert_eq!(
            env_verdict("HTTP_PROXY", "user:Pw0rd9@proxy.example.com:3128", false),
            Verdict::Rewrite("REDACTED@proxy.example.com:3128".into())
        );
        assert_eq!(env_verdict("X", "$(KUBE_POD_IP)", false), Verdict::Keep);
    }

    #[test]
    fn pod_env_follows_the_allow_list() {
        let r = redactor();
        let mut pod = json!({"kind": "Pod", "spec": {
            "initContainers": [{"name": "i", "env": [{"name": "CODER_AGENT_TOKEN", "value": "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"}]}],
            "containers": [{"name": "c", "env": [
                {"name": "CODER_ACCESS_URL", "value": "https://admin:pw@coder.example.com"},
                {"name": "CODER_HTTP_ADDRESS", "value": "0.0.0.0:8080"},
                {"name": "CODER_DERP_SERVER_RELAY_URL", "value": "http://$(KUBE_POD_IP):8080"},
                {"name": "CODER_EXPERIMENTS", "value": "ghp_0123456789abcdefABCDEF0123456789abcd"},
                {"name": "CODER_PG_CONNECTION_URL", "valueFrom": {"secretKeyRef": {"name": "db", "key": "url"}}},
                {"name": "OTHER", "value": "$(CODER_ACCESS_URL)"},
                {"name": "RETRIES", "value": 3},
                {"name": "MAPPED", "value": {"a": "hunter2"}},
                {"name": "LISTED", "value": ["hunter2"]},
            ]}],
            "ephemeralContainers": [{"name": "e", "env": [{"name": "SPLUNK_TOKEN", "value": "s"}]}]
        }});
        r.redact_object(&mut pod);
        let env = &pod["spec"]["containers"][0]["env"];
        assert_eq!(env[0]["value"], "https://REDACTED@coder.example.com");
        assert_eq!(env[1]["value"], "0.0.0.0:8080");
        assert_eq!(env[2]["value"], "http://$(KUBE_POD_IP):8080");
        let reason = |v: &Value| marker_reason(v.as_str().unwrap());
        assert_eq!(reason(&env[3]["value"]), Some(Why::SecretShaped));
        assert_eq!(env[4]["valueFrom"]["secretKeyRef"]["name"], "db");
        assert_eq!(env[5]["value"], "$(CODER_ACCESS_URL)");
        assert_eq!(reason(&env[6]["value"]), Some(Why::NotAllowed));
        assert!(is_marker(env[7]["value"]["a"].as_str().unwrap()));
        assert!(is_marker(env[8]["value"][0].as_str().unwrap()));
        assert_eq!(
            reason(&pod["spec"]["initContainers"][0]["env"][0]["value"]),
            Some(Why::SecretNamed)
        );
        assert_eq!(
            reason(&pod["spec"]["ephemeralContainers"][0]["env"][0]["value"]),
            Some(Why::SecretNamed)
        );
        let s = r.summary().rules;
        assert_eq!(s["env-credential"], 1);
        assert_eq!(s["url-credentials"], 1);
    }

    #[test]
    fn env_maps_anywhere() {
        let r = redactor();
        let mut obj = json!({"kind": "Rollout", "apiVersion": "argoproj.io/v1alpha1", "spec": {"x": {"env": [{"name": "A", "value": "b"}]},
            "y": {"env": {"CODER_ACCESS_URL": "https://c.example.com", "B": "c"}}}});
        r.redact_object(&mut obj);
        assert!(is_marker(
            obj["spec"]["x"]["env"][0]["value"].as_str().unwrap()
        ));
        assert_eq!(
            obj["spec"]["y"]["env"]["CODER_ACCESS_URL"],
            "https://c.example.com"
        );
        assert!(is_marker(obj["spec"]["y"]["env"]["B"].as_str().unwrap()));
        let before = obj.clone();
        let counts = r.summary();
        r.redact_object(&mut obj);
        assert_eq!(obj, before);
        assert_eq!(r.summary().rules, counts.rules);
    }
}
