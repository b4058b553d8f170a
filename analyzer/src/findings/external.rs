//! External tie-ins: authentication settings, Git providers, registries, and secrets passed as
//! literal env values (a redaction marker in an env value means a literal secret was there).

use std::collections::{BTreeMap, BTreeSet};

use coder_sec_model::redact::marker_hides_secret;

use crate::catalog::FindingCode;
use crate::coder::{CoderRole, Setting, coder_role};
use crate::inventory::pod_ref;
use crate::severity::Severity;
use crate::techniques::registry::REGISTRY_ENV;

use super::{Finding, Input, complete, nref};

fn registry_host(image: &str) -> &str {
    let first = image.split('/').next().unwrap_or("");
    if image.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost") {
        first
    } else {
        "docker.io"
    }
}

const PUBLIC_REGISTRIES: &[&str] = &[
    "docker.io",
    "ghcr.io",
    "quay.io",
    "registry.k8s.io",
    "gcr.io",
    "public.ecr.aws",
    "mcr.microsoft.com",
];

/// Runs the external tie-in checks.
pub fn check(input: &Input<'_>, out: &mut Vec<Finding>) {
    let inv = input.inv;
    let coder = input.coder;
    let coderd: Vec<String> = coder
        .coderd_pods
        .iter()
        .map(|&i| pod_ref(&inv.pods[i]))
        .collect();
    if coder.present() {
        let oidc = coder.oidc_issuer().is_some();
        let github = coder.setting("CODER_OAUTH2_GITHUB_CLIENT_ID").is_some();
        if oidc {
            if coder.oidc_signups_open() {
                out.push(Finding::new(
                    FindingCode::OidcOpenSignups,
                    Severity::High,
                    "OIDC sign-ups are open to every account of the identity provider",
                    coderd.clone(),
                ));
            }
            if coder.flag("CODER_OIDC_IGNORE_EMAIL_VERIFIED", false) {
                out.push(Finding::new(
                    FindingCode::OidcIgnoreEmailVerified,
                    Severity::High,
                    "`CODER_OIDC_IGNORE_EMAIL_VERIFIED=true`",
                    coderd.clone(),
                ));
            }
        }
        // The settings below are v2's (`CODER_*`); v1 has none of them.
        let mut risky: Vec<(Severity, String)> = Vec::new();
        if coder.flag("CODER_DANGEROUS_OIDC_SKIP_ISSUER_CHECKS", false) {
            risky.push((
                Severity::High,
                "`CODER_DANGEROUS_OIDC_SKIP_ISSUER_CHECKS=true`".into(),
            ));
        }
        if coder.flag("CODER_OAUTH2_GITHUB_ALLOW_SIGNUPS", false)
            && coder.flag("CODER_OAUTH2_GITHUB_ALLOW_EVERYONE", false)
        {
            risky.push((
                Severity::High,
                "GitHub sign-ups allow every GitHub account".into(),
            ));
        }
        for name in [
            "CODER_DANGEROUS_ALLOW_PATH_APP_SHARING",
            "CODER_DANGEROUS_ALLOW_PATH_APP_SITE_OWNER_ACCESS",
            "CODER_DANGEROUS_ALLOW_CORS_REQUESTS",
            "CODER_DANGEROUS_DISABLE_RATE_LIMITS",
        ] {
            if coder.flag(name, false) {
                risky.push((Severity::Medium, format!("`{name}=true`")));
            }
        }
        if !github && !oidc && coder.flag("CODER_OAUTH2_GITHUB_DEFAULT_PROVIDER_ENABLE", true) {
            risky.push((Severity::Low, "the default GitHub login provider is enabled (`CODER_OAUTH2_GITHUB_DEFAULT_PROVIDER_ENABLE` defaults to true)".into()));
        }
        if coder.setting("CODER_MAX_TOKEN_LIFETIME").is_none() {
            risky.push((
                Severity::Low,
                "API tokens may live 100 years (`CODER_MAX_TOKEN_LIFETIME` unset)".into(),
            ));
        }
        if coder.v1 {
            risky.clear();
        }
        for (sev, text) in risky {
            out.push(Finding::new(
                FindingCode::CoderAuthSetting,
                sev,
                text,
                coderd.clone(),
            ));
        }
        if !coder.v1 && !coder.flag("CODER_DISABLE_OWNER_WORKSPACE_ACCESS", false) {
            out.push(Finding::new(
                FindingCode::OwnerWorkspaceAccess,
                Severity::Medium,
                "owners can reach every workspace (`CODER_DISABLE_OWNER_WORKSPACE_ACCESS` is not true)",
                coderd.clone(),
            ));
        }
        coder_users(input, oidc, github, &coderd, out);
        // External auth.
        let mut by_type: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (id, ea) in &coder.external_auth {
            by_type.entry(ea.kind.clone()).or_default().push(id.clone());
            let scopes = ea.scopes.clone().unwrap_or_else(|| {
                if ea.kind == "github" {
                    "repo workflow (default)".into()
                } else {
                    String::new()
                }
            });
            let broad: Vec<&str> = scopes
                .split([',', ' '])
                .filter(|s| {
                    matches!(
                        *s,
                        "repo"
                            | "admin:org"
                            | "write:org"
                            | "api"
                            | "write_repository"
                            | "delete_repo"
                    )
                })
                .collect();
            if !broad.is_empty() {
                out.push(Finding::new(
                    FindingCode::ExternalAuthScopes,
                    Severity::Medium,
                    format!(
                        "external auth `{id}` requests broad scopes: {}",
                        broad.join(", ")
                    ),
                    [format!("GitProvider/{id}")],
                ));
            }
            for u in &ea.urls {
                if u.starts_with("http://") {
                    out.push(Finding::new(
                        FindingCode::ExternalAuthInsecureUrl,
                        Severity::High,
                        format!("external auth `{id}` uses `{u}`"),
                        [format!("GitProvider/{id}")],
                    ));
                }
            }
        }
        for (kind, ids) in by_type {
            if ids.len() > 1 {
                out.push(Finding::new(
                    FindingCode::ExternalAuthDuplicateType,
                    Severity::Low,
                    format!("{} external-auth providers share type `{kind}`", ids.len()),
                    ids.into_iter().map(|i| format!("GitProvider/{i}")),
                ));
            }
        }
        if !coder.external_auth.is_empty()
            && !matches!(
                coder.setting("CODER_EXTERNAL_TOKEN_ENCRYPTION_KEYS"),
                Some(Setting::Redacted | Setting::SecretRef { .. } | Setting::Unknown)
            )
        {
            out.push(Finding::new(
                FindingCode::ExternalTokenEncryption,
                Severity::Medium,
                "external-auth OAuth tokens are stored unencrypted (`CODER_EXTERNAL_TOKEN_ENCRYPTION_KEYS` unset)",
                coderd.clone(),
            ));
        }
    }
    // Literal secrets in env, mutable tags, public registries.
    let mut literal_high = Vec::new();
    let mut literal = Vec::new();
    let mut mutable = Vec::new();
    let mut public = BTreeSet::new();
    let mut registry_env = Vec::new();
    for p in &inv.pods {
        let role = coder_role(p);
        let r = pod_ref(p);
        for c in p.all_containers() {
            for e in &c.env {
                // Only values redacted as secrets (secret-shaped or secret-named): an ordinary setting
                // that is merely off the allow-list (`HUMAN_LOG`, `DB_PORT`) is no literal secret.
                // On v1's coderd, whose settings are unprefixed (`DB_HOST`, `DEVURL_HOST`), only names
                // of secrets count.
                let v1_setting = coder.v1
                    && role == Some(CoderRole::Server)
                    && !coder_sec_model::redact::detect::is_secret_key_name(&e.name);
                if e.value.as_deref().is_some_and(marker_hides_secret)
                    && !crate::coder::BOOLEAN_SETTINGS.contains(&e.name.as_str())
                    && !v1_setting
                {
                    let item = format!("{r} (container `{}`, env `{}`)", c.name, e.name);
                    if REGISTRY_ENV.contains(&e.name.as_str()) {
                        registry_env.push(item.clone());
                    }
                    if matches!(
                        role,
                        Some(CoderRole::Server | CoderRole::Provisioner | CoderRole::Proxy)
                    ) || e.name.starts_with("CODER_")
                    {
                        literal_high.push(item);
                    } else {
                        literal.push(item);
                    }
                }
            }
            let image = c.image.as_str();
            if image.is_empty() {
                continue;
            }
            if !image.contains("@sha256:") {
                let last = image.rsplit('/').next().unwrap_or(image);
                let tag = last.split_once(':').map(|x| x.1);
                if tag.is_none_or(|t| t == "latest") {
                    mutable.push(format!("{r} ({image})"));
                }
            }
            if role.is_some() && PUBLIC_REGISTRIES.contains(&registry_host(image)) {
                public.insert(format!("{r} ({image})"));
            }
        }
    }
    if !literal_high.is_empty() {
        out.push(Finding::new(
            FindingCode::SecretLiteralEnv,
            Severity::High,
            format!(
                "{} Coder secrets are literal env values",
                literal_high.len()
            ),
            complete(literal_high),
        ));
    }
    if !literal.is_empty() {
        out.push(Finding::new(
            FindingCode::SecretLiteralEnv,
            Severity::Medium,
            format!("{} secrets are literal env values", literal.len()),
            complete(literal),
        ));
    }
    if !mutable.is_empty() {
        out.push(Finding::new(
            FindingCode::MutableImageTag,
            Severity::Low,
            format!("{} containers use a mutable image tag", mutable.len()),
            complete(mutable),
        ));
    }
    if !public.is_empty() {
        out.push(Finding::new(
            FindingCode::PublicRegistryImage,
            Severity::Low,
            format!(
                "{} Coder containers pull from public registries",
                public.len()
            ),
            complete(public.into_iter().collect()),
        ));
    }
    // Registry credentials reachable from workspaces or shared across namespaces.
    let ws = input.workspace_namespaces();
    let mut scope = registry_env;
    let mut hosts: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in &inv.secrets {
        if s.kind != "kubernetes.io/dockerconfigjson" && s.kind != "kubernetes.io/dockercfg" {
            continue;
        }
        if ws.contains(&s.metadata.namespace) {
            scope.push(format!(
                "{} (in a workspace namespace)",
                nref("Secret", &s.metadata.namespace, &s.metadata.name)
            ));
        }
        for h in s.registry_hosts() {
            hosts
                .entry(h)
                .or_default()
                .insert(s.metadata.namespace.clone());
        }
    }
    for (h, nss) in hosts {
        if nss.len() > 1 {
            scope.push(format!(
                "Registry/{h} (credentials in {} namespaces)",
                nss.len()
            ));
        }
    }
    if !scope.is_empty() {
        out.push(Finding::new(
            FindingCode::RegistryCredentialScope,
            Severity::Medium,
            "registry credentials are reachable from workspaces or shared across namespaces",
            complete(scope),
        ));
    }
}

/// Password login beside an identity provider, sharpened by the Coder API capture: which login
/// methods coderd really offers (`authmethods`), which active users log in with a password, and
/// how many hold `owner`. Users are named `CoderUser/ID` (the capture keeps no names).
fn coder_users(
    input: &Input<'_>,
    oidc: bool,
    github: bool,
    coderd: &[String],
    out: &mut Vec<Finding>,
) {
    let coder = input.coder;
    let methods = coder.auth_methods;
    let idp = methods.map_or(oidc || github, |m| m.oidc || m.github);
    let password = methods.map_or(!coder.flag("CODER_DISABLE_PASSWORD_AUTH", false), |m| {
        m.password
    });
    let user_ref = |u: &crate::coder::CoderUser| format!("CoderUser/{}", u.id);
    let owner = |u: &crate::coder::CoderUser| u.roles.iter().any(|r| r == "owner");
    if idp && password {
        let by_password: Vec<&crate::coder::CoderUser> = coder
            .users
            .iter()
            .filter(|u| u.active() && u.login_type == "password")
            .collect();
        let owners = by_password.iter().filter(|u| owner(u)).count();
        let (severity, title) = if coder.users.is_empty() {
            (
                Severity::Low,
                "password login stays enabled beside the identity provider".to_string(),
            )
        } else if by_password.is_empty() {
            (
                Severity::Low,
                "password login stays enabled beside the identity provider (no user who can log in uses it)"
                    .to_string(),
            )
        } else if owners > 0 {
            (
                Severity::High,
                format!(
                    "{} users log in with a password beside the identity provider, {owners} of them owners (suspended users left out)",
                    by_password.len()
                ),
            )
        } else {
            (
                Severity::Medium,
                format!(
                    "{} users log in with a password beside the identity provider (suspended users left out)",
                    by_password.len()
                ),
            )
        };
        let mut objs = complete(by_password.iter().map(|u| user_ref(u)).collect());
        objs.extend(coderd.iter().cloned());
        out.push(Finding::new(
            FindingCode::LoginTypeConversion,
            severity,
            title,
            objs,
        ));
    }
    let owners: Vec<String> = coder
        .users
        .iter()
        .filter(|u| u.active() && owner(u))
        .map(user_ref)
        .collect();
    if owners.len() > 3 {
        out.push(Finding::new(
            FindingCode::CoderOwners,
            Severity::Medium,
            format!(
                "{} Coder users who can log in hold the owner role",
                owners.len()
            ),
            complete(owners),
        ));
    }
}
