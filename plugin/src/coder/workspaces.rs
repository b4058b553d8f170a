//! The Coder workspace summary, built after listing from the spooled (trimmed, redacted and sorted)
//! pods, deployments and volume claims, one line at a time: memory holds one object and the counts,
//! never a list of workspaces, and a kind restarted after a 410 is read once (its spool was
//! replaced).
//!
//! Writes `coder/workspaces.jsonl` (one line per workspace object: kind, namespace, name and the
//! `com.coder.*` labels naming the workspace and its owner, never the owner's e-mail) and
//! `coder/workspaces.json` (the counts).

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::BufRead;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::coder::view::{PodSpecView, string_labels};
use coder_sec_model::coder::CoderRole;

use coder_sec_model::coder::WORKSPACE_ID_LABEL;

/// The kinds a workspace is made of, in the order they are summarised: `(API group, kind, counts
/// key)`.
pub const WORKSPACE_KINDS: [(&str, &str, &str); 3] = [
    ("apps", "Deployment", "deployments"),
    ("", "PersistentVolumeClaim", "persistentvolumeclaims"),
    ("", "Pod", "pods"),
];

/// Whether labels (looked up by `label`) mark a workspace object: the shared classifier's label
/// rule ([`coder_sec_model::coder::is_workspace_labelled`]): the templates'
/// `app.kubernetes.io/name=coder-workspace|coder-pvc`, a `com.coder.workspace.*` label, or
/// `com.coder.resource=true` on anything that is not coderd itself.
pub fn is_workspace<'a>(
    label: impl Fn(&str) -> Option<&'a str>,
    keys: impl Iterator<Item = &'a str>,
) -> bool {
    coder_sec_model::coder::is_workspace_labelled(label, keys)
}

/// One line of `coder/workspaces.jsonl`.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub struct WorkspaceObject<'a> {
    /// `Pod`, `Deployment` or `PersistentVolumeClaim`.
    pub kind: &'a str,
    /// Namespace.
    pub namespace: &'a str,
    /// Name.
    pub name: &'a str,
    /// `com.coder.workspace.id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<&'a str>,
    /// `com.coder.workspace.name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace_name: Option<&'a str>,
    /// `com.coder.user.username`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<&'a str>,
    /// `com.coder.user.id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<&'a str>,
}

/// The metadata of a spooled object, and its pod spec (a pod's, or a Deployment's template's) as
/// far as the classifier reads it.
#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    spec: Option<Value>,
}

#[derive(Default, Deserialize)]
struct Metadata {
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    labels: BTreeMap<String, Value>,
}

/// Counts while the summary is built.
#[derive(Debug, Default)]
pub struct WorkspaceSummary {
    objects: BTreeMap<&'static str, u64>,
    /// Hashes of the workspace ids seen: 8 bytes per workspace, not its records.
    ids: HashSet<u64>,
    /// Workspace objects without an id: each counts as its own workspace.
    without_id: u64,
    /// Lines that were not JSON objects with metadata.
    unreadable: u64,
}

impl WorkspaceSummary {
    /// Reads one kind's spooled lines and calls `emit` with each workspace object.
    pub fn scan<E>(
        &mut self,
        kind: &'static str,
        reader: impl BufRead,
        mut emit: impl FnMut(&WorkspaceObject<'_>) -> Result<(), E>,
    ) -> Result<(), ScanError<E>> {
        for line in reader.lines() {
            let line = line.map_err(ScanError::Read)?;
            let Ok(Line { metadata, spec }) = serde_json::from_str::<Line>(&line) else {
                self.unreadable += 1;
                continue;
            };
            let label = |key: &str| metadata.labels.get(key).and_then(Value::as_str);
            // Pods and Deployments go through the classifier the analysis uses (a pod running the
            // Coder agent or envbox is a workspace whatever its labels); volume claims by labels.
            let pod_spec = match kind {
                "Pod" => spec.as_ref(),
                "Deployment" => spec.as_ref().and_then(|s| s.pointer("/template/spec")),
                _ => None,
            };
            let workspace = match pod_spec {
                Some(ps) => PodSpecView::of(Some(ps))
                    .classify(string_labels(&metadata.labels))
                    .is_some_and(|c| c.role == CoderRole::Workspace),
                None => is_workspace(label, metadata.labels.keys().map(String::as_str)),
            };
            if !workspace {
                continue;
            }
            let object = WorkspaceObject {
                kind,
                namespace: &metadata.namespace,
                name: &metadata.name,
                workspace_id: label(WORKSPACE_ID_LABEL),
                workspace_name: label("com.coder.workspace.name"),
                owner: label("com.coder.user.username"),
                owner_id: label("com.coder.user.id"),
            };
            *self.objects.entry(kind).or_default() += 1;
            match object.workspace_id {
                Some(id) => {
                    let mut hasher = DefaultHasher::new();
                    id.hash(&mut hasher);
                    self.ids.insert(hasher.finish());
                }
                None => self.without_id += 1,
            }
            emit(&object).map_err(ScanError::Emit)?;
        }
        Ok(())
    }

    /// `coder/workspaces.json`: the counts.
    pub fn document(&self) -> Value {
        let mut counts = serde_json::Map::new();
        counts.insert(
            "workspaces".into(),
            json!(self.ids.len() as u64 + self.without_id),
        );
        for (_, kind, key) in WORKSPACE_KINDS {
            counts.insert(
                key.into(),
                json!(self.objects.get(kind).copied().unwrap_or(0)),
            );
        }
        let mut document = json!({ "counts": counts });
        if self.unreadable > 0 {
            document["unreadable-lines"] = json!(self.unreadable);
        }
        document
    }
}

/// Why a scan stopped.
#[derive(Debug, thiserror::Error)]
pub enum ScanError<E> {
    /// The spooled file could not be read.
    #[error("cannot read a spooled kind")]
    Read(#[source] std::io::Error),
    /// `emit` failed.
    #[error("cannot write the workspace summary")]
    Emit(#[source] E),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(ns: &str, name: &str, labels: Value) -> String {
        json!({"metadata": {"namespace": ns, "name": name, "labels": labels,
            "annotations": {"com.coder.user.email": "alice@example.com"}}})
        .to_string()
    }

    #[test]
    fn recognises_workspace_labels() {
        let of = |labels: Value| {
            let labels = labels.as_object().unwrap().clone();
            is_workspace(
                |k| labels.get(k).and_then(Value::as_str),
                labels.keys().map(String::as_str),
            )
        };
        assert!(of(json!({"app.kubernetes.io/name": "coder-workspace"})));
        assert!(of(json!({"app.kubernetes.io/name": "coder-pvc"})));
        assert!(of(json!({"com.coder.workspace.id": "w"})));
        assert!(of(json!({"com.coder.resource": "true"})));
        assert!(!of(
            json!({"com.coder.resource": "true", "app.kubernetes.io/name": "coder"})
        ));
        assert!(!of(json!({"app": "web"})));
    }

    #[test]
    fn pods_are_judged_by_the_shared_classifier() {
        // No workspace label, but the Coder agent runs in it: the analysis calls it a workspace,
        // and so does the summary. The same labels on a PVC are not enough.
        let agent = json!({"metadata": {"namespace": "ws", "name": "agent-only", "labels": {}},
            "spec": {"containers": [{"name": "dev", "image": "ubuntu",
                "env": [{"name": "CODER_AGENT_TOKEN", "value": "<redacted fp=00 len=36>"}]}]}});
        let coderd = json!({"metadata": {"namespace": "coder", "name": "coder-0",
            "labels": {"app.kubernetes.io/name": "coder", "com.coder.resource": "true"}},
            "spec": {"containers": [{"name": "coder", "image": "ghcr.io/coder/coder:v2", "args": ["server"]}]}});
        let odd = json!({"metadata": {"namespace": "ws", "name": "odd",
            "labels": {"app.kubernetes.io/name": "coder-workspace"}}, "spec": {"containers": 5}});
        let pods = [agent, coderd, odd]
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        let mut summary = WorkspaceSummary::default();
        let mut names = Vec::new();
        summary
            .scan("Pod", pods.as_bytes(), |o: &WorkspaceObject<'_>| {
                names.push(o.name.to_string());
                Ok::<(), std::convert::Infallible>(())
            })
            .unwrap();
        // A spec of odd shape is judged by its labels alone.
        assert_eq!(names, ["agent-only", "odd"]);
    }

    #[test]
    fn counts_and_lines() {
        let ws = |id: &str| {
            json!({"app.kubernetes.io/name": "coder-workspace", "com.coder.workspace.id": id,
                "com.coder.workspace.name": "dev", "com.coder.user.username": "alice", "com.coder.user.id": "u1"})
        };
        let pods = [
            line("ws", "a", ws("w1")),
            line("ws", "b", ws("w2")),
            line("ws", "c", json!({"com.coder.resource": "true"})),
            line("web", "d", json!({"app": "web"})),
            "not json".to_string(),
        ]
        .join("\n");
        let pvcs = line(
            "ws",
            "a-home",
            json!({"app.kubernetes.io/name": "coder-pvc", "com.coder.workspace.id": "w1"}),
        );
        let mut summary = WorkspaceSummary::default();
        let mut out: Vec<String> = Vec::new();
        let mut emit = |o: &WorkspaceObject<'_>| -> Result<(), serde_json::Error> {
            out.push(serde_json::to_string(o)?);
            Ok(())
        };
        summary
            .scan("PersistentVolumeClaim", pvcs.as_bytes(), &mut emit)
            .unwrap();
        summary.scan("Pod", pods.as_bytes(), &mut emit).unwrap();
        assert_eq!(
            summary.document(),
            json!({"counts": {"workspaces": 3, "deployments": 0, "persistentvolumeclaims": 1, "pods": 3},
                "unreadable-lines": 1})
        );
        assert_eq!(out.len(), 4);
        assert_eq!(
            out[1],
            r#"{"kind":"Pod","namespace":"ws","name":"a","workspace-id":"w1","workspace-name":"dev","owner":"alice","owner-id":"u1"}"#
        );
        assert!(!out.concat().contains("@example.com"));
    }
}
