//! Coder: its principals (any user, template authors, owners), the database and its credential, Git
//! providers, the OIDC provider, and what a new workspace can do.

use crate::catalog::Technique;
use crate::coder::Setting;
use crate::graph::{VertexId, VertexKind};

use super::{ANY_NODE, Ctx};
use crate::graph::coder_vertices::*;

fn git_providers(ctx: &mut Ctx<'_>) -> Vec<VertexId> {
    let mut ids: Vec<String> = ctx.coder.external_auth.keys().cloned().collect();
    ids.sort();
    let mut out: Vec<VertexId> = ids
        .iter()
        .map(|id| {
            ctx.g
                .vertex(VertexKind::GitProvider, format!("GitProvider/{id}"))
        })
        .collect();
    out.push(ctx.g.vertex(VertexKind::GitProvider, GIT_SSH_KEY));
    out
}

/// Coder principals, the database and identity providers.
pub fn add_principals(ctx: &mut Ctx<'_>) {
    if !ctx.coder.present() {
        return;
    }
    let inv = ctx.inv;
    let coder = ctx.coder;
    let any_user = ctx.g.vertex(VertexKind::Coder, ANY_USER);
    let author = ctx.g.vertex(VertexKind::Coder, TEMPLATE_AUTHOR);
    let owner = ctx.g.vertex(VertexKind::Coder, OWNER);
    let db = ctx.g.vertex(VertexKind::Coder, DATABASE);
    let _ = any_user;
    ctx.g
        .edge(owner, author, Technique::CoderOwnerTemplates, None);
    ctx.g.edge(db, owner, Technique::CoderDbOwner, None);
    let encrypted = matches!(
        coder.setting("CODER_EXTERNAL_TOKEN_ENCRYPTION_KEYS"),
        Some(Setting::Redacted | Setting::SecretRef { .. })
    );
    for gp in git_providers(ctx) {
        if ctx.g.reference(gp) == GIT_SSH_KEY {
            // SSH private keys are stored in the database in clear.
            ctx.g.edge(
                db,
                gp,
                Technique::CoderDbOauthTokens,
                Some("users' Git SSH private keys".into()),
            );
        } else {
            let how = if encrypted {
                "tokens encrypted; the key is in coderd's env"
            } else {
                "tokens stored in clear"
            };
            ctx.g
                .edge(db, gp, Technique::CoderDbOauthTokens, Some(how.into()));
        }
    }
    if let Some((ns, name)) = &coder.db_secret {
        let s = ctx.secret(ns, name);
        ctx.g.edge(
            s,
            db,
            Technique::CoderDbCredential,
            Some("`CODER_PG_CONNECTION_URL`".into()),
        );
    }
    // v1's built-in TimescaleDB: its own pod is the database.
    for &i in &coder.database_pods {
        let pv = ctx.pod(i);
        ctx.g.edge(
            pv,
            db,
            Technique::CoderDbCredential,
            Some("the built-in database's own pod".into()),
        );
    }
    admin_password(ctx, owner);
    let daemons = coder
        .setting("CODER_PROVISIONER_DAEMONS")
        .and_then(Setting::value)
        .map(|v| v.trim() != "0")
        .unwrap_or(true);
    for &i in &coder.coderd_pods {
        let p = &inv.pods[i];
        let pv = ctx.pod(i);
        ctx.g.edge(
            pv,
            db,
            Technique::CoderDbCredential,
            Some("coderd holds the database URL".into()),
        );
        // v1 has no Terraform templates: its workspace templates run nothing inside coderd.
        if daemons && !coder.v1 {
            let sa = ctx.sa(&p.metadata.namespace, p.service_account());
            ctx.g.edge(
                author,
                sa,
                Technique::CoderTemplateProvisioner,
                Some("built-in provisioners run Terraform inside coderd".into()),
            );
        }
    }
    for &i in &coder.provisioner_pods {
        let p = &inv.pods[i];
        let sa = ctx.sa(&p.metadata.namespace, p.service_account());
        ctx.g.edge(
            author,
            sa,
            Technique::CoderTemplateProvisioner,
            Some("external provisioner".into()),
        );
    }
    // Identity providers with open sign-up.
    if let Some(issuer) = coder.oidc_issuer() {
        let ov = ctx.g.vertex(VertexKind::Oidc, format!("OIDC/{issuer}"));
        if coder.oidc_signups_open() {
            ctx.g.edge(
                ov,
                any_user,
                Technique::CoderOpenSignup,
                Some("OIDC sign-ups without email domain or group restriction".into()),
            );
        }
    }
    if coder.flag("CODER_OAUTH2_GITHUB_ALLOW_SIGNUPS", false)
        && coder.flag("CODER_OAUTH2_GITHUB_ALLOW_EVERYONE", false)
    {
        let ov = ctx.g.vertex(VertexKind::Oidc, "OIDC/github.com");
        ctx.g.edge(
            ov,
            any_user,
            Technique::CoderOpenSignup,
            Some("GitHub sign-ups allow everyone".into()),
        );
    }
}

/// v1: the site admin's password in a Secret (`SUPER_ADMIN_PASSWORD`) logs in as the site admin.
fn admin_password(ctx: &mut Ctx<'_>, owner: VertexId) {
    let coder = ctx.coder;
    if !coder.v1 {
        return;
    }
    let Some(Setting::SecretRef { name, key }) = coder.setting("SUPER_ADMIN_PASSWORD") else {
        return;
    };
    for ns in coder.coderd_namespaces.clone() {
        let sv = ctx.secret(&ns, name);
        ctx.g.edge(
            sv,
            owner,
            Technique::CoderAdminPassword,
            Some(format!("`SUPER_ADMIN_PASSWORD` from key `{key}`")),
        );
    }
}

/// v1 dev URLs: coderd's `DEVURL_HOST` serves workspace ports at `*.HOST`. The exposure is
/// `Exposure/DevURL/NS` (coderd's namespace); the host, when the snapshot keeps it, is in the
/// detail (a hidden value still says dev URLs are on: an empty one is kept as it is).
fn dev_urls(ctx: &mut Ctx<'_>) {
    let coder = ctx.coder;
    if !coder.v1 {
        return;
    }
    let host = match coder.setting("DEVURL_HOST") {
        Some(Setting::Literal(h)) if h.trim().is_empty() => return,
        Some(Setting::Literal(h)) => format!("`{}`", h.trim()),
        Some(_) => "a host the snapshot hides".to_string(),
        None => return,
    };
    let Some(ns) = coder.coderd_namespaces.iter().next() else {
        return;
    };
    let ev = ctx
        .g
        .vertex(VertexKind::Exposure, format!("Exposure/DevURL/{ns}"));
    for &i in &coder.workspace_pods {
        if ctx.inv.pods[i].finished() {
            continue;
        }
        let pv = ctx.pod(i);
        ctx.g.edge(
            ev,
            pv,
            Technique::CoderDevUrl,
            Some(format!("workspace ports at {host}")),
        );
    }
}

/// Workspaces: owner access, the owner's Git credentials, and what a new workspace can do.
pub fn add_workspaces(ctx: &mut Ctx<'_>) {
    if !ctx.coder.present() {
        return;
    }
    let inv = ctx.inv;
    let coder = ctx.coder;
    let owner_access = !coder.flag("CODER_DISABLE_OWNER_WORKSPACE_ACCESS", false);
    let owner = ctx.g.vertex(VertexKind::Coder, OWNER);
    let any_user = ctx.g.vertex(VertexKind::Coder, ANY_USER);
    let providers = git_providers(ctx);
    let any_node = ctx.g.vertex(VertexKind::Virtual, ANY_NODE);
    dev_urls(ctx);
    let mut by_ns: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for &i in &coder.workspace_pods {
        let p = &inv.pods[i];
        if p.finished() {
            continue;
        }
        by_ns
            .entry(p.metadata.namespace.clone())
            .or_default()
            .push(i);
        let pv = ctx.pod(i);
        if owner_access {
            ctx.g
                .edge(owner, pv, Technique::CoderOwnerWorkspaceAccess, None);
        }
        for &gp in &providers {
            ctx.g
                .edge(pv, gp, Technique::CoderAgentGitCredentials, None);
        }
    }
    // A workspace a user creates runs like the existing ones of its namespace, on any node.
    let workspace_refs: std::collections::BTreeSet<String> = coder
        .workspace_pods
        .iter()
        .map(|&i| crate::inventory::pod_ref(&inv.pods[i]))
        .collect();
    for (ns, pods) in by_ns {
        let nv = ctx
            .g
            .vertex(VertexKind::Coder, format!("Coder/new-workspace/{ns}"));
        ctx.g
            .edge(any_user, nv, Technique::CoderCreateWorkspace, None);
        let mut copies: Vec<(VertexId, Technique, Option<String>)> = Vec::new();
        for i in pods {
            let pv = ctx.pod(i);
            for (to, e) in ctx.g.out_edges(pv) {
                if e.technique == Technique::CoderAgentGitCredentials {
                    continue;
                }
                let r = ctx.g.reference(to);
                if workspace_refs.contains(r) {
                    continue;
                }
                // The new workspace has its own volumes: a hostPath escape leaves from it directly.
                let via: Vec<(VertexId, Technique, Option<String>)> =
                    if ctx.g.vertex_at(to).kind == VertexKind::Volume {
                        ctx.g
                            .out_edges(to)
                            .map(|(t, e)| (t, e.technique, ctx.g.detail(e).map(str::to_string)))
                            .collect()
                    } else {
                        vec![(to, e.technique, ctx.g.detail(e).map(str::to_string))]
                    };
                for (to, technique, detail) in via {
                    let to = if ctx.g.vertex_at(to).kind == VertexKind::Node {
                        any_node
                    } else {
                        to
                    };
                    copies.push((to, technique, detail));
                }
            }
        }
        for (to, t, d) in copies {
            ctx.g.edge(nv, to, t, d);
        }
    }
}
