//! Coder in the inventory: coderd and provisioner pods, workspace pods and namespaces, and coderd's
//! settings (from its env, overlaid by the optional `coder/` API capture). Shared by the Coder
//! techniques and the findings, so detection lives in one place.

use std::collections::{BTreeMap, BTreeSet};

use coder_sec_model::coder::{ContainerView, WorkloadView, classify};
use coder_sec_model::redact::is_marker;
use serde_json::Value;

use crate::inventory::{Container, Inventory, Pod};

/// Boolean coderd settings: switches, never secrets (the redaction keeps their literal values; a
/// marker on one is not counted as a literal secret).
pub const BOOLEAN_SETTINGS: &[&str] = &[
    "CODER_DISABLE_PASSWORD_AUTH",
    "CODER_DISABLE_OWNER_WORKSPACE_ACCESS",
    "CODER_OIDC_ALLOW_SIGNUPS",
    "CODER_OIDC_IGNORE_EMAIL_VERIFIED",
    "CODER_DANGEROUS_OIDC_SKIP_ISSUER_CHECKS",
    "CODER_OAUTH2_GITHUB_ALLOW_SIGNUPS",
    "CODER_OAUTH2_GITHUB_ALLOW_EVERYONE",
    "CODER_OAUTH2_GITHUB_DEFAULT_PROVIDER_ENABLE",
    "CODER_TLS_ENABLE",
    "CODER_SECURE_AUTH_COOKIE",
    "CODER_DISABLE_PATH_APPS",
    "CODER_PPROF_ENABLE",
    "CODER_PROMETHEUS_ENABLE",
    "CODER_TELEMETRY_ENABLE",
];

/// Reads a setting's literal env value; a redaction marker is [`Setting::Redacted`] (nothing is
/// inferred from a marker).
pub fn literal_setting(value: &str) -> Setting {
    if is_marker(value) {
        Setting::Redacted
    } else {
        Setting::Literal(value.to_string())
    }
}

/// One coderd setting as the snapshot shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// A literal value kept by redaction (allow-listed settings).
    Literal(String),
    /// A literal value the redaction replaced: a secret was there.
    Redacted,
    /// From a Secret key.
    SecretRef {
        /// Secret name.
        name: String,
        /// Key.
        key: String,
    },
    /// From a ConfigMap or elsewhere: value unknown.
    Unknown,
}

impl Setting {
    /// The literal value, if known.
    pub fn value(&self) -> Option<&str> {
        match self {
            Setting::Literal(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the literal value is a true boolean.
    pub fn is_true(&self) -> bool {
        self.value().is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// Coder as found in the inventory.
#[derive(Debug, Default)]
pub struct CoderFacts {
    /// Indexes of coderd pods (`server`), sorted.
    pub coderd_pods: Vec<usize>,
    /// Indexes of provisioner pods (`provisionerd`), sorted.
    pub provisioner_pods: Vec<usize>,
    /// Indexes of workspace proxy pods (`wsproxy`), sorted.
    pub proxy_pods: Vec<usize>,
    /// Indexes of workspace pods.
    pub workspace_pods: Vec<usize>,
    /// Namespaces of coderd.
    pub coderd_namespaces: BTreeSet<String>,
    /// Namespaces holding workspaces (where workspace pods run).
    pub workspace_namespaces: BTreeSet<String>,
    /// coderd's (and workspace proxies') service accounts as `ServiceAccount/ns/name`: the chart's SA.
    pub coderd_service_accounts: BTreeSet<String>,
    /// coderd's settings by env name.
    pub settings: BTreeMap<String, Setting>,
    /// Secrets coderd reads (TLS, client secrets, DB URL) as `(namespace, name)`.
    pub coderd_secrets: BTreeSet<(String, String)>,
    /// The DB credential Secret (`CODER_PG_CONNECTION_URL` from a secretKeyRef).
    pub db_secret: Option<(String, String)>,
    /// External-auth providers: id → (type, scopes, urls).
    pub external_auth: BTreeMap<String, ExternalAuth>,
    /// Whether the optional Coder API capture was present.
    pub api_captured: bool,
    /// Users from `coder/api/users.json`, when captured.
    pub users: Vec<CoderUser>,
    /// Login methods from `coder/api/authmethods.json`, when captured.
    pub auth_methods: Option<AuthMethods>,
    /// Whether coderd is Coder v1 (the `coder/enterprise-helm` chart): see [`CoderGeneration`].
    pub v1: bool,
    /// Indexes of the chart's built-in database pods (v1's TimescaleDB, `coder.deployment:
    /// timescale`), sorted.
    pub database_pods: Vec<usize>,
}

pub use coder_sec_model::coder::{CoderGeneration, CoderRole};

/// The shared classifier's view of a pod (labels, containers with their image, command words and
/// env names).
fn view(p: &Pod) -> WorkloadView<'_> {
    fn container(c: &Container) -> ContainerView<'_> {
        ContainerView::new(
            &c.image,
            &c.command,
            &c.args,
            c.env.iter().map(|e| e.name.as_str()),
        )
    }
    WorkloadView {
        labels: p
            .metadata
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        containers: p.spec.containers.iter().map(container).collect(),
        other_containers: p
            .spec
            .init_containers
            .iter()
            .chain(&p.spec.ephemeral_containers)
            .map(container)
            .collect(),
    }
}

/// Which Coder a coderd pod belongs to (`None`: not coderd).
pub fn generation(p: &Pod) -> Option<CoderGeneration> {
    classify(&view(p)).and_then(|c| c.generation)
}

/// A Coder user as the capture keeps it (no name, no e-mail).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoderUser {
    /// User id.
    pub id: String,
    /// `password`, `oidc`, `github`, `none`.
    pub login_type: String,
    /// `active`, `suspended`, `dormant`.
    pub status: String,
    /// Site role names (`owner`, `template-admin`, `user-admin`, `auditor`).
    pub roles: Vec<String>,
}

impl CoderUser {
    /// Whether the user can log in now (suspended users cannot).
    pub fn active(&self) -> bool {
        self.status != "suspended"
    }
}

/// Which login methods coderd offers (`/api/v2/users/authmethods`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthMethods {
    /// Built-in password login.
    pub password: bool,
    /// GitHub OAuth login.
    pub github: bool,
    /// OIDC login.
    pub oidc: bool,
}

/// One external-auth provider.
#[derive(Debug, Clone, Default)]
pub struct ExternalAuth {
    /// `TYPE` (github, gitlab, ...).
    pub kind: String,
    /// `SCOPES`, when known.
    pub scopes: Option<String>,
    /// URL settings (`AUTH_URL`, `TOKEN_URL`, `VALIDATE_URL`).
    pub urls: Vec<String>,
}

impl CoderFacts {
    /// Whether coderd talks to its database without TLS: v1's `DB_SSL_MODE=disable` (the
    /// built-in TimescaleDB's setting; when the value is hidden, that database's pod says it), or
    /// `sslmode=disable` in a literal v2 database URL.
    pub fn database_plaintext(&self) -> bool {
        // The v1 chart renders `disable` for its built-in database; a snapshot whose redaction hid
        // the value still shows that database's pod.
        let v1 = match self.setting("DB_SSL_MODE") {
            Some(Setting::Literal(v)) => v.trim().eq_ignore_ascii_case("disable"),
            Some(_) => self.v1 && !self.database_pods.is_empty(),
            None => false,
        };
        let v2 = self
            .setting("CODER_PG_CONNECTION_URL")
            .and_then(Setting::value)
            .is_some_and(|v| v.contains("sslmode=disable"));
        v1 || v2
    }

    /// Whether Coder was found.
    pub fn present(&self) -> bool {
        !self.coderd_pods.is_empty()
            || !self.provisioner_pods.is_empty()
            || !self.proxy_pods.is_empty()
    }

    /// A setting.
    pub fn setting(&self, name: &str) -> Option<&Setting> {
        self.settings.get(name)
    }

    /// Whether a boolean setting is true, using Coder's default when unset.
    pub fn flag(&self, name: &str, default: bool) -> bool {
        match self.settings.get(name) {
            Some(Setting::Literal(v)) => v.eq_ignore_ascii_case("true"),
            Some(_) => default,
            None => default,
        }
    }

    /// The OIDC issuer when OIDC login is configured (`configured` when only a client id is set).
    pub fn oidc_issuer(&self) -> Option<&str> {
        self.setting("CODER_OIDC_ISSUER_URL")
            .map(|s| s.value().unwrap_or("configured"))
            .or_else(|| self.setting("CODER_OIDC_CLIENT_ID").map(|_| "configured"))
    }

    /// Whether OIDC sign-ups are open to every account of the identity provider: allowed (Coder's
    /// default) with neither an email domain nor a group restriction.
    pub fn oidc_signups_open(&self) -> bool {
        let restricted = ["CODER_OIDC_EMAIL_DOMAIN", "CODER_OIDC_ALLOWED_GROUPS"]
            .iter()
            .any(|k| {
                self.setting(k)
                    .is_some_and(|s| s.value().is_none_or(|v| !v.trim().is_empty()))
            });
        self.flag("CODER_OIDC_ALLOW_SIGNUPS", true) && !restricted
    }

    /// Detects Coder in an inventory.
    pub fn detect(inv: &Inventory) -> CoderFacts {
        let mut f = CoderFacts::default();
        for (i, p) in inv.pods.iter().enumerate() {
            if p.metadata
                .labels
                .get("coder.deployment")
                .map(String::as_str)
                == Some("timescale")
            {
                f.database_pods.push(i);
            }
            match coder_role(p) {
                Some(CoderRole::Server) => f.coderd_pods.push(i),
                Some(CoderRole::Provisioner) => f.provisioner_pods.push(i),
                Some(CoderRole::Proxy) => f.proxy_pods.push(i),
                Some(CoderRole::Workspace) => f.workspace_pods.push(i),
                None => {}
            }
        }
        for &i in &f.proxy_pods {
            let p = &inv.pods[i];
            f.coderd_service_accounts.insert(format!(
                "ServiceAccount/{}/{}",
                p.metadata.namespace,
                p.service_account()
            ));
        }
        for &i in &f.coderd_pods {
            let p = &inv.pods[i];
            let ns = p.metadata.namespace.clone();
            f.coderd_namespaces.insert(ns.clone());
            f.coderd_service_accounts
                .insert(format!("ServiceAccount/{ns}/{}", p.service_account()));
            for c in &p.spec.containers {
                for e in &c.env {
                    let s = if let Some(r) = e
                        .value_from
                        .as_ref()
                        .and_then(|v| v.secret_key_ref.as_ref())
                    {
                        f.coderd_secrets.insert((ns.clone(), r.name.clone()));
                        Setting::SecretRef {
                            name: r.name.clone(),
                            key: r.key.clone(),
                        }
                    } else if let Some(v) = &e.value {
                        literal_setting(v)
                    } else {
                        Setting::Unknown
                    };
                    f.settings.entry(e.name.clone()).or_insert(s);
                }
            }
            for v in &p.spec.volumes {
                if let Some(s) = &v.secret {
                    f.coderd_secrets.insert((ns.clone(), s.secret_name.clone()));
                }
            }
        }
        f.v1 = f
            .coderd_pods
            .iter()
            .any(|&i| generation(&inv.pods[i]) == Some(CoderGeneration::V1));
        // v2 keeps the database URL in one setting; v1 the password of an external database in
        // `DB_PASSWORD` (its built-in TimescaleDB has none).
        let db_setting = if f.v1 {
            "DB_PASSWORD"
        } else {
            "CODER_PG_CONNECTION_URL"
        };
        if let Some(Setting::SecretRef { name, .. }) = f.settings.get(db_setting) {
            let ns = f
                .coderd_namespaces
                .iter()
                .next()
                .cloned()
                .unwrap_or_default();
            f.db_secret = Some((ns, name.clone()));
        }
        f.overlay_api(inv);
        for (name, _) in f.settings.clone() {
            let Some(rest) = name
                .strip_prefix("CODER_EXTERNAL_AUTH_")
                .or_else(|| name.strip_prefix("CODER_GITAUTH_"))
            else {
                continue;
            };
            let Some((idx, field)) = rest.split_once('_') else {
                continue;
            };
            if idx.parse::<u32>().is_err() {
                continue;
            }
            let prefix = &name[..name.len() - field.len()];
            let get = |k: &str| {
                f.settings
                    .get(&format!("{prefix}{k}"))
                    .and_then(|s| s.value().map(str::to_string))
            };
            let id = get("ID")
                .or_else(|| get("TYPE"))
                .unwrap_or_else(|| format!("external-auth-{idx}"));
            let entry = ExternalAuth {
                kind: get("TYPE").unwrap_or_else(|| id.clone()),
                scopes: get("SCOPES"),
                urls: ["AUTH_URL", "TOKEN_URL", "VALIDATE_URL"]
                    .iter()
                    .filter_map(|k| get(k))
                    .collect(),
            };
            f.external_auth.insert(id, entry);
        }
        f.read_api_state(inv);
        for &i in &f.workspace_pods {
            f.workspace_namespaces
                .insert(inv.pods[i].metadata.namespace.clone());
        }
        f
    }

    /// Settings from the Coder API capture (`coder/api/*.json` with an `options` list of
    /// `{env, value}`), where present, fill in what the env did not show.
    fn overlay_api(&mut self, inv: &Inventory) {
        // Only Coder API answers: every capture that finds Coder also writes `coder/deployments.json`
        // and the workspace summary.
        for (path, value) in &inv.coder_files {
            if !path.starts_with("coder/api/") {
                continue;
            }
            self.api_captured = true;
            let Some(options) = value.get("options").and_then(Value::as_array) else {
                continue;
            };
            for o in options {
                let Some(env) = o.get("env").and_then(Value::as_str) else {
                    continue;
                };
                let v = match o.get("value") {
                    Some(Value::String(s)) if is_marker(s) => Setting::Redacted,
                    Some(Value::String(s)) => Setting::Literal(s.clone()),
                    Some(Value::Bool(b)) => Setting::Literal(b.to_string()),
                    Some(Value::Number(n)) => Setting::Literal(n.to_string()),
                    Some(Value::Array(a)) => Setting::Literal(
                        a.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(","),
                    ),
                    _ => continue,
                };
                self.settings.entry(env.to_string()).or_insert(v);
            }
        }
    }
}

impl CoderFacts {
    /// Users, login methods and external-auth providers from the Coder API capture
    /// (`coder/api/users.json`, `authmethods.json`, `external-auth.json` and the `external_auth` list
    /// of `deployment-config.json`). Providers the env did not name are added; scopes and URLs fill
    /// in what the env did not show.
    fn read_api_state(&mut self, inv: &Inventory) {
        let file = |name: &str| inv.coder_files.get(&format!("coder/api/{name}.json"));
        let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        if let Some(users) = file("users")
            .and_then(|u| u.get("users"))
            .and_then(Value::as_array)
        {
            self.users = users
                .iter()
                .map(|u| CoderUser {
                    id: text(u, "id"),
                    login_type: text(u, "login_type"),
                    status: text(u, "status"),
                    roles: u
                        .get("roles")
                        .and_then(Value::as_array)
                        .map(|r| {
                            r.iter()
                                .filter_map(|x| x.as_str().or_else(|| x.get("name")?.as_str()))
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect();
            self.users.sort_by(|a, b| a.id.cmp(&b.id));
        }
        if let Some(m) = file("authmethods") {
            let on = |k: &str| {
                m.get(k)
                    .and_then(|x| x.get("enabled"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            };
            self.auth_methods = Some(AuthMethods {
                password: on("password"),
                github: on("github"),
                oidc: on("oidc"),
            });
        }
        let strings = |v: Option<&Value>| -> Option<String> {
            match v? {
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                Value::Array(a) if !a.is_empty() => Some(
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                _ => None,
            }
        };
        let configured = file("deployment-config")
            .and_then(|d| d.pointer("/config/external_auth"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let listed = file("external-auth")
            .and_then(|e| e.get("providers"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for p in configured.iter().chain(&listed) {
            let id = text(p, "id");
            if id.is_empty() {
                continue;
            }
            let entry = self.external_auth.entry(id.clone()).or_default();
            if entry.kind.is_empty() {
                let kind = text(p, "type");
                entry.kind = if kind.is_empty() { id } else { kind };
            }
            if entry.scopes.is_none() {
                entry.scopes = strings(p.get("scopes"));
            }
            for k in ["auth_url", "token_url", "validate_url"] {
                let u = text(p, k);
                if !u.is_empty() && !entry.urls.contains(&u) {
                    entry.urls.push(u);
                }
            }
        }
    }
}

/// Classifies a pod with the classifier the capture uses too ([`coder_sec_model::coder`]).
pub fn coder_role(p: &Pod) -> Option<CoderRole> {
    classify(&view(p)).map(|c| c.role)
}
