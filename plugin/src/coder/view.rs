//! The shared Coder classifier ([`coder_sec_model::coder`]) applied to objects as the capture holds
//! them: JSON values of Deployments and spooled lines of pods, so that capture and analysis call
//! the same things coderd and workspaces.

use std::collections::BTreeMap;

use coder_sec_model::coder::{Classification, ContainerView, WorkloadView, classify};
use serde::Deserialize;
use serde_json::Value;

/// A pod spec as far as the classifier reads it. Parsed leniently: a spec of odd shape reads as
/// one without containers (the object is then judged by its labels alone).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSpecView {
    containers: Vec<ContainerLine>,
    init_containers: Vec<ContainerLine>,
    ephemeral_containers: Vec<ContainerLine>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ContainerLine {
    image: String,
    command: Vec<String>,
    args: Vec<String>,
    env: Vec<EnvName>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EnvName {
    name: String,
}

impl PodSpecView {
    /// Reads the pod spec at `value` (a `spec` or a template's `spec`); odd shapes read as empty.
    pub fn of(value: Option<&Value>) -> PodSpecView {
        value
            .and_then(|v| PodSpecView::deserialize(v).ok())
            .unwrap_or_default()
    }

    /// Classifies a workload with these containers and `labels`.
    pub fn classify<'a>(
        &'a self,
        labels: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> Option<Classification> {
        fn container(c: &ContainerLine) -> ContainerView<'_> {
            ContainerView::new(
                &c.image,
                &c.command,
                &c.args,
                c.env.iter().map(|e| e.name.as_str()),
            )
        }
        classify(&WorkloadView {
            labels: labels.collect(),
            containers: self.containers.iter().map(container).collect(),
            other_containers: self
                .init_containers
                .iter()
                .chain(&self.ephemeral_containers)
                .map(container)
                .collect(),
        })
    }
}

/// The string labels of a `labels` map (others are ignored).
pub fn string_labels(labels: &BTreeMap<String, Value>) -> impl Iterator<Item = (&str, &str)> {
    labels
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
}
