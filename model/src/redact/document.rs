//! Free-form documents: Coder REST API answers ([`Redactor::redact_document`], allow-list rows of
//! scope `Coder API`) and Helm values or documents inside strings ([`Redactor::redact_free_values`],
//! free text). The walk itself is `walk.rs`; this module keeps the document-level constants and tests.

#[cfg(test)]
use super::{Redactor, Why, is_marker, marker_reason};
#[cfg(test)]
use serde_json::Value;

/// Keys whose string values are personal data in documents (never on the allow-list).
pub const PERSONAL_DATA_KEYS: &[&str] = &["email"];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coder_api_responses_keep_what_the_analysis_reads() {
        let r = Redactor::with_key([2; 32]);
        let mut doc = json!({
            "version": "v2.15.0+e3d7eb2", "external_url": "https://github.com/coder/coder/commit/e3d7eb2", "dashboard_url": "https://coder.example.com",
            "users": [{"id": "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f", "username": "alice", "email": "alice@example.com", "login_type": "oidc", "roles": [{"name": "owner"}], "status": "active"}],
            "options": [
                {"name": "Access URL", "env": "CODER_ACCESS_URL", "value": "https://user:pw@coder.example.com"},
                {"name": "Postgres Connection URL", "env": "CODER_PG_CONNECTION_URL", "value": "postgres://u:p@db/coder", "annotations": {"secret": "true"}},
                {"name": "OIDC Client Secret", "env": "CODER_OIDC_CLIENT_SECRET", "value": "abc"},
                {"name": "Something", "env": "CODER_SOMETHING", "value": "harmless", "annotations": {"secret": "true"}},
                {"name": "Cache", "env": "CODER_CACHE_DIRECTORY", "value": "/tmp/coder-cache"},
                {"name": "Scopes", "env": "CODER_OIDC_SCOPES", "value": ["openid", "email"]},
            ],
            "config": {"external_auth": [{"id": "github", "type": "github", "client_secret": "s3cr3t", "token_url": "https://github.com/login/oauth/access_token"}]},
            "license": {"claims": {"jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlMDEyMzQ1"}},
            "note": "an ordinary note",
        });
        r.redact_document(&mut doc);
        assert_eq!(doc["version"], "v2.15.0+e3d7eb2");
        assert_eq!(doc["users"][0]["username"], "alice");
        assert!(is_marker(doc["users"][0]["email"].as_str().unwrap()));
        assert_eq!(doc["users"][0]["login_type"], "oidc");
        assert_eq!(doc["users"][0]["roles"][0]["name"], "owner");
        let o = &doc["options"];
        assert_eq!(o[0]["value"], "https://REDACTED@coder.example.com");
        let why = |v: &Value| marker_reason(v.as_str().unwrap());
        assert_eq!(why(&o[1]["value"]), Some(Why::SecretNamed));
        assert_eq!(why(&o[2]["value"]), Some(Why::SecretNamed));
        assert_eq!(why(&o[3]["value"]), Some(Why::SecretNamed));
        assert_eq!(o[4]["value"], "/tmp/coder-cache");
        assert_eq!(o[5]["value"], json!(["openid", "email"]));
        let ea = &doc["config"]["external_auth"][0];
        assert_eq!(why(&ea["client_secret"]), Some(Why::SecretNamed));
        assert_eq!(
            ea["token_url"],
            "https://github.com/login/oauth/access_token"
        );
        assert_eq!(ea["id"], "github");
        assert!(is_marker(doc["license"]["claims"]["jwt"].as_str().unwrap()));
        assert_eq!(why(&doc["note"]), Some(Why::NotAllowed));
        let once = doc.clone();
        r.redact_document(&mut doc);
        assert_eq!(doc, once);
    }

    #[test]
    fn helm_values_keep_only_safe_facts() {
        let r = Redactor::with_key([2; 32]);
        let mut doc = json!({
            "coder": {"image": {"repo": "ghcr.io/coder/coder", "tag": "v2.15.0"},
                "env": [{"name": "CODER_ACCESS_URL", "value": "https://coder.example.com"},
                        {"name": "CODER_CUSTOM", "value": "plain"}],
                "commandArgs": ["--psk", "Q9x", "--verbose"],
                "service": {"type": "LoadBalancer"}},
            "database": {"pass": "hunter", "host": "db.example.com", "password": 1234, "port": 5432},
            "vault": {"approle": {"secretId": "3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f"}},
            "extraEnvVars": [{"name": "DB_PASSWORD", "value": "letters"}],
            "postgresql": {"auth": {"username": "coder", "password": "hunter2", "existingSecret": "db", "enabled": true}},
            "extraTemplates": [
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n",
                "#!/bin/sh\nexport API_TOKEN=abc\necho done\n"
            ],
        });
        r.redact_free_values(&mut doc);
        assert_eq!(doc["coder"]["image"]["repo"], "ghcr.io/coder/coder");
        assert_eq!(doc["coder"]["image"]["tag"], "v2.15.0");
        assert_eq!(doc["coder"]["env"][0]["value"], "https://coder.example.com");
        assert!(is_marker(doc["coder"]["env"][1]["value"].as_str().unwrap()));
        let args = &doc["coder"]["commandArgs"];
        assert_eq!(args[0], "--psk");
        assert!(is_marker(args[1].as_str().unwrap()));
        assert_eq!(args[2], "--verbose");
        assert_eq!(doc["coder"]["service"]["type"], "LoadBalancer");
        assert!(is_marker(doc["database"]["pass"].as_str().unwrap()));
        assert_eq!(doc["database"]["host"], "db.example.com");
        assert!(is_marker(doc["database"]["password"].as_str().unwrap()));
        assert_eq!(doc["database"]["port"], 5432);
        assert!(is_marker(
            doc["vault"]["approle"]["secretId"].as_str().unwrap()
        ));
        assert!(is_marker(doc["extraEnvVars"][0]["value"].as_str().unwrap()));
        let auth = &doc["postgresql"]["auth"];
        assert_eq!(auth["username"], "coder");
        assert!(is_marker(auth["password"].as_str().unwrap()));
        assert_eq!(auth["existingSecret"], "db");
        let t = &doc["extraTemplates"];
        let parsed: Value = serde_yaml_ng::from_str(t[0].as_str().unwrap()).unwrap();
        assert_eq!(parsed["metadata"]["name"], "db");
        assert_eq!(parsed["redacted"]["keys"]["password"], 7);
        let script = t[1].as_str().unwrap();
        assert!(
            script.contains("export API_TOKEN=<redacted fp="),
            "{script}"
        );
        assert!(script.ends_with("echo done\n"), "{script}");
        let once = doc.clone();
        r.redact_free_values(&mut doc);
        assert_eq!(doc, once);
    }
}
