//! The planted paths: present, deterministic, and backed by the objects they name.

use serde_json::Value;

use crate::support::small;

fn subjects_mention(c: &crate::support::Cluster, kind: &str, name: &str) -> bool {
    c.objects
        .iter()
        .filter(|o| o["kind"] == "RoleBinding" || o["kind"] == "ClusterRoleBinding")
        .any(|b| {
            b["subjects"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s["kind"] == kind && s["name"] == name))
        })
}

#[test]
fn every_planted_reference_exists() {
    let c = small();
    assert_eq!(c.summary.planted.len(), 6);
    for path in &c.summary.planted {
        assert!(!path.steps.is_empty());
        assert_eq!(path.steps[0].from, path.entry, "{}", path.id);
        assert_eq!(path.steps.last().unwrap().to, path.target, "{}", path.id);
        let exists = |r: &str| {
            let kind = r.split('/').next().unwrap();
            match kind {
                "User" | "Group" => subjects_mention(c, kind, &r[kind.len() + 1..]),
                "Virtual" => r == "Virtual/cluster-admin",
                _ => c.find(r).is_some(),
            }
        };
        for step in &path.steps {
            assert!(!step.technique.is_empty());
            for r in [&step.from, &step.to] {
                assert!(exists(r), "{}: step `{r}` does not exist", path.id);
            }
        }
        assert!(!path.objects.is_empty());
        for r in &path.objects {
            assert!(
                c.find(r).is_some(),
                "{}: object `{r}` does not exist",
                path.id
            );
        }
    }
}

#[test]
fn planted_facts_hold() {
    let c = small();
    let by_id = |id: &str| c.summary.planted.iter().find(|p| p.id == id).unwrap();

    let escape = by_id("privileged-pod-escape");
    let debug = c.find(&escape.entry).unwrap();
    assert_eq!(
        debug["spec"]["containers"][0]["securityContext"]["privileged"],
        true
    );
    let runner = c.find(&escape.steps[1].to).unwrap();
    assert_eq!(
        debug["spec"]["nodeName"], runner["spec"]["nodeName"],
        "both pods share the node"
    );
    assert_eq!(
        format!("Node/{}", debug["spec"]["nodeName"].as_str().unwrap()),
        escape.steps[0].to
    );
    assert_eq!(runner["spec"]["serviceAccountName"], "ci-deployer");
    let crb = c
        .find("ClusterRoleBinding/ci-deployer-cluster-admin")
        .unwrap();
    assert_eq!(crb["roleRef"]["name"], "cluster-admin");

    let open = by_id("authenticated-create-pods");
    let sa = open.steps[0].to.clone();
    let ns = sa.split('/').nth(1).unwrap();
    let rb = c
        .find(&format!("RoleBinding/{ns}/authenticated-pod-creators"))
        .unwrap();
    assert_eq!(rb["subjects"][0]["name"], "system:authenticated");
    let role = c.find(&format!("Role/{ns}/pod-creator")).unwrap();
    assert!(
        role["rules"][0]["verbs"]
            .as_array()
            .unwrap()
            .contains(&Value::from("create"))
    );

    let imp = c.find("ClusterRole/impersonator").unwrap();
    assert_eq!(imp["rules"][0]["verbs"][0], "impersonate");

    let extra = by_id("coder-extra-rules-secrets");
    let ns = extra.target.split('/').nth(1).unwrap();
    let role = c.find(&format!("Role/{ns}/coder-workspace-perms")).unwrap();
    let rules = role["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        4,
        "the chart's three rules plus one extra rule"
    );
    assert_eq!(rules[3]["resources"][0], "secrets");

    let envbox = c.find(&by_id("coder-envbox-escape").entry).unwrap();
    assert_eq!(
        envbox["spec"]["containers"][0]["securityContext"]["privileged"],
        true
    );
}
