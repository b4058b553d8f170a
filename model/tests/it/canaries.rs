//! The canary test: distinct canaries hide in every place a secret can (Secrets of every type, Helm
//! releases, ConfigMaps and `aws-auth`, env values of every pod template, command lines, labels,
//! annotations, Coder API documents), wrapped in base64, double base64, gzip and JSON. A snapshot made
//! from them must hold none, while every canary must be visible to the same decoder in the input; the
//! facts the analysis needs must survive, and every rule must have counted.

use std::collections::BTreeSet;

use coder_sec_model::redact::{RULES, Redactor, Why, scan};
use serde_json::{Value, json};

use crate::support::{ReadBack, canary_list, find_canaries, scenario, snapshot_round_trip};

/// Archive path of the Coder API document the test adds.
const API_PATH: &str = "coder/api/deployment-config.json";

/// A Coder REST API answer with canaries: secret options, URL credentials, e-mail, JWT, nested JSON.
fn coder_api_document() -> (Value, Vec<(String, String)>) {
    let doc = json!({
        "buildinfo": {"version": "v2.15.0+e3d7eb2", "dashboard_url": "https://coder.example.com"},
        "options": [
            {"name": "Postgres Connection URL", "env": "CODER_PG_CONNECTION_URL",
             "value": "postgres://coder:CANARY-api-pg-url-1f2e@db/coder", "annotations": {"secret": "true"}},
            {"name": "Access URL", "env": "CODER_ACCESS_URL",
             "value": "https://u:CANARY-api-access-url-3a4b@coder.example.com"},
            {"name": "OIDC Client Secret", "env": "CODER_OIDC_CLIENT_SECRET", "value": "CANARY-api-oidc-5c6d"},
            {"name": "Telemetry", "env": "CODER_TELEMETRY_ENABLE", "value": true}
        ],
        "users": [{"username": "alice", "email": "canary-api-email-7e8f@example.com", "login_type": "oidc",
                   "roles": [{"name": "owner"}]}],
        "config": {"external_auth": [{"id": "github", "client_id": "Iv1.0123", "client_secret": "CANARY-api-external-auth-9a0b"}]},
        "license": "eyJhbGciOiJIUzI1NiJ9.eyJDQU5BUlkiOjF9.CANARY-api-license-jwt-1c2d",
        "webhook": "{\"token\": \"CANARY-api-nested-json-3e4f\"}"
    });
    let needles = [
        (
            "CANARY-api-pg-url-1f2e",
            "Coder API option CODER_PG_CONNECTION_URL",
        ),
        (
            "CANARY-api-access-url-3a4b",
            "Coder API option CODER_ACCESS_URL userinfo",
        ),
        (
            "CANARY-api-oidc-5c6d",
            "Coder API option CODER_OIDC_CLIENT_SECRET",
        ),
        ("canary-api-email-7e8f@example.com", "Coder API user email"),
        (
            "CANARY-api-external-auth-9a0b",
            "Coder API external_auth client_secret",
        ),
        ("CANARY-api-license-jwt-1c2d", "Coder API license (JWT)"),
        (
            "CANARY-api-nested-json-3e4f",
            "Coder API JSON inside a string",
        ),
    ];
    (
        doc,
        needles
            .iter()
            .map(|(n, p)| (n.to_string(), p.to_string()))
            .collect(),
    )
}

fn all_canaries() -> Vec<(String, String)> {
    let mut list = canary_list();
    list.extend(coder_api_document().1);
    list
}

/// Trims and redacts the scenario into a snapshot and reads it back.
fn round_trip(redactor: &Redactor) -> (ReadBack, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let mut api = coder_api_document().0;
    redactor.redact_document(&mut api);
    let back = snapshot_round_trip(
        &scenario("canaries"),
        redactor,
        &[(API_PATH, api)],
        tmp.path(),
    );
    (back, tmp)
}

#[test]
fn every_canary_is_visible_in_the_input() {
    let list = all_canaries();
    let needles: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
    let unique: BTreeSet<&str> = needles.iter().copied().collect();
    assert_eq!(unique.len(), needles.len(), "canaries must be distinct");
    let docs = coder_sec_model::manifests::load_paths(&[scenario("canaries")]).unwrap();
    let mut input: Vec<Value> = docs.into_iter().map(|d| d.object).collect();
    input.push(coder_api_document().0);
    let found = scan::find_needles(&Value::Array(input), &needles);
    let missing: Vec<String> = list
        .iter()
        .filter(|(n, _)| !found.contains(n))
        .map(|(n, p)| format!("  {n} ({p})"))
        .collect();
    assert!(
        missing.is_empty(),
        "the decoder cannot see these canaries in the input, so the test could not catch them:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_support_helper_sees_the_scenario_canaries() {
    let docs = coder_sec_model::manifests::load_paths(&[scenario("canaries")]).unwrap();
    let input = Value::Array(docs.into_iter().map(|d| d.object).collect());
    assert_eq!(find_canaries(&input).len(), canary_list().len());
    assert!(find_canaries(&json!({"a": "nothing here"})).is_empty());
}

#[test]
fn no_canary_survives_a_snapshot() {
    let list = all_canaries();
    let needles: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
    let place = |n: &str| {
        list.iter()
            .find(|(x, _)| x == n)
            .map_or("", |(_, p)| p.as_str())
            .to_string()
    };
    let redactor = Redactor::with_key([0x5a; 32]);
    let (back, _tmp) = round_trip(&redactor);
    // One line per surviving canary: where it was planted, and the first place it was found.
    let mut survivors = std::collections::BTreeMap::new();
    for (path, objects) in &back.entries {
        for object in objects {
            let name = object["metadata"]["name"].as_str().unwrap_or("");
            for n in scan::find_needles(object, &needles) {
                survivors
                    .entry(n)
                    .or_insert_with(|| format!("{path} {name}"));
            }
        }
    }
    for (path, text) in &back.raw {
        for n in needles.iter().filter(|n| text.contains(**n)) {
            survivors
                .entry(n.to_string())
                .or_insert_with(|| format!("the raw text of {path}"));
        }
    }
    for n in scan::find_needles(&back.manifest_json, &needles) {
        survivors
            .entry(n)
            .or_insert_with(|| "manifest.json".to_string());
    }
    let survivors: Vec<String> = survivors
        .iter()
        .map(|(n, found)| format!("  {n}: planted in {}, found in {found}", place(n)))
        .collect();
    assert!(
        survivors.is_empty(),
        "{} canaries survived redaction:\n{}",
        survivors.len(),
        survivors.join("\n")
    );
}

fn env_value<'a>(container: &'a Value, name: &str) -> &'a Value {
    container["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no env {name}"))
}

#[test]
fn the_facts_the_analysis_needs_survive() {
    let redactor = Redactor::with_key([0x5a; 32]);
    let (back, _tmp) = round_trip(&redactor);

    // Opaque: key names and decoded sizes only.
    let opaque = back.object("Secret", "coder", "app-secrets");
    assert_eq!(
        opaque["redacted"]["keys"],
        json!({"double": 40, "gzipped": 43, "password": 23, "token": 29})
    );
    assert!(opaque.get("data").is_none() && opaque.get("stringData").is_none());
    assert_eq!(
        opaque["metadata"]["labels"]["app.kubernetes.io/name"],
        "coder"
    );

    // TLS: certificate facts, the key's type, no key material.
    let tls = &back.object("Secret", "coder", "coder-tls")["redacted"];
    let leaf = &tls["tls"]["certificates"][0];
    assert_eq!(
        leaf["dnsNames"],
        json!(["coder.example.com", "*.coder.example.com"])
    );
    assert_eq!(leaf["ipAddresses"], json!(["10.0.0.1"]));
    assert_eq!(leaf["subject"], "CN=coder.example.com");
    assert_eq!(leaf["keyAlgorithm"], "EC");
    assert_eq!(leaf["curve"], "P-256");
    assert_eq!(leaf["selfSigned"], true);
    assert_eq!(tls["tls"]["ca"][0]["subject"], "CN=coder.example.com");
    assert_eq!(tls["tls"]["keyType"], "PRIVATE KEY");
    assert!(tls["keys"]["tls.key"].as_u64().unwrap() > 0);

    // Registries: host and username.
    let regs = &back.object("Secret", "coder", "regcred")["redacted"]["registries"];
    let reg = |host: &str| {
        regs.as_array()
            .unwrap()
            .iter()
            .find(|r| r["host"] == host)
            .unwrap_or_else(|| panic!("no registry {host} in {regs}"))
    };
    assert_eq!(regs.as_array().unwrap().len(), 3);
    assert_eq!(reg("ghcr.io")["username"], "coder-bot");
    assert_eq!(reg("registry.example.com")["username"], "robot");
    assert!(coder_sec_model::redact::is_marker(
        reg("docker.io")["username"].as_str().unwrap()
    ));
    let old = &back.object("Secret", "coder", "old-regcred")["redacted"]["registries"];
    assert_eq!(old, &json!([{"host": "quay.io", "username": "quayuser"}]));

    // Service account token: the account.
    let sa = &back.object("Secret", "coder", "coder-token")["redacted"]["serviceAccount"];
    assert_eq!(sa["name"], "coder");
    assert_eq!(sa["uid"], "5b0e7d2a-1c3f-4e8a-9b6d-2f4a1c7e9d30");

    // Helm release: identity, chart, status, redacted values; nothing else.
    let helm =
        &back.object("Secret", "coder", "sh.helm.release.v1.coder.v3")["redacted"]["helmRelease"];
    assert_eq!(helm["name"], "coder");
    assert_eq!(helm["revision"], 3);
    assert_eq!(helm["status"], "deployed");
    assert_eq!(
        helm["chart"],
        json!({"name": "coder", "version": "2.15.0", "appVersion": "v2.15.0"})
    );
    let env = &helm["config"]["coder"]["env"];
    assert_eq!(
        env[0],
        json!({"name": "CODER_ACCESS_URL", "value": "https://coder.example.com"})
    );
    assert_eq!(
        env[5]["valueFrom"]["secretKeyRef"]["name"],
        "coder-provisioner-psk"
    );
    assert_eq!(
        helm["config"]["coder"]["ingress"]["host"],
        "coder.example.com"
    );
    assert_eq!(helm["config"]["postgresql"]["auth"]["username"], "coder");
    let extra: Value =
        serde_yaml_ng::from_str(helm["config"]["extraTemplates"][0].as_str().unwrap()).unwrap();
    assert_eq!(extra["metadata"]["name"], "coder-db");
    assert_eq!(extra["redacted"]["keys"], json!({"url": 31}));
    let raw = helm["config"]["extraTemplates"][1].as_str().unwrap();
    assert!(raw.contains("name: {{ .Release.Name }}-scim"), "{raw}");
    let mut keys: Vec<&String> = helm.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["chart", "config", "name", "namespace", "revision", "status"]
    );

    // ConfigMaps: sizes; aws-auth: identity mappings.
    let cm = &back.object("ConfigMap", "coder", "app-config")["redacted"];
    assert_eq!(cm["keys"], json!({"config.yaml": 40, "blob": 53}));
    let aws = &back.object("ConfigMap", "kube-system", "aws-auth")["redacted"];
    assert_eq!(
        aws["awsAuth"]["mapRoles"][1]["rolearn"],
        "arn:aws:iam::123456789012:role/coder-admins"
    );
    assert_eq!(
        aws["awsAuth"]["mapRoles"][1]["groups"],
        json!(["system:masters"])
    );
    assert_eq!(
        aws["awsAuth"]["mapUsers"][0]["userarn"],
        "arn:aws:iam::123456789012:user/alice"
    );
    assert_eq!(aws["awsAuth"]["mapAccounts"], json!(["123456789012"]));
    assert!(aws["awsAuth"].get("mapSecrets").is_none());
    assert!(aws["keys"]["mapSecrets"].as_u64().is_some());

    // coderd: allow-listed settings, the access URL without its credentials, references.
    let coderd = back.object("Deployment", "coder", "coder");
    let container = &coderd["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        env_value(container, "CODER_ACCESS_URL")["value"],
        "https://REDACTED@coder.example.com"
    );
    assert_eq!(
        env_value(container, "CODER_HTTP_ADDRESS")["value"],
        "0.0.0.0:8080"
    );
    assert_eq!(
        env_value(container, "CODER_DERP_SERVER_RELAY_URL")["value"],
        "http://$(KUBE_POD_IP):8080"
    );
    assert_eq!(
        env_value(container, "KUBE_POD_IP")["valueFrom"]["fieldRef"]["fieldPath"],
        "status.podIP"
    );
    assert_eq!(
        env_value(container, "CODER_EXTERNAL_AUTH_0_CLIENT_SECRET")["valueFrom"]["secretKeyRef"],
        json!({"name": "github-oauth", "key": "client-secret"})
    );
    assert_eq!(container["args"], json!(["server"]));
    let template = &coderd["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(
        template["checksum/config"],
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    );
    assert_eq!(
        coderd["metadata"]["labels"]["helm.sh/chart"],
        "coder-2.15.0"
    );
    assert_eq!(
        coderd["metadata"]["annotations"]["meta.helm.sh/release-name"],
        "coder"
    );

    // Workspace: Coder's labels, the agent's auth mode.
    let ws = back.object(
        "Deployment",
        "coder-workspaces",
        "coder-3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f",
    );
    assert_eq!(ws["metadata"]["labels"]["com.coder.user.username"], "alice");
    assert_eq!(
        ws["metadata"]["labels"]["com.coder.workspace.id"],
        "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"
    );
    let dev = &ws["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(env_value(dev, "CODER_AGENT_AUTH")["value"], "token");
    assert!(
        dev["command"][2]
            .as_str()
            .unwrap()
            .ends_with("&& exec coder agent")
    );

    // Pod: harmless settings and flags stay.
    let pod = back.object("Pod", "coder", "debug-pod");
    let main = &pod["spec"]["containers"][0];
    assert_eq!(env_value(main, "LOG_LEVEL")["value"], "debug");
    assert_eq!(main["args"][0], "--token");
    assert_eq!(main["args"][3], "--verbose");

    // Webhook: the URL without its credentials.
    let hook = back.object("MutatingWebhookConfiguration", "", "injector");
    assert_eq!(
        hook["webhooks"][0]["clientConfig"]["url"],
        "https://REDACTED@hooks.example.com/mutate"
    );

    // Coder API: what is not secret stays.
    let api = &back.entries[API_PATH][0];
    assert_eq!(api["buildinfo"]["version"], "v2.15.0+e3d7eb2");
    assert_eq!(api["users"][0]["login_type"], "oidc");
    assert_eq!(api["users"][0]["roles"][0]["name"], "owner");
    assert_eq!(
        api["options"][1]["value"],
        "https://REDACTED@coder.example.com"
    );
    assert_eq!(api["options"][3]["value"], true);
    assert_eq!(api["config"]["external_auth"][0]["client_id"], "Iv1.0123");
}

#[test]
fn every_rule_counted_and_recorded_in_the_manifest() {
    let redactor = Redactor::with_key([0x5a; 32]);
    let (back, _tmp) = round_trip(&redactor);
    let summary = &back.manifest.redaction;
    assert_eq!(summary, &redactor.summary());
    // The red-team corpus exercises the free-text parsers; every rule must count in one of the two.
    let tmp = tempfile::tempdir().unwrap();
    snapshot_round_trip(&scenario("redteam"), &redactor, &[], tmp.path());
    let both = redactor.summary();
    let silent: Vec<&str> = RULES
        .iter()
        .map(|r| r.name)
        .filter(|name| both.rules.get(*name).copied().unwrap_or(0) == 0)
        .collect();
    assert!(
        silent.is_empty(),
        "rules that redacted nothing in the canary and red-team scenarios: {silent:?}"
    );
    let unknown: Vec<&String> = both
        .rules
        .keys()
        .filter(|k| !RULES.iter().any(|r| r.name == k.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "counted rules missing from RULES: {unknown:?}"
    );
    // One count per Secret entry: 4 + 4 + 1 + 1 + 3 + 1, and the Secret manifest in the release's
    // `extraTemplates`.
    assert_eq!(summary.rules["secret-data"], 15);
    assert_eq!(summary.rules["helm-release"], 1);
    assert_eq!(summary.rules["last-applied-configuration"], 2);
}

#[test]
fn equal_secrets_share_a_fingerprint_within_a_snapshot_only() {
    let a = Redactor::with_key([1; 32]);
    let b = Redactor::with_key([2; 32]);
    assert_eq!(
        a.marker("hunter2", Why::SecretNamed),
        a.marker("hunter2", Why::SecretNamed)
    );
    assert_ne!(
        a.marker("hunter2", Why::SecretNamed),
        b.marker("hunter2", Why::SecretNamed)
    );
    assert!(
        a.marker("hunter2", Why::SecretNamed)
            .ends_with(" len=7 why=secret-named>")
    );
}

#[test]
fn preparing_an_object_twice_changes_nothing() {
    let redactor = Redactor::with_key([0x5a; 32]);
    let docs = coder_sec_model::manifests::load_paths(&[scenario("canaries")]).unwrap();
    for doc in docs {
        let mut object = doc.object;
        coder_sec_model::prepare_object(&mut object, &redactor);
        let once = object.clone();
        let counts = redactor.summary();
        coder_sec_model::prepare_object(&mut object, &redactor);
        assert_eq!(object, once, "{} changed on a second pass", doc.source);
        assert_eq!(redactor.summary(), counts, "{} counted twice", doc.source);
    }
}
