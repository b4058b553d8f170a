//! What a test server serves and to whom: scenario paths, identities, faults, the version it reports.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

/// Group that may impersonate and that every default admin belongs to.
pub const MASTERS_GROUP: &str = "system:masters";

/// Group every authenticated user belongs to; added when an identity does not list it.
pub const AUTHENTICATED_GROUP: &str = "system:authenticated";

/// Everything a [`crate::TestServer`] (or [`crate::ServerState`]) is built from.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Scenario files and folders, read with `coder_sec_model::manifests::load_paths`.
    pub scenarios: Vec<PathBuf>,
    /// Who may call the server. Empty means one `admin` identity (see [`IdentitySpec::admin`]).
    pub identities: Vec<IdentitySpec>,
    /// Injected faults; all off by default.
    pub faults: Faults,
    /// `gitVersion` answered on `/version` (default `v1.32.4`).
    pub server_version: String,
    /// Print each answered request to stderr (`METHOD URI -> STATUS (user)`).
    pub log_requests: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            scenarios: Vec::new(),
            identities: Vec::new(),
            faults: Faults::default(),
            server_version: "v1.32.4".to_string(),
            log_requests: false,
        }
    }
}

impl ServerOptions {
    /// The identities in force: the configured ones, or the default admin when none are given.
    pub fn effective_identities(&self) -> Vec<IdentitySpec> {
        if self.identities.is_empty() {
            vec![IdentitySpec::admin()]
        } else {
            self.identities.clone()
        }
    }
}

/// One caller of the server: a bearer token mapped to a user, its groups and what it may not list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySpec {
    /// Name of the identity; also its kubeconfig context and user name.
    pub name: String,
    /// Bearer token that authenticates it.
    pub token: String,
    /// User name the server sees (`auth whoami`'s Username).
    pub user: String,
    /// Groups of the user. `system:authenticated` is added when missing.
    pub groups: Vec<String>,
    /// Resources this identity may not read: plurals (`secrets`), `plural.group` (`deployments.apps`),
    /// or `ns:NAME` for every namespaced resource in namespace `NAME`.
    pub deny: Vec<String>,
}

impl IdentitySpec {
    /// The default identity: `admin`, token `admin-token`, groups `system:masters` and
    /// `system:authenticated`, nothing denied.
    pub fn admin() -> Self {
        IdentitySpec {
            name: "admin".to_string(),
            token: "admin-token".to_string(),
            user: "admin".to_string(),
            groups: vec![MASTERS_GROUP.to_string(), AUTHENTICATED_GROUP.to_string()],
            deny: Vec::new(),
        }
    }

    /// Whether this identity belongs to `system:masters` (and so may impersonate).
    pub fn is_master(&self) -> bool {
        self.groups.iter().any(|g| g == MASTERS_GROUP)
    }
}

/// Parses `NAME:TOKEN[:user=U,groups=G1;G2,deny=secrets;configmaps]`. The user defaults to `NAME`;
/// groups default to none (plus `system:authenticated`).
pub fn parse_identity(spec: &str) -> anyhow::Result<IdentitySpec> {
    let mut parts = spec.splitn(3, ':');
    let name = parts.next().unwrap_or("").trim();
    let token = parts.next().unwrap_or("").trim();
    if name.is_empty() || token.is_empty() {
        bail!("identity `{spec}` needs at least `NAME:TOKEN`");
    }
    let mut identity = IdentitySpec {
        name: name.to_string(),
        token: token.to_string(),
        user: name.to_string(),
        groups: Vec::new(),
        deny: Vec::new(),
    };
    let list = |v: &str| -> Vec<String> {
        v.split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    if let Some(rest) = parts.next() {
        // Values may contain `:` (group names such as `system:masters`), so split on `,` then `=`.
        for field in rest.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            let Some((key, value)) = field.split_once('=') else {
                bail!("identity `{spec}`: `{field}` is not `key=value`");
            };
            match key.trim() {
                "user" => identity.user = value.trim().to_string(),
                "groups" => identity.groups = list(value),
                "deny" => identity.deny = list(value),
                other => bail!(
                    "identity `{spec}`: unknown field `{other}`\nhint: the fields are `user`, `groups` and `deny`"
                ),
            }
        }
    }
    if identity.user.is_empty() {
        bail!("identity `{spec}` has an empty user");
    }
    Ok(identity)
}

/// Reads identities from a file: one [`parse_identity`] spec per line; blank lines and lines starting
/// with `#` are skipped.
pub fn read_identities_file(path: &Path) -> anyhow::Result<Vec<IdentitySpec>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read identities file `{}`", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(
            parse_identity(line).with_context(|| format!("`{}` line {}", path.display(), i + 1))?,
        );
    }
    Ok(out)
}

/// Faults injected into resource requests (lists and gets; `/version`, discovery and access reviews
/// only when [`Faults::include_discovery`] is set). Decisions come from a generator seeded with
/// [`Faults::seed`] and advanced once per faultable request, so a sequential client sees the same
/// faults on every run.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Share of requests answered 429 `TooManyRequests` with `Retry-After: 1`.
    pub rate_429: f64,
    /// Share of requests answered 500 `InternalError`.
    pub rate_500: f64,
    /// Share of requests whose connection is closed without a response (over HTTPS; through
    /// [`crate::router`] they are answered 503, through [`crate::service`] they fail as a transport error).
    pub rate_drop: f64,
    /// Continue tokens stop working after this many pages of one list: asking for page `N + 1` is
    /// answered 410 `Expired`.
    pub expire_continue_after_pages: Option<u32>,
    /// Delay added before answering each faultable request.
    pub latency: Duration,
    /// Seed of the fault generator.
    pub seed: u64,
    /// Also fault and delay `/version`, discovery and access reviews.
    pub include_discovery: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            rate_429: 0.0,
            rate_500: 0.0,
            rate_drop: 0.0,
            expire_continue_after_pages: None,
            latency: Duration::ZERO,
            seed: 0,
            include_discovery: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_identity() {
        let id = parse_identity(
            "viewer:tok:user=alice,groups=dev;system:authenticated,deny=secrets;ns:kube-system",
        )
        .unwrap();
        assert_eq!(id.name, "viewer");
        assert_eq!(id.token, "tok");
        assert_eq!(id.user, "alice");
        assert_eq!(id.groups, ["dev", "system:authenticated"]);
        assert_eq!(id.deny, ["secrets", "ns:kube-system"]);
    }

    #[test]
    fn user_defaults_to_name() {
        let id = parse_identity("bob:t").unwrap();
        assert_eq!(id.user, "bob");
        assert!(id.groups.is_empty());
    }

    #[test]
    fn rejects_bad_specs() {
        assert!(parse_identity("nobody").is_err());
        assert!(parse_identity("a:b:colour=red").is_err());
        assert!(parse_identity("a:b:user").is_err());
    }
}
