//! Finds Coder in the objects as they stream past (already trimmed and redacted): coderd, provisioner
//! and workspace-proxy Deployments and their Helm releases. Keeps small records keyed by object, so a
//! list restarted after a 410 is seen twice without double counting, and never a whole list. The
//! workspaces (one object each, many of them) are summarised after listing, from the spooled kinds:
//! see [`crate::coder::workspaces`].

use std::collections::{BTreeMap, BTreeSet};

use crate::coder::view::PodSpecView;
use coder_sec_model::coder::CoderRole;

use coder_sec_model::KindSpec;
use serde::Serialize;
use serde_json::{Value, json};

const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
const CHART_LABEL: &str = "helm.sh/chart";
const RELEASE_ANNOTATION: &str = "meta.helm.sh/release-name";
const HELM_RELEASE_TYPE: &str = "helm.sh/release.v1";
const HELM_SECRET_PREFIX: &str = "sh.helm.release.v1.";

/// What a Coder Deployment does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// `coder server`.
    Coderd,
    /// `coder provisionerd start` (the `coder-provisioner` chart).
    Provisioner,
    /// `coder wsproxy server`.
    Wsproxy,
}

/// One Coder Deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct CoderDeployment {
    /// What it runs.
    pub role: Role,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Helm release (`app.kubernetes.io/instance` or `meta.helm.sh/release-name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// `helm.sh/chart` label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
    /// The Coder container's image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `spec.replicas`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u64>,
    /// `spec.template.spec.serviceAccountName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Why it was taken for Coder.
    pub detected_by: Vec<String>,
}

/// Classifies and records Coder objects. Feed it every object of the kinds it cares for.
#[derive(Debug, Default)]
pub struct CoderDetector {
    coder_namespace: Option<String>,
    deployments: BTreeMap<(String, String), CoderDeployment>,
    helm: BTreeMap<(String, String), Value>,
}

impl CoderDetector {
    /// A detector that looks for coderd only in `coder_namespace`, if given.
    pub fn new(coder_namespace: Option<String>) -> Self {
        CoderDetector {
            coder_namespace,
            ..CoderDetector::default()
        }
    }

    /// Looks at one (redacted) object.
    pub fn observe(&mut self, spec: &KindSpec, object: &Value) {
        match (spec.group, spec.kind) {
            // Workspace Deployments classify as workspaces, not as Coder's own.
            ("apps", "Deployment") => self.observe_deployment(object),
            ("", "Secret") => self.observe_secret(object),
            _ => {}
        }
    }

    fn in_scope(&self, namespace: &str) -> bool {
        self.coder_namespace
            .as_deref()
            .is_none_or(|ns| ns == namespace)
    }

    fn observe_deployment(&mut self, object: &Value) {
        let namespace = str_at(object, "/metadata/namespace")
            .unwrap_or("")
            .to_string();
        let name = str_at(object, "/metadata/name").unwrap_or("").to_string();
        if !self.in_scope(&namespace) {
            return;
        }
        if let Some(found) = classify_deployment(object) {
            self.deployments.insert((namespace, name), found);
        }
    }

    fn observe_secret(&mut self, object: &Value) {
        if str_at(object, "/type") != Some(HELM_RELEASE_TYPE) {
            return;
        }
        let namespace = str_at(object, "/metadata/namespace")
            .unwrap_or("")
            .to_string();
        let secret = str_at(object, "/metadata/name").unwrap_or("").to_string();
        let Some(release) = object.pointer("/redacted/helmRelease") else {
            return;
        };
        let (name_from_secret, revision_from_secret) = parse_release_secret_name(&secret);
        let release_name = str_at(release, "/name")
            .map(str::to_string)
            .or_else(|| label(object, "name").map(str::to_string))
            .or(name_from_secret);
        let chart = str_at(release, "/chart/name")
            .or_else(|| str_at(release, "/chart/metadata/name"))
            .map(str::to_string);
        let is_coder = chart.as_deref().is_some_and(|c| c.starts_with("coder"))
            || release_name.as_deref().is_some_and(|r| r.contains("coder"));
        if !is_coder || !self.in_scope(&namespace) {
            return;
        }
        let revision = release
            .get("revision")
            .or_else(|| release.get("version"))
            .and_then(Value::as_u64)
            .or(revision_from_secret);
        let record = json!({
            "namespace": namespace,
            "secret": secret,
            "release": release_name,
            "revision": revision,
            "chart": chart,
            "status": str_at(release, "/status").or_else(|| label(object, "status")),
            "helmRelease": release,
        });
        self.helm.insert((namespace, secret), record);
    }

    /// Namespace and name of every Coder Deployment found, by role.
    pub fn deployments(&self) -> impl Iterator<Item = &CoderDeployment> {
        self.deployments.values()
    }

    /// `coder/deployments.json`.
    pub fn deployments_document(&self) -> Value {
        let of = |role: Role| -> Vec<&CoderDeployment> {
            self.deployments
                .values()
                .filter(|d| d.role == role)
                .collect()
        };
        let namespaces: BTreeSet<&str> = self
            .deployments
            .values()
            .map(|d| d.namespace.as_str())
            .collect();
        let mut releases: BTreeSet<(&str, &str)> = self
            .deployments
            .values()
            .filter_map(|d| Some((d.namespace.as_str(), d.release.as_deref()?)))
            .collect();
        for record in self.helm.values() {
            if let (Some(ns), Some(name)) = (
                record.get("namespace").and_then(Value::as_str),
                record.get("release").and_then(Value::as_str),
            ) {
                releases.insert((ns, name));
            }
        }
        json!({
            "coder-namespace": self.coder_namespace,
            "coderd": of(Role::Coderd),
            "provisioners": of(Role::Provisioner),
            "wsproxies": of(Role::Wsproxy),
            "namespaces": namespaces,
            "releases": releases
                .into_iter()
                .map(|(namespace, name)| json!({"namespace": namespace, "name": name}))
                .collect::<Vec<_>>(),
        })
    }

    /// The Helm release records for `coder/helm-releases.jsonl`, sorted by namespace and secret.
    pub fn helm_records(&self) -> impl Iterator<Item = &Value> {
        self.helm.values()
    }
}

/// Decides whether a Deployment runs Coder, and as what, with the classifier the analysis uses
/// ([`coder_sec_model::coder::classify`]) over the Deployment's and its template's labels and the
/// template's containers. Workspaces are not Coder Deployments.
pub fn classify_deployment(object: &Value) -> Option<CoderDeployment> {
    let string_labels = |pointer: &str| {
        object
            .pointer(pointer)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
    };
    let spec = PodSpecView::of(object.pointer("/spec/template/spec"));
    let found = spec.classify(
        string_labels("/metadata/labels").chain(string_labels("/spec/template/metadata/labels")),
    )?;
    let role = match found.role {
        CoderRole::Server => Role::Coderd,
        CoderRole::Provisioner => Role::Provisioner,
        CoderRole::Proxy => Role::Wsproxy,
        CoderRole::Workspace => return None,
    };
    let containers = object
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let image = found
        .container
        .and_then(|i| containers.get(i))
        .or(containers.first())
        .and_then(|c| str_at(c, "/image"));
    let detected_by = found.detected_by;
    let release = label(object, INSTANCE_LABEL)
        .or_else(|| {
            str_at(
                object,
                &format!("/metadata/annotations/{}", escape(RELEASE_ANNOTATION)),
            )
        })
        .map(str::to_string);
    Some(CoderDeployment {
        role,
        namespace: str_at(object, "/metadata/namespace")
            .unwrap_or("")
            .to_string(),
        name: str_at(object, "/metadata/name").unwrap_or("").to_string(),
        release,
        chart: label(object, CHART_LABEL).map(str::to_string),
        image: image.map(str::to_string),
        replicas: object.pointer("/spec/replicas").and_then(Value::as_u64),
        service_account: str_at(object, "/spec/template/spec/serviceAccountName")
            .map(str::to_string),
        detected_by,
    })
}

/// `sh.helm.release.v1.NAME.vREV` → (NAME, REV).
fn parse_release_secret_name(secret: &str) -> (Option<String>, Option<u64>) {
    let Some(rest) = secret.strip_prefix(HELM_SECRET_PREFIX) else {
        return (None, None);
    };
    match rest.rsplit_once(".v") {
        Some((name, rev)) => (Some(name.to_string()), rev.parse().ok()),
        None => (Some(rest.to_string()), None),
    }
}

fn str_at<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn label<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object
        .pointer("/metadata/labels")
        .and_then(|l| l.get(key))
        .and_then(Value::as_str)
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use coder_sec_model::kinds::lookup;

    fn deployment(ns: &str, name: &str, labels: Value, image: &str, args: &[&str]) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"namespace": ns, "name": name, "labels": labels},
            "spec": {"replicas": 1, "template": {"spec": {
                "serviceAccountName": "coder",
                "containers": [{"name": "coder", "image": image, "command": ["/opt/coder"], "args": args}]
            }}}
        })
    }

    #[test]
    fn coder_v1_and_workspace_deployments() {
        let v1 = deployment(
            "coder",
            "coderd",
            json!({"coder.deployment": "coderd"}),
            "docker.io/coderenvs/coder-service:1.44.0",
            &[],
        );
        let d = classify_deployment(&v1).unwrap();
        assert_eq!(d.role, Role::Coderd);
        assert!(
            d.detected_by
                .iter()
                .any(|r| r == "label coder.deployment=coderd"),
            "{:?}",
            d.detected_by
        );
        let ws = deployment(
            "ws",
            "coder-alice-dev",
            json!({"app.kubernetes.io/name": "coder-workspace"}),
            "ghcr.io/coder/coder:v2",
            &[],
        );
        assert!(classify_deployment(&ws).is_none());
    }

    #[test]
    fn classifies_chart_and_image_deployments() {
        let chart = deployment(
            "coder",
            "coder",
            json!({"app.kubernetes.io/name": "coder", "app.kubernetes.io/instance": "coder", "helm.sh/chart": "coder-2.15.0"}),
            "ghcr.io/coder/coder:v2.15.0",
            &["server"],
        );
        let d = classify_deployment(&chart).unwrap();
        assert_eq!(d.role, Role::Coderd);
        assert_eq!(d.release.as_deref(), Some("coder"));
        assert_eq!(d.chart.as_deref(), Some("coder-2.15.0"));
        assert!(d.detected_by.iter().any(|r| r.contains("label")));

        let bare = deployment(
            "tools",
            "my-coder",
            json!({}),
            "registry.local/coder/coder:v2",
            &["server"],
        );
        assert_eq!(classify_deployment(&bare).unwrap().role, Role::Coderd);

        let prov = deployment(
            "coder",
            "coder-provisioner",
            json!({"app.kubernetes.io/name": "coder-provisioner"}),
            "ghcr.io/coder/coder:v2",
            &["provisionerd", "start"],
        );
        assert_eq!(classify_deployment(&prov).unwrap().role, Role::Provisioner);

        let proxy = deployment(
            "p",
            "proxy",
            json!({"app.kubernetes.io/name": "coder"}),
            "ghcr.io/coder/coder:v2",
            &["wsproxy", "server"],
        );
        assert_eq!(classify_deployment(&proxy).unwrap().role, Role::Wsproxy);

        let other = deployment(
            "web",
            "nginx",
            json!({"app.kubernetes.io/name": "nginx"}),
            "nginx:1",
            &[],
        );
        assert!(classify_deployment(&other).is_none());
    }

    #[test]
    fn workspace_deployments_are_not_coderd_and_scope_holds() {
        let deployments = lookup("apps/v1", "Deployment").unwrap();
        let mut det = CoderDetector::new(Some("coder".into()));
        // A workspace running Coder's image (a dogfooding template) is a workspace, not coderd.
        let ws = deployment(
            "coder",
            "coder-w1",
            json!({"app.kubernetes.io/name": "coder-workspace", "com.coder.workspace.id": "w1"}),
            "ghcr.io/coder/coder:v2",
            &["server"],
        );
        det.observe(deployments, &ws);
        let elsewhere = deployment(
            "other",
            "coder",
            json!({"app.kubernetes.io/name": "coder"}),
            "ghcr.io/coder/coder:v2",
            &["server"],
        );
        det.observe(deployments, &elsewhere);
        let here = deployment(
            "coder",
            "coder",
            json!({"app.kubernetes.io/name": "coder"}),
            "ghcr.io/coder/coder:v2",
            &["server"],
        );
        det.observe(deployments, &here);
        det.observe(deployments, &here);

        let doc = det.deployments_document();
        assert_eq!(doc["coderd"].as_array().unwrap().len(), 1, "{doc}");
        assert_eq!(doc["coderd"][0]["name"], "coder");
        assert_eq!(doc["coderd"][0]["namespace"], "coder");
        assert_eq!(doc["namespaces"], json!(["coder"]));
    }

    #[test]
    fn helm_release_records() {
        let secrets = lookup("v1", "Secret").unwrap();
        let mut det = CoderDetector::new(None);
        let secret = |name: &str, chart: &str| {
            json!({"kind": "Secret", "type": "helm.sh/release.v1",
                "metadata": {"namespace": "coder", "name": name, "labels": {"owner": "helm", "status": "deployed"}},
                "redacted": {"helmRelease": {"name": name.split('.').nth(4).unwrap(), "revision": 3,
                    "status": "deployed", "chart": {"name": chart, "version": "2.15.0"}, "config": {}}}})
        };
        det.observe(secrets, &secret("sh.helm.release.v1.coder.v3", "coder"));
        det.observe(
            secrets,
            &secret("sh.helm.release.v1.ingress.v1", "ingress-nginx"),
        );
        let records: Vec<_> = det.helm_records().collect();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0]["release"], "coder");
        assert_eq!(records[0]["revision"], 3);
        assert_eq!(records[0]["helmRelease"]["chart"]["name"], "coder");
        assert_eq!(records[0]["status"], "deployed");
        assert_eq!(
            parse_release_secret_name("sh.helm.release.v1.my.rel.v12"),
            (Some("my.rel".into()), Some(12))
        );
    }
}
