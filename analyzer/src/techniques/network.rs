//! Network: exposures (LoadBalancer/NodePort Services, Ingresses) as entry vertices with edges to the
//! pods they route to (NetworkPolicy evaluation is [`crate::netpol`]).

use crate::catalog::Technique;
use crate::graph::VertexKind;
use crate::netpol::service_pods;

use super::Ctx;

/// Adds exposure vertices and their edges.
pub fn add(ctx: &mut Ctx<'_>) {
    let inv = ctx.inv;
    for s in &inv.services {
        let kind = s.spec.kind.as_deref().unwrap_or("ClusterIP");
        if kind != "LoadBalancer" && kind != "NodePort" {
            continue;
        }
        let ns = &s.metadata.namespace;
        let pods = service_pods(inv, ns, &s.spec.selector);
        let ev = ctx.g.vertex(
            VertexKind::Exposure,
            format!("Exposure/Service/{ns}/{}", s.metadata.name),
        );
        for i in pods {
            if inv.pods[i].finished() {
                continue;
            }
            let pv = ctx.pod(i);
            ctx.g.edge(
                ev,
                pv,
                Technique::ExposureService,
                Some(format!("{kind} Service")),
            );
        }
    }
    for (i, p) in inv.pods.iter().enumerate() {
        if p.finished() || p.template_of.is_some() {
            continue;
        }
        for c in &p.spec.containers {
            for port in &c.ports {
                let Some(hp) = port.host_port.filter(|h| *h > 0) else {
                    continue;
                };
                let ev = ctx.g.vertex(
                    VertexKind::Exposure,
                    format!(
                        "Exposure/HostPort/{}/{}/{hp}",
                        p.metadata.namespace, p.metadata.name
                    ),
                );
                let pv = ctx.pod(i);
                ctx.g.edge(
                    ev,
                    pv,
                    Technique::ExposureService,
                    Some(format!("hostPort {hp} of container `{}`", c.name)),
                );
            }
        }
    }
    for ing in &inv.ingresses {
        let ns = &ing.metadata.namespace;
        let ev = ctx.g.vertex(
            VertexKind::Exposure,
            format!("Exposure/Ingress/{ns}/{}", ing.metadata.name),
        );
        for svc in ing.backend_services() {
            let Some(s) = inv.service(ns, &svc) else {
                continue;
            };
            for i in service_pods(inv, ns, &s.spec.selector) {
                let pv = ctx.pod(i);
                ctx.g.edge(
                    ev,
                    pv,
                    Technique::ExposureIngress,
                    Some(format!("via Service `{svc}`")),
                );
            }
        }
    }
}
