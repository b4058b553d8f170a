//! Markers say why a value went: `secret-literal-env` fires only for values redacted as secrets, never
//! for ordinary settings that are merely off the allow-list (issue 10).

use crate::support::analyse;

const CODERD: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: coder, namespace: coder, labels: {app.kubernetes.io/name: coder}}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: coder}}
  template:
    metadata: {labels: {app.kubernetes.io/name: coder}}
    spec:
      containers:
      - name: coder
        image: ghcr.io/coder/coder:v2.15.0
        args: [server]
        env:
        - {name: CODER_ACCESS_URL, value: "https://coder.example.com"}
        - {name: HUMAN_LOG, value: /dev/stderr}
        - {name: VERBOSE, value: "true"}
        - {name: DB_PORT, value: "5432"}
        - {name: DB_SSL_MODE, value: verify-full}
        - {name: CODER_MIGRATE_BUILT_IN_PROVIDER, value: "false"}
        - {name: CODER_PG_CONNECTION_URL, value: "postgres://coder:hunter2@db/coder"}
"#;

#[test]
fn secret_literal_env_ignores_settings_that_are_merely_not_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("coderd.yaml");
    std::fs::write(&file, CODERD).unwrap();
    let a = analyse(&[file]);
    let literal: Vec<&String> = a
        .report
        .findings
        .iter()
        .filter(|f| f.code.code() == "secret-literal-env")
        .flat_map(|f| &f.objects)
        .collect();
    assert!(
        literal
            .iter()
            .any(|o| o.contains("env `CODER_PG_CONNECTION_URL`")),
        "{literal:?}"
    );
    for ordinary in [
        "HUMAN_LOG",
        "VERBOSE",
        "DB_PORT",
        "DB_SSL_MODE",
        "CODER_MIGRATE_BUILT_IN_PROVIDER",
    ] {
        assert!(
            !literal
                .iter()
                .any(|o| o.contains(&format!("env `{ordinary}`"))),
            "{ordinary} reported as a literal secret: {literal:?}"
        );
    }
}
