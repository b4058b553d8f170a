//! Environment variables and command lines of pod templates.
//!
//! A literal `value` survives only when the variable's name is on [`ENV_ALLOW_LIST`], not on
//! [`ENV_DENY_LIST`], and the value does not look like a credential; URL credentials are removed even
//! then. `valueFrom` references and values made only of `$(VAR)` references are kept.

use serde_json::Value;

use super::detect::{
    glob_match, is_only_var_references, is_secret_key_name, looks_like_credential,
    strip_url_credentials,
};
use super::{MARKER_PREFIX, Redactor, is_marker};

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

/// Pointers to the pod specs of a kind's objects.
pub fn pod_spec_pointers(kind: &str) -> &'static [&'static str] {
    match kind {
        "Pod" => &["/spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["/spec/template/spec"],
        "PodTemplate" => &["/template/spec"],
        "CronJob" => &["/spec/jobTemplate/spec/template/spec"],
        _ => &[],
    }
}

/// Pointers to the metadata of a kind's pod (and job) templates.
pub fn template_metadata_pointers(kind: &str) -> &'static [&'static str] {
    match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["/spec/template/metadata"],
        "PodTemplate" => &["/template/metadata"],
        "CronJob" => &[
            "/spec/jobTemplate/metadata",
            "/spec/jobTemplate/spec/template/metadata",
        ],
        _ => &[],
    }
}

const CONTAINER_LISTS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// Probes and lifecycle hooks of a container: their `exec.command` and `httpGet.httpHeaders`.
const HANDLER_POINTERS: &[&str] = &[
    "/livenessProbe",
    "/readinessProbe",
    "/startupProbe",
    "/lifecycle/postStart",
    "/lifecycle/preStop",
];

/// HTTP headers whose values are credentials, whatever they look like.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "x-auth-token",
    "coder-session-token",
];

impl Redactor {
    /// Applies the environment rule to one literal value of variable `name`, in place.
    pub(crate) fn redact_env_value(&self, name: &str, value: &mut String) {
        if value.is_empty() || is_marker(value) || is_only_var_references(value) {
            return;
        }
        if !env_name_allowed(name) {
            *value = self.marker(value);
            self.count("env-literal");
            return;
        }
        if let Some(stripped) = strip_url_credentials(value) {
            *value = stripped;
            self.count("url-credentials");
        }
        if looks_like_credential(value) {
            *value = self.marker(value);
            self.count("env-credential");
        }
    }

    /// Applies the environment rule to an `env` list (`[{name, value}]`) or map (`{NAME: value}`).
    pub(crate) fn redact_env_list(&self, env: &mut Value) {
        match env {
            Value::Array(items) => {
                for item in items {
                    let Some(var) = item.as_object_mut() else {
                        continue;
                    };
                    let name = var
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    match var.get_mut("value") {
                        Some(Value::String(value)) => self.redact_env_value(&name, value),
                        Some(other @ (Value::Number(_) | Value::Bool(_)))
                            if !env_name_allowed(&name) =>
                        {
                            *other = Value::String(self.marker(&other.to_string()));
                            self.count("env-literal");
                        }
                        _ => {}
                    }
                }
            }
            Value::Object(map) => {
                for (name, value) in map.iter_mut() {
                    if let Value::String(v) = value {
                        self.redact_env_value(name, v);
                    }
                }
            }
            _ => {}
        }
    }

    /// Redacts the pod specs and template metadata of Pods, workloads and CronJobs.
    pub(crate) fn redact_pod_templates(&self, object: &mut Value, kind: &str) {
        for pointer in pod_spec_pointers(kind) {
            if let Some(spec) = object.pointer_mut(pointer) {
                self.redact_pod_spec(spec);
            }
        }
        for pointer in template_metadata_pointers(kind) {
            if let Some(meta) = object.pointer_mut(pointer) {
                self.redact_metadata(meta);
            }
        }
    }

    /// Redacts the environment and command lines of every container of one pod spec.
    pub(crate) fn redact_pod_spec(&self, spec: &mut Value) {
        for list in CONTAINER_LISTS {
            let Some(Value::Array(containers)) = spec.get_mut(*list) else {
                continue;
            };
            for container in containers {
                if let Some(env) = container.get_mut("env") {
                    self.redact_env_list(env);
                }
                for field in ["command", "args"] {
                    if let Some(Value::Array(items)) = container.get_mut(field) {
                        self.redact_args(items);
                    }
                }
                for handler in HANDLER_POINTERS {
                    let Some(handler) = container.pointer_mut(handler) else {
                        continue;
                    };
                    if let Some(Value::Array(items)) = handler.pointer_mut("/exec/command") {
                        self.redact_args(items);
                    }
                    if let Some(Value::Array(headers)) = handler.pointer_mut("/httpGet/httpHeaders")
                    {
                        self.redact_headers(headers);
                    }
                }
            }
        }
    }

    /// The conservative fallback: every `env` list anywhere in `value` goes through the environment
    /// rule (unknown kinds, templates in places this crate does not know).
    pub(crate) fn redact_env_anywhere(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if key == "env" && (v.is_array() || v.is_object()) {
                        self.redact_env_list(v);
                    }
                    self.redact_env_anywhere(v);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_env_anywhere(v)),
            _ => {}
        }
    }

    /// Redacts the values of probe and hook HTTP headers that carry credentials (`Authorization`,
    /// `Cookie`, secret-named headers) or look like them.
    pub(crate) fn redact_headers(&self, headers: &mut [Value]) {
        for header in headers {
            let name = header
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_ascii_lowercase();
            let Some(Value::String(value)) = header.get_mut("value") else {
                continue;
            };
            if value.is_empty() || is_marker(value) {
                continue;
            }
            if SECRET_HEADERS.contains(&name.as_str())
                || is_secret_key_name(&name)
                || looks_like_credential(value)
            {
                *value = self.marker(value);
                self.count("header-credential");
            }
        }
    }

    /// Redacts credentials in `command` / `args`: credential-shaped words, URL credentials,
    /// `--password=...` / `TOKEN=...` assignments, and the word after a secret-named flag
    /// (`--token abc`).
    pub(crate) fn redact_args(&self, items: &mut [Value]) {
        let mut after_secret_flag = false;
        for item in items {
            let Value::String(s) = item else {
                after_secret_flag = false;
                continue;
            };
            if is_marker(s) {
                after_secret_flag = false;
                continue;
            }
            if after_secret_flag && !s.starts_with('-') && !s.is_empty() && !s.starts_with('$') {
                *s = self.marker(s);
                self.count("args-credential");
                after_secret_flag = false;
                continue;
            }
            after_secret_flag = s.starts_with('-')
                && !s.contains('=')
                && is_secret_key_name(s.trim_start_matches('-'));
            if let Some(stripped) = strip_url_credentials(s) {
                *s = stripped;
                self.count("url-credentials");
            }
            if let Some(redacted) = self.redact_words(s, "args-credential") {
                *s = redacted;
            }
        }
    }

    /// Replaces credential-shaped words and the values of secret-named assignments in free text.
    /// Returns `None` when nothing changed. A PEM block makes the whole text a marker.
    pub(crate) fn redact_words(&self, s: &str, rule: &'static str) -> Option<String> {
        if s.contains("-----BEGIN ") {
            self.count(rule);
            return Some(self.marker(s));
        }
        let mut out = String::with_capacity(s.len());
        let mut changed = false;
        let mut last = 0;
        for (start, end) in word_spans(s) {
            let word = &s[start..end];
            out.push_str(&s[last..start]);
            last = end;
            let quoted = word.trim_matches(|c| c == '"' || c == '\'');
            if let Some(eq) = quoted.find('=') {
                let key = quoted[..eq].trim_start_matches('-');
                let value = &quoted[eq + 1..];
                if !key.is_empty()
                    && !value.is_empty()
                    && !value.starts_with('$')
                    && !value.starts_with(MARKER_PREFIX)
                    && is_secret_key_name(key)
                {
                    let offset = word.find(quoted).unwrap_or(0);
                    out.push_str(&word[..offset + eq + 1]);
                    out.push_str(&self.marker(value));
                    out.push_str(&word[offset + quoted.len()..]);
                    self.count(rule);
                    changed = true;
                    continue;
                }
            }
            if looks_like_credential(quoted) {
                let offset = word.find(quoted).unwrap_or(0);
                out.push_str(&word[..offset]);
                out.push_str(&self.marker(quoted));
                out.push_str(&word[offset + quoted.len()..]);
                self.count(rule);
                changed = true;
                continue;
            }
            out.push_str(word);
        }
        out.push_str(&s[last..]);
        changed.then_some(out)
    }
}

/// Byte ranges of the whitespace-separated words of `s`. A marker (`<redacted fp=... len=N>`) is
/// part of its word, spaces and all, so text redacted once is left alone the second time.
fn word_spans(s: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    let mut skip_to = 0;
    for (i, c) in s.char_indices() {
        if i < skip_to {
            continue;
        }
        if s[i..].starts_with(MARKER_PREFIX)
            && let Some(end) = s[i..].find('>')
        {
            start.get_or_insert(i);
            skip_to = i + end + 1;
            continue;
        }
        match (c.is_whitespace(), start) {
            (true, Some(st)) => {
                spans.push((st, i));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(st) = start {
        spans.push((st, s.len()));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        ] {
            assert!(env_name_allowed(name), "{name}");
        }
        // An exact allow-list entry beats a deny pattern its name happens to match.
        assert!(env_name_allowed("CODER_DISABLE_PASSWORD_AUTH"));
        for name in [
            "CODER_DISABLE_PASSWORD_AUTH_X",
            "X_CODER_DISABLE_PASSWORD_AUTH",
        ] {
            assert!(!env_name_allowed(name), "{name}");
        }
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
            ],
            "args": ["server", "--token", "abc123", "--password=hunter2", "--name=x"],
            "readinessProbe": {"httpGet": {"path": "/healthz", "httpHeaders": [
                {"name": "Authorization", "value": "s3cr3t"}, {"name": "Accept", "value": "text/plain"}]}},
            "lifecycle": {"preStop": {"exec": {"command": ["drain", "--api-key", "k"]}}}}],
            "ephemeralContainers": [{"name": "e", "env": [{"name": "SPLUNK_TOKEN", "value": "s"}]}]
        }});
        r.redact_pod_templates(&mut pod, "Pod");
        let env = &pod["spec"]["containers"][0]["env"];
        assert_eq!(env[0]["value"], "https://REDACTED@coder.example.com");
        let probe = &pod["spec"]["containers"][0]["readinessProbe"];
        assert!(is_marker(
            probe["httpGet"]["httpHeaders"][0]["value"]
                .as_str()
                .unwrap()
        ));
        assert_eq!(probe["httpGet"]["httpHeaders"][1]["value"], "text/plain");
        let hook = &pod["spec"]["containers"][0]["lifecycle"]["preStop"]["exec"]["command"];
        assert!(is_marker(hook[2].as_str().unwrap()));
        assert_eq!(env[1]["value"], "0.0.0.0:8080");
        assert_eq!(env[2]["value"], "http://$(KUBE_POD_IP):8080");
        assert!(is_marker(env[3]["value"].as_str().unwrap()));
        assert_eq!(env[4]["valueFrom"]["secretKeyRef"]["name"], "db");
        assert_eq!(env[5]["value"], "$(CODER_ACCESS_URL)");
        assert!(is_marker(env[6]["value"].as_str().unwrap()));
        assert!(is_marker(
            pod["spec"]["initContainers"][0]["env"][0]["value"]
                .as_str()
                .unwrap()
        ));
        assert!(is_marker(
            pod["spec"]["ephemeralContainers"][0]["env"][0]["value"]
                .as_str()
                .unwrap()
        ));
        let args = &pod["spec"]["containers"][0]["args"];
        assert_eq!(args[0], "server");
        assert!(is_marker(args[2].as_str().unwrap()));
        assert!(
            args[3]
                .as_str()
                .unwrap()
                .starts_with("--password=<redacted fp=")
        );
        assert_eq!(args[4], "--name=x");
        let s = r.summary().rules;
        assert_eq!(s["env-literal"], 3);
        assert_eq!(s["env-credential"], 1);
        assert_eq!(s["url-credentials"], 1);
        assert_eq!(s["args-credential"], 3);
        assert_eq!(s["header-credential"], 1);
    }

    #[test]
    fn every_workload_template_is_walked() {
        for (kind, template) in [
            ("Deployment", json!({"spec": {"template": {}}})),
            ("StatefulSet", json!({"spec": {"template": {}}})),
            ("DaemonSet", json!({"spec": {"template": {}}})),
            ("ReplicaSet", json!({"spec": {"template": {}}})),
            ("ReplicationController", json!({"spec": {"template": {}}})),
            ("Job", json!({"spec": {"template": {}}})),
            (
                "CronJob",
                json!({"spec": {"jobTemplate": {"spec": {"template": {}}}}}),
            ),
        ] {
            let r = redactor();
            let mut obj = template;
            let ptr = pod_spec_pointers(kind)[0];
            let tpl = obj.pointer_mut(ptr.trim_end_matches("/spec")).unwrap();
            *tpl = json!({"metadata": {"annotations": {"x": "glpat-abcdefghij0123456789"}},
                "spec": {"containers": [{"env": [{"name": "SECRET_THING", "value": "v"}]}]}});
            r.redact_pod_templates(&mut obj, kind);
            let v = obj
                .pointer(&format!("{ptr}/containers/0/env/0/value"))
                .unwrap();
            assert!(is_marker(v.as_str().unwrap()), "{kind}");
            assert_eq!(r.summary().rules["annotation-credential"], 1, "{kind}");
        }
    }

    #[test]
    fn unknown_structures_fall_back() {
        let r = redactor();
        let mut obj = json!({"kind": "Rollout", "spec": {"x": {"env": [{"name": "A", "value": "b"}]},
            "y": {"env": {"CODER_ACCESS_URL": "https://c.example.com", "B": "c"}}}});
        r.redact_env_anywhere(&mut obj);
        assert!(is_marker(
            obj["spec"]["x"]["env"][0]["value"].as_str().unwrap()
        ));
        assert_eq!(
            obj["spec"]["y"]["env"]["CODER_ACCESS_URL"],
            "https://c.example.com"
        );
        assert!(is_marker(obj["spec"]["y"]["env"]["B"].as_str().unwrap()));
        // Running it again changes nothing and counts nothing more.
        let before = obj.clone();
        r.redact_env_anywhere(&mut obj);
        assert_eq!(obj, before);
        assert_eq!(r.summary().rules["env-literal"], 2);
    }

    #[test]
    fn words_in_scripts() {
        let r = redactor();
        let out = r
            .redact_words(
                "export GITHUB_TOKEN=abc; echo hi && run --key $(K)",
                "args-credential",
            )
            .unwrap();
        assert!(out.starts_with("export GITHUB_TOKEN=<redacted fp="));
        assert!(out.ends_with("echo hi && run --key $(K)"));
        assert!(
            r.redact_words("sh -c 'echo hello'", "args-credential")
                .is_none()
        );
    }
}
