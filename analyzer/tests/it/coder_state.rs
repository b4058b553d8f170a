//! The optional state a capture adds beside the cluster's objects: the Coder API answers
//! (`coder/api/*.json`, in the shapes `plugin/src/coder/api.rs` writes and `testdata/coder-api`
//! serves) and the capturing identity's rules (`identity/rules.jsonl`), added here to the
//! `coder-shared-cluster` scenario (OIDC configured, password login not disabled).

use std::collections::BTreeSet;

use coder_sec_analyzer::findings::Finding;
use coder_sec_analyzer::severity::Severity;

use super::support::{Analysed, analyse_with_state, scenario_files};

/// Users as the capture reduces them: id, login type, status and role names.
const USERS: &str = r#"{"count": 8, "users": [
  {"id": "u0", "login_type": "password", "status": "active", "roles": ["owner"]},
  {"id": "u1", "login_type": "oidc", "status": "active", "roles": []},
  {"id": "u2", "login_type": "github", "status": "active", "roles": ["template-admin"]},
  {"id": "u3", "login_type": "password", "status": "dormant", "roles": []},
  {"id": "u4", "login_type": "password", "status": "suspended", "roles": ["owner"]},
  {"id": "u5", "login_type": "oidc", "status": "active", "roles": ["owner"]},
  {"id": "u6", "login_type": "oidc", "status": "active", "roles": ["owner", "auditor"]},
  {"id": "u7", "login_type": "github", "status": "active", "roles": ["owner"]}
]}"#;

const AUTH_METHODS: &str = r#"{"terms_of_service_url": "", "password": {"enabled": true},
  "github": {"enabled": false, "default_provider_configured": true},
  "oidc": {"enabled": true, "signInText": "Sign in with Okta", "iconUrl": ""}}"#;

/// A provider configured outside coderd's env: only the API shows it and its scopes.
const EXTERNAL_AUTH: &str = r#"{"providers": [
  {"id": "github", "type": "github", "device": false, "display_name": "GitHub"},
  {"id": "gitlab-corp", "type": "gitlab", "device": false, "display_name": "GitLab"}], "links": []}"#;

const DEPLOYMENT_CONFIG: &str = r#"{"config": {"access_url": "http://coder.example.com",
  "external_auth": [{"id": "gitlab-corp", "type": "gitlab", "client_id": "abc",
    "scopes": ["api", "read_user"], "auth_url": "http://gitlab.corp.example/oauth/authorize"}]},
  "options": []}"#;

/// `ci`: may list pods but not Secrets; `coder`: everything; `tenant-a`: an incomplete review;
/// `kube-system`: the review failed.
const RULES: &str = r#"{"namespace": "ci", "resourceRules": [{"verbs": ["get", "list", "watch"], "apiGroups": ["", "apps", "batch", "networking.k8s.io", "rbac.authorization.k8s.io"], "resources": ["pods", "serviceaccounts", "configmaps", "services", "resourcequotas", "limitranges", "persistentvolumeclaims", "deployments", "statefulsets", "daemonsets", "jobs", "cronjobs", "networkpolicies", "ingresses", "roles", "rolebindings"]}, {"verbs": ["get"], "apiGroups": [""], "resources": ["secrets"]}, {"verbs": ["list"], "apiGroups": [""], "resources": ["secrets"], "resourceNames": ["ci-token"]}], "nonResourceRules": [], "incomplete": false, "evaluationError": null}
{"namespace": "coder", "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}], "nonResourceRules": [], "incomplete": false, "evaluationError": null}
{"namespace": "tenant-a", "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}], "nonResourceRules": [], "incomplete": true, "evaluationError": "webhook authorizer not consulted"}
{"namespace": "kube-system", "error": "selfsubjectrulesreviews is forbidden"}
"#;

fn with(files: &[(&str, &str)]) -> Analysed {
    analyse_with_state(&scenario_files("coder-shared-cluster"), files)
}

fn findings<'a>(a: &'a Analysed, code: &str) -> Vec<&'a Finding> {
    a.report
        .findings
        .iter()
        .filter(|f| f.code.code() == code)
        .map(|f| &f.item)
        .collect()
}

#[test]
fn password_users_and_owners_from_the_coder_api() {
    // Without the API: the setting alone says password login is on beside OIDC.
    let plain = with(&[]);
    let f = findings(&plain, "password-login-beside-idp");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Low);
    assert!(findings(&plain, "coder-owner-count").is_empty());
    // With it: the password users who can log in (dormant too) are named, one of them an owner;
    // suspended ones are not.
    let a = with(&[
        ("coder/api/users.json", USERS),
        ("coder/api/authmethods.json", AUTH_METHODS),
    ]);
    let f = findings(&a, "password-login-beside-idp");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::High, "{}", f[0].title);
    assert!(
        f[0].title.starts_with("2 users log in with a password"),
        "{}",
        f[0].title
    );
    assert!(f[0].title.contains("1 of them owners"), "{}", f[0].title);
    let users: BTreeSet<&str> = f[0]
        .objects
        .iter()
        .filter(|o| o.starts_with("CoderUser/"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        users,
        ["CoderUser/u0", "CoderUser/u3"].into_iter().collect()
    );
    // Four owners who can log in (the suspended one does not count).
    let owners = findings(&a, "coder-owner-count");
    assert_eq!(owners.len(), 1);
    assert_eq!(
        owners[0].title,
        "4 Coder users who can log in hold the owner role"
    );
    assert!(!owners[0].objects.contains(&"CoderUser/u4".to_string()));
    // The API's login methods are what coderd really offers: password off means no finding.
    let off = AUTH_METHODS.replace(
        r#""password": {"enabled": true}"#,
        r#""password": {"enabled": false}"#,
    );
    let a = with(&[
        ("coder/api/users.json", USERS),
        ("coder/api/authmethods.json", &off),
    ]);
    assert!(findings(&a, "password-login-beside-idp").is_empty());
}

#[test]
fn external_auth_providers_from_the_coder_api() {
    let a = with(&[
        ("coder/api/external-auth.json", EXTERNAL_AUTH),
        ("coder/api/deployment-config.json", DEPLOYMENT_CONFIG),
    ]);
    // The provider only the API shows is a Git provider the database's tokens reach.
    assert!(a.analysis.graph.edges_from("Coder/database").contains(&(
        "GitProvider/gitlab-corp".to_string(),
        "coder-db-oauth-tokens"
    )));
    let scopes = findings(&a, "external-auth-broad-scopes");
    let corp = scopes
        .iter()
        .find(|f| f.objects == ["GitProvider/gitlab-corp"])
        .expect("gitlab-corp scopes");
    assert!(corp.title.ends_with("broad scopes: api"), "{}", corp.title);
    assert!(
        findings(&a, "external-auth-insecure-url")
            .iter()
            .any(|f| f.objects == ["GitProvider/gitlab-corp"])
    );
    // Without the API the provider is unknown.
    assert!(
        with(&[])
            .analysis
            .graph
            .get("GitProvider/gitlab-corp")
            .is_none()
    );
}

#[test]
fn identity_rules_sharpen_blind_spots() {
    let a = with(&[("identity/rules.jsonl", RULES)]);
    let spots: Vec<(&str, &str)> = a
        .report
        .blind_spots
        .iter()
        .map(|b| (b.subject.as_str(), b.reason.as_str()))
        .collect();
    // Secrets in `ci` may be missing (a `list` limited to names does not count); pods there not.
    assert!(
        spots
            .iter()
            .any(|(s, r)| *s == "Secret in namespaces ci" && r.contains("`secrets`")),
        "{spots:?}"
    );
    assert!(
        !spots.iter().any(|(s, _)| s.starts_with("Pod in")),
        "{spots:?}"
    );
    assert!(!spots.iter().any(|(s, _)| s.contains("coder")), "{spots:?}");
    assert!(spots.iter().any(
        |(s, r)| *s == "identity rules in namespaces tenant-a" && r.contains("incomplete")
    ));
    assert!(
        spots
            .iter()
            .any(|(s, r)| *s == "identity rules in namespaces kube-system" && r.contains("failed"))
    );
    let f = findings(&a, "snapshot-blind-spot");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].objects, ["Kind/Secret", "Namespace/ci"]);
    // Without the rules, none of this.
    assert!(
        with(&[])
            .report
            .blind_spots
            .iter()
            .all(|b| !b.subject.contains(" in namespaces "))
    );
}

#[test]
fn only_coder_api_answers_count_as_an_api_capture() {
    let api_spot = |a: &Analysed| {
        a.report
            .blind_spots
            .iter()
            .any(|s| s.subject == "Coder API")
    };
    // Every capture that finds Coder writes `coder/deployments.json` and the workspace summary;
    // without `--coder-url` there is no `coder/api/` file, and the blind spot must say so.
    let without_api = with(&[
        (
            "coder/deployments.json",
            r#"{"coderd": [], "namespaces": ["coder"]}"#,
        ),
        ("coder/workspaces.json", r#"{"counts": {"workspaces": 0}}"#),
        ("coder/workspaces.jsonl", ""),
    ]);
    assert!(!without_api.report.snapshot.coder.api_captured);
    assert!(
        api_spot(&without_api),
        "{:?}",
        without_api.report.blind_spots
    );
    let with_api = with(&[("coder/api/users.json", USERS)]);
    assert!(with_api.report.snapshot.coder.api_captured);
    assert!(!api_spot(&with_api), "{:?}", with_api.report.blind_spots);
}

#[test]
fn load_keeps_the_state_files_it_reads_only() {
    use coder_sec_analyzer::inventory::Inventory;
    use coder_sec_model::SnapshotWriter;
    use coder_sec_model::archive::ReadLimits;
    use coder_sec_model::format::{Manifest, Source};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.tar.zst");
    let mut writer = SnapshotWriter::create(&path).unwrap();
    for (file, text) in [
        ("coder/api/users.json", USERS),
        ("coder/deployments.json", r#"{"coderd": []}"#),
        ("coder/workspaces.jsonl", "{\"kind\": \"Pod\"}\n"),
        ("identity/rules.jsonl", RULES),
    ] {
        let mut spool = writer.spool(file.to_string()).unwrap();
        spool.push_raw(text.as_bytes()).unwrap();
        writer.add_file(spool.finish().unwrap(), file);
    }
    writer
        .finish(Manifest::new("test", "0", Source::Import))
        .unwrap();
    let inv = Inventory::load(&path, ReadLimits::default()).unwrap();
    let kept: Vec<&str> = inv.coder_files.keys().map(String::as_str).collect();
    assert_eq!(kept, ["coder/api/users.json", "identity/rules.jsonl"]);
}
