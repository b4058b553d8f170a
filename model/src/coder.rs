//! What a workload is to Coder: one classifier for the capture (which summarises Coder's
//! Deployments and workspaces into the snapshot) and the analysis (which builds Coder's trust edges
//! from pods), so that the two never disagree about what is coderd and what is a workspace.
//!
//! It reads a [`WorkloadView`]: labels and containers (image, command and arguments, env names) of
//! a pod or of a controller's pod template, whatever form the caller holds them in.

/// `app.kubernetes.io/name`, the chart's (and the workspace templates') name label.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
/// `com.coder.workspace.id`, set by Coder's templates on workspace objects.
pub const WORKSPACE_ID_LABEL: &str = "com.coder.workspace.id";
/// `coder.deployment`, the Coder v1 (enterprise-helm) chart's component label.
pub const V1_COMPONENT_LABEL: &str = "coder.deployment";

/// What a workload is to Coder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CoderRole {
    /// coderd (`coder server`; Coder v1's `coderd`/`cemanager`).
    Server,
    /// A provisioner daemon (`coder provisionerd start`, the `coder-provisioner` chart).
    Provisioner,
    /// A workspace proxy (`coder wsproxy server`).
    Proxy,
    /// A workspace (an "environment" in Coder v1).
    Workspace,
}

/// Which Coder a coderd belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CoderGeneration {
    /// Coder v1, the enterprise-helm chart (`coder.deployment: coderd`, `coderenvs/coder-service`).
    V1,
    /// Coder v2 (`ghcr.io/coder/coder`, the `coder` chart).
    V2,
}

/// One container as the classifier sees it.
#[derive(Debug, Clone, Default)]
pub struct ContainerView<'a> {
    /// The image reference.
    pub image: &'a str,
    /// Words of its command and arguments, in order.
    pub words: Vec<&'a str>,
    /// Names of its environment variables.
    pub env: Vec<&'a str>,
}

/// A pod or a controller's pod template as the classifier sees it.
#[derive(Debug, Clone, Default)]
pub struct WorkloadView<'a> {
    /// Labels of the pod (or of the controller and its template, merged).
    pub labels: Vec<(&'a str, &'a str)>,
    /// The regular containers.
    pub containers: Vec<ContainerView<'a>>,
    /// Init and ephemeral containers (they mark workspaces too, never coderd).
    pub other_containers: Vec<ContainerView<'a>>,
}

/// What the classifier found, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The role.
    pub role: CoderRole,
    /// For coderd, which Coder it is.
    pub generation: Option<CoderGeneration>,
    /// Index (in [`WorkloadView::containers`]) of the container that runs Coder, where one does.
    pub container: Option<usize>,
    /// The signals that decided, for people (`label app.kubernetes.io/name=coder`, `args server`).
    pub detected_by: Vec<String>,
}

impl<'a> ContainerView<'a> {
    /// A container from its image, `command`, `args` and env names, whatever type holds them.
    pub fn new(
        image: &'a str,
        command: &'a [String],
        args: &'a [String],
        env: impl Iterator<Item = &'a str>,
    ) -> Self {
        ContainerView {
            image,
            words: command.iter().chain(args).map(String::as_str).collect(),
            env: env.collect(),
        }
    }
}

impl<'a> WorkloadView<'a> {
    /// The value of a label.
    pub fn label(&self, key: &str) -> Option<&'a str> {
        self.labels.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// An image reference without tag and digest (`ghcr.io/coder/coder:v2@sha256:…` →
/// `ghcr.io/coder/coder`); a registry port is kept.
pub fn image_repository(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    match without_digest.rfind(':') {
        Some(colon) if !without_digest[colon..].contains('/') => &without_digest[..colon],
        _ => without_digest,
    }
}

/// Whether an image is Coder v2's: a repository named `coder` (`ghcr.io/coder/coder`,
/// `coder/coder`, or a mirror such as `registry.internal/coder`), not `coder-preview` or
/// `codercom/…`.
pub fn is_coder_image(image: &str) -> bool {
    image_repository(image).rsplit('/').next() == Some("coder")
}

/// Whether an image is Coder v1's coderd (`docker.io/coderenvs/coder-service`).
pub fn is_v1_coderd_image(image: &str) -> bool {
    image_repository(image).ends_with("coderenvs/coder-service")
}

/// Whether labels alone mark a workspace object (pod, Deployment or volume claim): the templates'
/// conventional `app.kubernetes.io/name=coder-workspace|coder-pvc`, any `com.coder.workspace.*`
/// label, or `com.coder.resource=true` on anything that is not coderd itself.
pub fn is_workspace_labelled<'a>(
    label: impl Fn(&str) -> Option<&'a str>,
    mut keys: impl Iterator<Item = &'a str>,
) -> bool {
    let name = label(NAME_LABEL);
    matches!(name, Some("coder-workspace" | "coder-pvc"))
        || label(WORKSPACE_ID_LABEL).is_some()
        || (label("com.coder.resource") == Some("true") && name != Some("coder"))
        || keys.any(|k| k.starts_with("com.coder.workspace."))
}

/// Classifies a workload (see the module documentation). Workspaces first: a workspace runs the
/// Coder agent (`CODER_AGENT_TOKEN`), envbox, or carries the templates' labels, whatever image it
/// uses. Then coderd, provisioners and proxies: a container that is Coder's (its image, the chart's
/// name label, or `CODER_ACCESS_URL`), by the subcommand it runs; the image's default command is
/// `coder server`.
pub fn classify(w: &WorkloadView<'_>) -> Option<Classification> {
    let name_label = w.label(NAME_LABEL);
    let found = |role, generation, container, detected_by: Vec<String>| {
        Some(Classification {
            role,
            generation,
            container,
            detected_by,
        })
    };
    // Coder v1's coderd: the chart's component label, or the coder-service image.
    let v1_label = w
        .label(V1_COMPONENT_LABEL)
        .filter(|c| matches!(*c, "coderd" | "cemanager"));
    let v1_image = w
        .containers
        .iter()
        .position(|c| is_v1_coderd_image(c.image));
    if v1_label.is_some() || v1_image.is_some() {
        let mut why = Vec::new();
        if let Some(c) = v1_label {
            why.push(format!("label {V1_COMPONENT_LABEL}={c}"));
        }
        if let Some(i) = v1_image {
            why.push(format!("image {}", image_repository(w.containers[i].image)));
        }
        return found(CoderRole::Server, Some(CoderGeneration::V1), v1_image, why);
    }
    let all = || w.containers.iter().chain(&w.other_containers);
    let labelled = is_workspace_labelled(|k| w.label(k), w.labels.iter().map(|(k, _)| *k));
    let agent = all().any(|c| c.env.contains(&"CODER_AGENT_TOKEN"));
    let envbox = all().any(|c| image_repository(c.image).ends_with("coder/envbox"));
    if labelled || agent || envbox {
        let mut why = Vec::new();
        if labelled {
            why.push("workspace labels".to_string());
        }
        if agent {
            why.push("env CODER_AGENT_TOKEN".to_string());
        }
        if envbox {
            why.push("image coder/envbox".to_string());
        }
        return found(CoderRole::Workspace, None, None, why);
    }
    for (i, c) in w.containers.iter().enumerate() {
        let image = is_coder_image(c.image);
        let access_url = c.env.contains(&"CODER_ACCESS_URL");
        let chart = matches!(name_label, Some("coder" | "coder-provisioner"));
        if !(image || access_url || chart) {
            continue;
        }
        let mut why = Vec::new();
        if let Some(n) = name_label.filter(|_| chart) {
            why.push(format!("label {NAME_LABEL}={n}"));
        }
        if image {
            why.push(format!("image {}", image_repository(c.image)));
        }
        if access_url {
            why.push("env CODER_ACCESS_URL".to_string());
        }
        let has = |word: &str| {
            c.words
                .iter()
                .any(|w| w.split_whitespace().any(|p| p == word))
        };
        let (role, word) = if has("provisionerd") {
            (CoderRole::Provisioner, Some("provisionerd"))
        } else if has("wsproxy") {
            (CoderRole::Proxy, Some("wsproxy"))
        } else if has("server") {
            (CoderRole::Server, Some("server"))
        } else if name_label == Some("coder-provisioner") {
            (CoderRole::Provisioner, None)
        } else if access_url || c.words.is_empty() {
            // `CODER_ACCESS_URL` is coderd's own setting; the image's default command is `server`.
            (CoderRole::Server, None)
        } else {
            // Coder's image running another subcommand (`coder templates push` in a CI job).
            continue;
        };
        if let Some(word) = word {
            why.push(format!("args {word}"));
        }
        let generation = (role == CoderRole::Server).then_some(CoderGeneration::V2);
        return found(role, generation, Some(i), why);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container<'a>(image: &'a str, words: &[&'a str], env: &[&'a str]) -> ContainerView<'a> {
        ContainerView {
            image,
            words: words.to_vec(),
            env: env.to_vec(),
        }
    }

    fn workload<'a>(labels: &[(&'a str, &'a str)], c: Vec<ContainerView<'a>>) -> WorkloadView<'a> {
        WorkloadView {
            labels: labels.to_vec(),
            containers: c,
            other_containers: Vec::new(),
        }
    }

    fn role(w: &WorkloadView<'_>) -> Option<CoderRole> {
        classify(w).map(|c| c.role)
    }

    #[test]
    fn images() {
        assert_eq!(
            image_repository("ghcr.io/coder/coder:v2.15.0"),
            "ghcr.io/coder/coder"
        );
        assert_eq!(
            image_repository("localhost:5000/coder/coder"),
            "localhost:5000/coder/coder"
        );
        assert_eq!(image_repository("coder/coder@sha256:abc"), "coder/coder");
        assert!(is_coder_image("ghcr.io/coder/coder:v2.15.0"));
        assert!(is_coder_image("coder/coder"));
        assert!(is_coder_image("registry.internal:5000/mirror/coder:2.15"));
        assert!(!is_coder_image("ghcr.io/coder/coder-preview:v2"));
        assert!(!is_coder_image("codercom/enterprise-base:ubuntu"));
        assert!(is_v1_coderd_image(
            "docker.io/coderenvs/coder-service:1.44.0"
        ));
    }

    #[test]
    fn chart_deployments() {
        let coderd = workload(
            &[(NAME_LABEL, "coder")],
            vec![container(
                "ghcr.io/coder/coder:v2.15.0",
                &["/opt/coder", "server"],
                &["CODER_ACCESS_URL"],
            )],
        );
        let c = classify(&coderd).unwrap();
        assert_eq!(
            (c.role, c.generation, c.container),
            (CoderRole::Server, Some(CoderGeneration::V2), Some(0))
        );
        assert!(c.detected_by.contains(&"args server".to_string()), "{c:?}");
        let bare = workload(&[], vec![container("ghcr.io/coder/coder:v2", &[], &[])]);
        assert_eq!(role(&bare), Some(CoderRole::Server));
        let prov = workload(
            &[(NAME_LABEL, "coder-provisioner")],
            vec![container(
                "ghcr.io/coder/coder:v2",
                &["/opt/coder", "provisionerd", "start"],
                &[],
            )],
        );
        assert_eq!(role(&prov), Some(CoderRole::Provisioner));
        let proxy = workload(
            &[],
            vec![container(
                "ghcr.io/coder/coder:v2",
                &["wsproxy server"],
                &[],
            )],
        );
        assert_eq!(role(&proxy), Some(CoderRole::Proxy));
        // Coder's image running a CLI command is not coderd.
        let ci = workload(
            &[],
            vec![container(
                "ghcr.io/coder/coder:v2",
                &["coder", "templates", "push"],
                &[],
            )],
        );
        assert_eq!(role(&ci), None);
        let other = workload(
            &[(NAME_LABEL, "web")],
            vec![container("nginx", &["nginx"], &[])],
        );
        assert_eq!(role(&other), None);
    }

    #[test]
    fn workspaces_whatever_their_image() {
        for labels in [
            vec![(NAME_LABEL, "coder-workspace")],
            vec![(WORKSPACE_ID_LABEL, "f00")],
            vec![("com.coder.workspace.name", "dev")],
            vec![("com.coder.resource", "true")],
        ] {
            let w = workload(
                &labels,
                vec![container("codercom/enterprise-base", &[], &[])],
            );
            assert_eq!(role(&w), Some(CoderRole::Workspace), "{labels:?}");
        }
        let agent = workload(
            &[],
            vec![container("ubuntu", &["sh"], &["CODER_AGENT_TOKEN"])],
        );
        assert_eq!(role(&agent), Some(CoderRole::Workspace));
        let mut init_agent = workload(&[], vec![container("ubuntu", &["sh"], &[])]);
        init_agent
            .other_containers
            .push(container("ghcr.io/coder/envbox:0.5", &[], &[]));
        assert_eq!(role(&init_agent), Some(CoderRole::Workspace));
        // coderd itself carries com.coder.resource in some templates: still coderd.
        let coderd = workload(
            &[(NAME_LABEL, "coder"), ("com.coder.resource", "true")],
            vec![container("ghcr.io/coder/coder:v2", &["server"], &[])],
        );
        assert_eq!(role(&coderd), Some(CoderRole::Server));
    }

    #[test]
    fn coder_v1() {
        let by_label = workload(
            &[(V1_COMPONENT_LABEL, "coderd")],
            vec![container("busybox", &[], &[])],
        );
        let c = classify(&by_label).unwrap();
        assert_eq!(
            (c.role, c.generation),
            (CoderRole::Server, Some(CoderGeneration::V1))
        );
        let by_image = workload(
            &[],
            vec![container(
                "docker.io/coderenvs/coder-service:1.44",
                &[],
                &[],
            )],
        );
        assert_eq!(
            classify(&by_image).unwrap().generation,
            Some(CoderGeneration::V1)
        );
        let timescale = workload(
            &[(V1_COMPONENT_LABEL, "timescale")],
            vec![container("timescale", &[], &[])],
        );
        assert_eq!(role(&timescale), None);
    }
}
