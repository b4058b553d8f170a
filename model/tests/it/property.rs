//! The property test of default deny: random canaries, in every encoding an attacker would use (raw,
//! base64, double base64, hex, percent-encoded, gzip, JSON-escaped, split across words), planted at
//! random string positions of random object trees of every captured kind and of Helm values, never
//! survive redaction outside allow-listed paths; and redacting twice changes nothing.

use std::io::Write;

use base64::Engine;
use coder_sec_model::redact::allow::{self, Scope};
use coder_sec_model::redact::shape::Shape;
use coder_sec_model::redact::{Redactor, env_name_allowed, scan};
use coder_sec_model::{KINDS, prepare_object};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Where a canary is planted in a generated tree.
const PLANT: &str = "\u{1}PLANT";

const KEYS: &[&str] = &[
    "spec",
    "template",
    "metadata",
    "containers",
    "initContainers",
    "env",
    "args",
    "command",
    "name",
    "value",
    "annotations",
    "labels",
    "data",
    "stringData",
    "options",
    "parameters",
    "mountOptions",
    "url",
    "path",
    "host",
    "image",
    "password",
    "token",
    "config",
    "script",
    "clientConfig",
    "httpGet",
    "webhooks",
    "rules",
    "volumes",
    "flexVolume",
    "selector",
    "matchLabels",
    "notes",
    "x",
];

const WORDS: &[&str] = &[
    "coder",
    "server",
    "true",
    "8080",
    "CODER_ACCESS_URL",
    "LOG_LEVEL",
    "DB_PASSWORD",
    "HUMAN_LOG",
    "https://coder.example.com",
    "/etc/ssl",
    "ghcr.io/coder/coder:v2.15.0",
    "--verbose",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => Just(Value::String(PLANT.into())),
        2 => proptest::sample::select(WORDS).prop_map(|w| Value::String(w.into())),
        1 => any::<u16>().prop_map(Value::from),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 1..4).prop_map(Value::Array),
            proptest::collection::btree_map(proptest::sample::select(KEYS), inner, 1..5).prop_map(
                |m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            ),
        ]
    })
}

/// One canary: letters of both cases and digits, so that no parser takes it for a plain word.
fn canary() -> impl Strategy<Value = String> {
    ("[A-Z][a-z]{3}[0-9][A-Za-z0-9]{6}[0-9][a-z]").prop_map(|s| format!("Qz{s}"))
}

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Raw,
    Base64,
    DoubleBase64,
    Hex,
    Percent,
    Gzip,
    JsonEscaped,
    SplitWords,
}

const ENCODINGS: &[Encoding] = &[
    Encoding::Raw,
    Encoding::Base64,
    Encoding::DoubleBase64,
    Encoding::Hex,
    Encoding::Percent,
    Encoding::Gzip,
    Encoding::JsonEscaped,
    Encoding::SplitWords,
];

/// The planted string, and the needles that must not survive: the canary itself (found through every
/// decoding the scanner knows) and the encoded form where the scanner cannot decode it.
fn encode(canary: &str, e: Encoding, variant: usize) -> (String, Vec<String>) {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    match e {
        Encoding::Raw => (canary.into(), vec![canary.into()]),
        Encoding::Base64 => (b64(canary.as_bytes()), vec![canary.into()]),
        Encoding::DoubleBase64 => (b64(b64(canary.as_bytes()).as_bytes()), vec![canary.into()]),
        Encoding::Hex => {
            let h = hex::encode(canary);
            (h.clone(), vec![canary.into(), h])
        }
        Encoding::Percent => {
            let p: String = canary.bytes().map(|b| format!("%{b:02X}")).collect();
            (p.clone(), vec![canary.into(), p])
        }
        Encoding::Gzip => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(canary.as_bytes()).unwrap();
            (b64(&gz.finish().unwrap()), vec![canary.into()])
        }
        Encoding::JsonEscaped => {
            let escaped: String = canary
                .chars()
                .map(|c| format!("\\u{:04x}", c as u32))
                .collect();
            (format!("{{\"note\": \"{escaped}\"}}"), vec![canary.into()])
        }
        Encoding::SplitWords => {
            let forms = [
                format!("--token {canary}"),
                format!("password {canary}"),
                format!("curl -H 'Authorization: Bearer {canary}' https://x.example.com"),
                format!("run --name {canary} now"),
                format!("export X={canary}"),
            ];
            (forms[variant % forms.len()].clone(), vec![canary.into()])
        }
    }
}

/// Replaces every planted leaf, returning the needles of leaves outside allow-listed paths.
fn plant(
    value: &mut Value,
    path: &mut Vec<String>,
    scope_kind: Option<&str>,
    canaries: &mut impl Iterator<Item = (String, Encoding, usize)>,
    sibling_name: Option<&str>,
    needles: &mut Vec<String>,
) {
    match value {
        Value::String(s) if s == PLANT => {
            let (canary, encoding, variant) = canaries.next().unwrap();
            let (text, forms) = encode(&canary, encoding, variant);
            *s = text;
            if !allow_listed(path, scope_kind, sibling_name) {
                needles.extend(forms);
            }
        }
        Value::Array(items) => {
            path.push("[]".into());
            for item in items {
                plant(item, path, scope_kind, canaries, None, needles);
            }
            path.pop();
        }
        Value::Object(map) => {
            let name = map.get("name").and_then(Value::as_str).map(str::to_string);
            for (k, v) in map.iter_mut() {
                path.push(k.clone());
                let sibling = (k == "value").then_some(name.as_deref()).flatten();
                plant(v, path, scope_kind, canaries, sibling, needles);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Whether a string at `path` may keep a literal: an allow-list row with a typed shape, or an
/// environment value of an allow-listed name. Free-text shapes (arguments, annotations, free text)
/// keep only safe facts, so canaries there must go.
fn allow_listed(path: &[String], kind: Option<&str>, sibling_name: Option<&str>) -> bool {
    let segs: Vec<&str> = path.iter().map(String::as_str).collect();
    let row = match kind {
        Some(kind) => allow::lookup(Scope::Object, kind, &segs),
        None => allow::lookup(Scope::Object, "", &segs).filter(|r| r.path.starts_with("**.env")),
    };
    match row.map(|r| r.shape) {
        None | Some(Shape::FreeText | Shape::Annotation | Shape::Argv) => false,
        Some(Shape::EnvValue) => {
            let n = segs.len();
            let name = if n >= 2 && segs[n - 2] == "env" && segs[n - 1] != "[]" {
                Some(segs[n - 1])
            } else {
                sibling_name
            };
            name.is_some_and(env_name_allowed)
        }
        Some(_) => true,
    }
}

fn survivors(redacted: &Value, needles: &[String]) -> Vec<String> {
    let text = redacted.to_string();
    let refs: Vec<&str> = needles.iter().map(String::as_str).collect();
    let mut out = scan::find_needles(redacted, &refs);
    out.extend(
        refs.iter()
            .filter(|n| text.contains(**n))
            .map(|n| n.to_string()),
    );
    out.sort();
    out.dedup();
    out
}

fn canaries_stream() -> impl Strategy<Value = Vec<(String, usize, usize)>> {
    proptest::collection::vec((canary(), 0..ENCODINGS.len(), 0..5usize), 64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn planted_canaries_never_survive_outside_allow_listed_paths(
        kind_index in 0..KINDS.len() + 1,
        spec in tree(),
        annotations in tree(),
        container in tree(),
        stream in canaries_stream(),
    ) {
        let mut canaries = stream
            .into_iter()
            .map(|(c, e, v)| (c, ENCODINGS[e], v));
        let redactor = Redactor::with_key([0x11; 32]);
        if kind_index == KINDS.len() {
            // Helm values.
            let mut values = json!({"coder": spec, "extra": annotations, "env": [container]});
            let mut needles = Vec::new();
            plant(&mut values, &mut Vec::new(), None, &mut canaries, None, &mut needles);
            redactor.redact_free_values(&mut values);
            let left = survivors(&values, &needles);
            prop_assert!(left.is_empty(), "Helm values kept {left:?}:\n{values:#}");
            let once = values.clone();
            redactor.redact_free_values(&mut values);
            prop_assert_eq!(&values, &once, "redacting Helm values twice changed them");
            return Ok(());
        }
        let k = &KINDS[kind_index];
        let api_version = if k.group.is_empty() {
            k.version.to_string()
        } else {
            format!("{}/{}", k.group, k.version)
        };
        let annotations = match annotations {
            Value::Object(m) => Value::Object(m),
            other => Value::Object(Map::from_iter([("example.com/x".to_string(), other)])),
        };
        let mut object = json!({
            "apiVersion": api_version, "kind": k.kind,
            "metadata": {"name": "n", "namespace": "ns", "annotations": annotations},
            "spec": spec,
        });
        // Pod templates: a random container in every place the kind has one.
        let template = match k.kind {
            "Pod" => Some("/spec"),
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController" | "Job" => Some("/spec/template/spec"),
            "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
            _ => None,
        };
        if let Some(pointer) = template {
            let mut root = json!({});
            root["containers"] = json!([container.clone()]);
            root["initContainers"] = json!([{"name": "i", "args": [PLANT, PLANT], "env": [{"name": "X_SETTING", "value": PLANT}]}]);
            let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
            let mut at = &mut object;
            for p in &parts[..parts.len() - 1] {
                if !at.get(*p).is_some_and(Value::is_object) {
                    at[*p] = json!({});
                }
                at = at.get_mut(*p).unwrap();
            }
            at[*parts.last().unwrap()] = root;
        }
        let mut needles = Vec::new();
        plant(&mut object, &mut Vec::new(), Some(k.kind), &mut canaries, None, &mut needles);
        let before = object.clone();
        prepare_object(&mut object, &redactor);
        let left = survivors(&object, &needles);
        prop_assert!(left.is_empty(), "{} kept {left:?}\nbefore: {before:#}\nafter: {object:#}", k.kind);
        let once = object.clone();
        prepare_object(&mut object, &redactor);
        prop_assert_eq!(&object, &once, "preparing a {} twice changed it", k.kind);
    }
}
