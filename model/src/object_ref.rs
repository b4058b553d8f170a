//! Typed references to Kubernetes objects, and their one text form.
//!
//! Reports, graphs and findings name objects as `Kind/namespace/name` (namespaced) or `Kind/name`
//! (cluster-scoped). A kind is identified by its API group *and* kind: a Calico `NetworkPolicy`
//! (`crd.projectcalico.org`) is not a Kubernetes one. The text form writes the group only where the
//! kind name alone would be ambiguous, the way kubectl writes `resource.group`: a kind whose group is
//! not the first the kinds table lists for that kind name is written `Kind.group`
//! (`NetworkPolicy.crd.projectcalico.org/ns/name`), so references of two groups never collide and
//! every reference the reports already use keeps its form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::kinds::{KINDS, KindSpec};

/// A reference to one Kubernetes object: API group, kind, namespace (none for cluster-scoped
/// objects) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    /// API group; `""` for the core group.
    pub group: String,
    /// The object's `kind`.
    pub kind: String,
    /// The namespace, for namespaced objects.
    pub namespace: Option<String>,
    /// The object's name.
    pub name: String,
}

/// Why a reference could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectRefError {
    /// Not `Kind/name` or `Kind/namespace/name`.
    #[error("`{text}` is not an object reference (expected `Kind/name` or `Kind/namespace/name`)")]
    Shape {
        /// The text.
        text: String,
    },
    /// A namespaced kind without a namespace, or a cluster-scoped one with one.
    #[error("`{text}`: {kind} is {scope}")]
    Scope {
        /// The text.
        text: String,
        /// The kind.
        kind: String,
        /// `namespaced` or `cluster-scoped`.
        scope: &'static str,
    },
}

/// The group a bare kind name stands for: the first entry of the kinds table with that kind name.
/// `None` for kinds the table does not know (they are taken as core-group kinds).
pub fn canonical_group(kind: &str) -> Option<&'static str> {
    KINDS.iter().find(|k| k.kind == kind).map(|k| k.group)
}

impl ObjectRef {
    /// A reference to an object of `group`/`kind`.
    pub fn new(group: &str, kind: &str, namespace: Option<&str>, name: &str) -> ObjectRef {
        ObjectRef {
            group: group.to_string(),
            kind: kind.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        }
    }

    /// A namespaced object of the kind's canonical group (`ObjectRef::namespaced("Pod", "ns", "p")`).
    pub fn namespaced(kind: &str, namespace: &str, name: &str) -> ObjectRef {
        ObjectRef::new(
            canonical_group(kind).unwrap_or(""),
            kind,
            Some(namespace),
            name,
        )
    }

    /// A cluster-scoped object of the kind's canonical group (`ObjectRef::cluster("Node", "n1")`).
    pub fn cluster(kind: &str, name: &str) -> ObjectRef {
        ObjectRef::new(canonical_group(kind).unwrap_or(""), kind, None, name)
    }

    /// The reference of an object as the API serves it (`apiVersion`, `kind`, `metadata`); `None`
    /// when it has no kind or name.
    pub fn of_object(object: &serde_json::Value) -> Option<ObjectRef> {
        let api_version = object
            .get("apiVersion")
            .and_then(|v| v.as_str())
            .unwrap_or("v1");
        let (group, _) = crate::kinds::split_api_version(api_version);
        let kind = object.get("kind")?.as_str()?;
        let meta = object.get("metadata")?;
        let name = meta.get("name")?.as_str()?;
        let namespace = meta
            .get("namespace")
            .and_then(|v| v.as_str())
            .filter(|ns| !ns.is_empty());
        Some(ObjectRef::new(group, kind, namespace, name))
    }

    /// The kinds table's entry for this reference's group and kind.
    pub fn spec(&self) -> Option<&'static KindSpec> {
        KINDS
            .iter()
            .find(|k| k.group == self.group && k.kind == self.kind)
    }

    /// Whether the kind name alone stands for this group (so the text form leaves the group out).
    fn group_is_implied(&self) -> bool {
        canonical_group(&self.kind).unwrap_or("") == self.group
    }

    /// Reads the text form (see the module documentation).
    pub fn parse(text: &str) -> Result<ObjectRef, ObjectRefError> {
        let shape = || ObjectRefError::Shape {
            text: text.to_string(),
        };
        let mut parts = text.split('/');
        let kind_part = parts.next().filter(|s| !s.is_empty()).ok_or_else(shape)?;
        let rest: Vec<&str> = parts.collect();
        if rest.is_empty() || rest.len() > 2 || rest.iter().any(|s| s.is_empty()) {
            return Err(shape());
        }
        let (kind, group) = match kind_part.split_once('.') {
            Some((kind, group)) if !kind.is_empty() && !group.is_empty() => (kind, group),
            Some(_) => return Err(shape()),
            None => (kind_part, canonical_group(kind_part).unwrap_or("")),
        };
        let r = match rest.as_slice() {
            [name] => ObjectRef::new(group, kind, None, name),
            [ns, name] => ObjectRef::new(group, kind, Some(ns), name),
            _ => return Err(shape()),
        };
        if let Some(spec) = r.spec()
            && spec.namespaced != r.namespace.is_some()
        {
            return Err(ObjectRefError::Scope {
                text: text.to_string(),
                kind: kind.to_string(),
                scope: if spec.namespaced {
                    "namespaced"
                } else {
                    "cluster-scoped"
                },
            });
        }
        Ok(r)
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind)?;
        if !self.group_is_implied() {
            write!(f, ".{}", self.group)?;
        }
        if let Some(ns) = &self.namespace {
            write!(f, "/{ns}")?;
        }
        write!(f, "/{}", self.name)
    }
}

impl FromStr for ObjectRef {
    type Err = ObjectRefError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ObjectRef::parse(s)
    }
}

impl Serialize for ObjectRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ObjectRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ObjectRef::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn text_forms_keep_the_reports_references() {
        assert_eq!(
            ObjectRef::namespaced("Pod", "coder", "coder-7d9f").to_string(),
            "Pod/coder/coder-7d9f"
        );
        assert_eq!(ObjectRef::cluster("Node", "n1").to_string(), "Node/n1");
        let binding = ObjectRef::namespaced("RoleBinding", "ci", "b");
        assert_eq!(binding.group, "rbac.authorization.k8s.io");
        assert_eq!(binding.to_string(), "RoleBinding/ci/b");
        assert_eq!(ObjectRef::parse("RoleBinding/ci/b").unwrap(), binding);
    }

    #[test]
    fn groups_tell_same_named_kinds_apart() {
        let k8s = ObjectRef::namespaced("NetworkPolicy", "a", "deny");
        assert_eq!(k8s.group, "networking.k8s.io");
        let calico = ObjectRef::new("crd.projectcalico.org", "NetworkPolicy", Some("a"), "deny");
        assert_eq!(
            calico.to_string(),
            "NetworkPolicy.crd.projectcalico.org/a/deny"
        );
        assert_ne!(k8s, calico);
        assert_eq!(ObjectRef::parse(&calico.to_string()).unwrap(), calico);
        assert_eq!(calico.spec().unwrap().plural, "networkpolicies");
        assert_eq!(calico.spec().unwrap().group, "crd.projectcalico.org");
    }

    #[test]
    fn objects_give_their_reference() {
        let o = serde_json::json!({"apiVersion": "crd.projectcalico.org/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "deny", "namespace": "a"}});
        assert_eq!(
            ObjectRef::of_object(&o).unwrap().to_string(),
            "NetworkPolicy.crd.projectcalico.org/a/deny"
        );
        let node = serde_json::json!({"kind": "Node", "metadata": {"name": "n1", "namespace": ""}});
        assert_eq!(ObjectRef::of_object(&node).unwrap().to_string(), "Node/n1");
        assert!(ObjectRef::of_object(&serde_json::json!({"kind": "Pod"})).is_none());
    }

    #[test]
    fn bad_text_is_refused_with_the_text() {
        for bad in [
            "",
            "Pod",
            "Pod/",
            "/ns/name",
            "Pod/a/b/c",
            "Pod//x",
            ".g/x",
            "Pod./a/b",
        ] {
            let e = ObjectRef::parse(bad).unwrap_err();
            assert!(e.to_string().contains(&format!("`{bad}`")), "{e}");
        }
        assert!(matches!(
            ObjectRef::parse("Pod/lonely"),
            Err(ObjectRefError::Scope { .. })
        ));
        assert!(matches!(
            ObjectRef::parse("Node/ns/n1"),
            Err(ObjectRefError::Scope { .. })
        ));
        // Kinds the table does not know are taken by their shape.
        let user = ObjectRef::parse("Widget/ns/w").unwrap();
        assert_eq!(
            (user.group.as_str(), user.namespace.as_deref()),
            ("", Some("ns"))
        );
    }

    #[test]
    fn serde_uses_the_text_form() {
        let r = ObjectRef::namespaced("Secret", "coder", "db");
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, "\"Secret/coder/db\"");
        assert_eq!(serde_json::from_str::<ObjectRef>(&json).unwrap(), r);
        assert!(serde_json::from_str::<ObjectRef>("\"Secret\"").is_err());
    }

    proptest! {
        #[test]
        fn text_form_round_trips(
            spec in proptest::sample::select(KINDS),
            ns in "[a-z][a-z0-9-]{0,12}",
            name in "[a-z0-9][a-z0-9.:-]{0,20}",
        ) {
            let r = ObjectRef::new(spec.group, spec.kind, spec.namespaced.then_some(ns.as_str()), &name);
            prop_assert_eq!(ObjectRef::parse(&r.to_string()).unwrap(), r);
        }
    }
}
