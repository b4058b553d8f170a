//! What the server serves: `/api/v1` and `/apis` + `/apis/G/V` resource lists, reduced to the kinds of
//! [`KINDS`] it offers.

use std::collections::{BTreeMap, BTreeSet};

use coder_sec_model::{KINDS, KindSpec};
use serde::Deserialize;

use super::request::{RequestError, Requester};

/// The served plurals per group/version, and the API groups.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// `group/version` (`v1` for core) → plural resource names served there.
    served: BTreeMap<String, BTreeSet<String>>,
    /// Every API group name the server lists.
    pub groups: BTreeSet<String>,
    /// Group versions whose resource list could not be read (and why).
    pub failures: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct GroupList {
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    name: String,
    #[serde(default)]
    versions: Vec<GroupVersion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupVersion {
    group_version: String,
}

#[derive(Deserialize)]
struct ResourceList {
    #[serde(default)]
    resources: Vec<Resource>,
}

#[derive(Deserialize)]
struct Resource {
    name: String,
}

/// What serving looks like for one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// Listed by discovery.
    Yes,
    /// Not listed by discovery.
    No,
    /// Discovery of its group version failed: try listing anyway.
    Unknown,
}

impl Discovery {
    /// Reads discovery for the group versions of [`KINDS`]. `/apis` failing is an error; one group
    /// version failing is recorded and its kinds are tried anyway.
    pub async fn read(api: &Requester) -> Result<Self, RequestError> {
        let mut discovery = Discovery::default();
        let groups: GroupList = api.get_json("/apis").await?;
        let mut offered: BTreeSet<String> = BTreeSet::from(["v1".to_string()]);
        for g in groups.groups {
            for v in g.versions {
                offered.insert(v.group_version);
            }
            discovery.groups.insert(g.name);
        }
        let wanted: BTreeSet<String> = KINDS.iter().map(|k| k.api_version()).collect();
        for gv in wanted.intersection(&offered) {
            let path = if gv == "v1" {
                "/api/v1".to_string()
            } else {
                format!("/apis/{gv}")
            };
            match api.get_json::<ResourceList>(&path).await {
                Ok(list) => {
                    discovery.served.insert(
                        gv.clone(),
                        list.resources
                            .into_iter()
                            .map(|r| r.name)
                            .filter(|n| !n.contains('/'))
                            .collect(),
                    );
                }
                Err(e) => discovery.failures.push((gv.clone(), e.to_string())),
            }
        }
        Ok(discovery)
    }

    /// Whether the server serves `spec`.
    pub fn serves(&self, spec: &KindSpec) -> Served {
        let gv = spec.api_version();
        if self.failures.iter().any(|(f, _)| *f == gv) {
            return Served::Unknown;
        }
        match self.served.get(&gv) {
            Some(plurals) if plurals.contains(spec.plural) => Served::Yes,
            _ => Served::No,
        }
    }

    /// A discovery that serves every kind (tests, and a fallback).
    pub fn everything() -> Self {
        let mut d = Discovery::default();
        for k in KINDS {
            d.served
                .entry(k.api_version())
                .or_default()
                .insert(k.plural.to_string());
            if !k.group.is_empty() {
                d.groups.insert(k.group.to_string());
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::retry::RetryPolicy;
    use axum::http::StatusCode;
    use axum::routing::get;
    use coder_sec_model::kinds::lookup;

    #[tokio::test]
    async fn served_missing_and_unknown() {
        let router = axum::Router::new()
            .route(
                "/apis",
                get(|| async {
                    r#"{"kind":"APIGroupList","groups":[
                        {"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}]},
                        {"name":"rbac.authorization.k8s.io","versions":[{"groupVersion":"rbac.authorization.k8s.io/v1","version":"v1"}]},
                        {"name":"cert-manager.io","versions":[{"groupVersion":"cert-manager.io/v1","version":"v1"}]}]}"#
                }),
            )
            .route(
                "/api/v1",
                get(|| async {
                    r#"{"resources":[{"name":"pods"},{"name":"pods/log"},{"name":"secrets"}]}"#
                }),
            )
            .route("/apis/apps/v1", get(|| async { r#"{"resources":[{"name":"deployments"}]}"# }))
            .route(
                "/apis/rbac.authorization.k8s.io/v1",
                get(|| async { (StatusCode::FORBIDDEN, r#"{"message":"no"}"#) }),
            )
            .route(
                "/apis/cert-manager.io/v1",
                get(|| async { r#"{"resources":[{"name":"certificates"}]}"# }),
            );
        let api = Requester::new(kube::Client::new(router, "default"), RetryPolicy::default());
        let d = Discovery::read(&api).await.unwrap();
        let kind = |av, k| lookup(av, k).unwrap();
        assert_eq!(d.serves(kind("v1", "Pod")), Served::Yes);
        assert_eq!(d.serves(kind("v1", "Node")), Served::No);
        assert_eq!(d.serves(kind("apps/v1", "Deployment")), Served::Yes);
        assert_eq!(d.serves(kind("apps/v1", "DaemonSet")), Served::No);
        assert_eq!(
            d.serves(kind("cert-manager.io/v1", "Certificate")),
            Served::Yes
        );
        assert_eq!(
            d.serves(kind("cilium.io/v2", "CiliumNetworkPolicy")),
            Served::No
        );
        assert_eq!(d.serves(kind("batch/v1", "Job")), Served::No);
        assert_eq!(
            d.serves(kind("rbac.authorization.k8s.io/v1", "Role")),
            Served::Unknown
        );
        assert_eq!(d.failures.len(), 1);
        assert!(d.groups.contains("cert-manager.io"));
    }
}
