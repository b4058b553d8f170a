//! Registries: pull-credential Secrets → the registries they open, and registry configs inlined as
//! literal env values (envbuilder) → a registry.

use coder_sec_model::redact::is_marker;

use crate::catalog::Technique;
use crate::graph::VertexKind;

use super::Ctx;

/// Env names that carry a whole registry config.
pub const REGISTRY_ENV: &[&str] = &[
    "ENVBUILDER_DOCKER_CONFIG_BASE64",
    "DOCKER_CONFIG_JSON",
    "DOCKER_AUTH_CONFIG",
    "KANIKO_DOCKER_CONFIG",
];

/// Adds registry edges.
pub fn add(ctx: &mut Ctx<'_>) {
    let inv = ctx.inv;
    for s in &inv.secrets {
        if s.kind != "kubernetes.io/dockerconfigjson" && s.kind != "kubernetes.io/dockercfg" {
            continue;
        }
        let sv = ctx.secret(&s.metadata.namespace, &s.metadata.name);
        let mut hosts = s.registry_hosts();
        if hosts.is_empty() {
            hosts.push("unknown".into());
        }
        for h in hosts {
            let rv = ctx.g.vertex(VertexKind::Registry, format!("Registry/{h}"));
            ctx.g
                .edge(sv, rv, Technique::SecretRegistryCredential, None);
        }
    }
    for (i, p) in inv.pods.iter().enumerate() {
        for c in p.all_containers() {
            for e in &c.env {
                if REGISTRY_ENV.contains(&e.name.as_str())
                    && e.value.as_deref().is_some_and(is_marker)
                {
                    let pv = ctx.pod(i);
                    let rv = ctx
                        .g
                        .vertex(VertexKind::Registry, format!("Registry/env:{}", e.name));
                    ctx.g.edge(
                        pv,
                        rv,
                        Technique::EnvRegistryCredential,
                        Some(format!("container `{}`", c.name)),
                    );
                }
            }
        }
    }
}
