//! Watches the redacted objects stream past and keeps the small facts the capture needs afterwards:
//! namespace names (for the access reviews), one node's platform hints, and Coder's objects.

use std::collections::BTreeSet;
use std::sync::Mutex;

use coder_sec_model::KindSpec;
use serde_json::Value;

use super::platform::NodeFacts;
use crate::coder::detect::CoderDetector;

/// Shared by every listing task.
#[derive(Debug)]
pub struct Observer {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    namespaces: BTreeSet<String>,
    node: Option<NodeFacts>,
    coder: CoderDetector,
}

impl Observer {
    /// An observer that looks for coderd only in `coder_namespace`, if given.
    pub fn new(coder_namespace: Option<String>) -> Self {
        Observer {
            inner: Mutex::new(Inner {
                namespaces: BTreeSet::new(),
                node: None,
                coder: CoderDetector::new(coder_namespace),
            }),
        }
    }

    /// Looks at one object that has been trimmed and redacted.
    pub fn observe(&self, spec: &KindSpec, object: &Value) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if spec.kind == "Namespace" && spec.group.is_empty() {
            if let Some(name) = object.pointer("/metadata/name").and_then(Value::as_str) {
                inner.namespaces.insert(name.to_string());
            }
        } else if let Some(ns) = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            && !inner.namespaces.contains(ns)
        {
            inner.namespaces.insert(ns.to_string());
        }
        if spec.kind == "Node" && spec.group.is_empty() && inner.node.is_none() {
            inner.node = Some(NodeFacts::from_node(object));
        }
        inner.coder.observe(spec, object);
    }

    /// Every namespace seen, from the Namespace list and from namespaced objects.
    pub fn namespaces(&self) -> BTreeSet<String> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .namespaces
            .clone()
    }

    /// The first node's platform hints.
    pub fn node(&self) -> Option<NodeFacts> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .node
            .clone()
    }

    /// Hands the Coder detector over when listing is done.
    pub fn into_coder(self) -> CoderDetector {
        self.inner
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .coder
    }
}
