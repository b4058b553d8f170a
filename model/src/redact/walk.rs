//! Default deny: the walk over every string of an object, Coder API answer, `aws-auth` mapping or Helm
//! values. A string stays only when its path is on the allow-list ([`super::allow`]) and it passes the
//! row's shape ([`super::shape`]); free text (arguments, annotation values, Helm leaves) keeps what its
//! parser accepts. Everything else becomes a marker that says why it went.

use serde_json::{Map, Value};

use super::allow::{self, Scope};
use super::detect::{is_digest_key_name, is_secret_key_name};
use super::env::env_verdict;
use super::shape::{self, ANNOTATION_SHAPES, Piece, Shape, Verdict, secret_shape};
use super::{Redactor, Why, is_marker};

/// Keys under a secret-named object whose values are still kept: switches and names of things.
const HARMLESS_UNDER_SECRET: &[&str] = &[
    "enabled",
    "enable",
    "name",
    "key",
    "type",
    "username",
    "user",
    "existingSecret",
    "secretName",
    "secretKey",
    "passwordKey",
    "userKey",
];

/// What the strings are checked against.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode<'a> {
    /// Allow-list rows of a scope (for objects, of a kind).
    Listed(Scope, &'a str),
    /// Free-form values (Helm values, documents inside strings): every leaf is free text, environment
    /// lists follow the environment rule, secret-named keys lose their values.
    Values,
}

/// What a string's surroundings say about it.
#[derive(Debug, Clone, Default)]
struct Around {
    /// The `name` / `env` of the object holding a `value` (environment items, headers, Coder options).
    pair_name: Option<String>,
    /// The object is a Coder option flagged `annotations.secret`.
    flagged: bool,
    /// The string sits under a secret-named key.
    under_secret: bool,
}

impl Redactor {
    /// The default-deny walk over one value in `mode`.
    pub(crate) fn walk(&self, mode: Mode<'_>, value: &mut Value) {
        let mut path = Vec::new();
        self.visit(mode, &mut path, &Around::default(), value);
    }

    fn visit(&self, mode: Mode<'_>, path: &mut Vec<String>, around: &Around, value: &mut Value) {
        match value {
            Value::String(s) => self.visit_string(mode, path, around, s),
            Value::Number(_) | Value::Bool(_) => {
                // Numbers and switches are kept, except literal environment values of variables
                // that are not on the allow-list (they may be PINs or ports of secret services).
                let shape = self.shape_at(mode, path);
                if shape == Some(Shape::EnvValue)
                    && let Verdict::Deny(why) = env_verdict(
                        &self.env_name(path, around),
                        &value.to_string(),
                        around.flagged,
                    )
                {
                    let text = value.to_string();
                    *value = Value::String(self.marker(&text, why));
                    self.note(mode, path, "env-literal");
                } else if value.is_number()
                    && (around.under_secret
                        || (matches!(mode, Mode::Values)
                            && path.last().is_some_and(|k| is_secret_key_name(k))))
                {
                    let text = value.to_string();
                    *value = Value::String(self.marker(&text, Why::SecretNamed));
                    self.note(mode, path, "document-secret-key");
                }
            }
            Value::Null => {}
            Value::Array(items) => {
                if self.shape_at(mode, path) == Some(Shape::Argv) {
                    self.redact_argv(mode, path, items);
                    return;
                }
                path.push("[]".into());
                for item in items.iter_mut() {
                    self.visit(mode, path, around, item);
                }
                path.pop();
            }
            Value::Object(map) => self.visit_object(mode, path, around, map),
        }
    }

    fn visit_object(
        &self,
        mode: Mode<'_>,
        path: &mut Vec<String>,
        around: &Around,
        map: &mut Map<String, Value>,
    ) {
        let flagged = map
            .get("annotations")
            .and_then(|a| a.get("secret"))
            .is_some_and(|s| s == "true" || s == true);
        let pair_name = ["env", "name"]
            .iter()
            .filter_map(|k| map.get(*k).and_then(Value::as_str))
            .find(|n| !n.is_empty() && !is_marker(n))
            .map(str::to_string);
        let is_list = path.is_empty()
            && matches!(mode, Mode::Listed(Scope::Object, kind) if kind.ends_with("List"));
        for (key, child) in map.iter_mut() {
            if is_list && key == "items" {
                // Each item was redacted as an object of its own kind.
                continue;
            }
            let mut inner = Around {
                under_secret: around.under_secret,
                ..Around::default()
            };
            if key == "value" {
                inner.pair_name = pair_name.clone();
                inner.flagged = flagged;
            }
            if !around.under_secret {
                // Free text under a secret-named object (`credentials: {blob: ...}`) is a secret;
                // typed allow-listed fields keep following their rows.
                inner.under_secret =
                    is_secret_key_name(key) && (child.is_object() || child.is_array());
            } else if HARMLESS_UNDER_SECRET.contains(&key.as_str()) {
                inner.under_secret = false;
            }
            path.push(key.clone());
            self.visit(mode, path, &inner, child);
            path.pop();
        }
    }

    /// The shape the allow-list gives `path` in `mode`, if any.
    fn shape_at(&self, mode: Mode<'_>, path: &[String]) -> Option<Shape> {
        let segs: Vec<&str> = path.iter().map(String::as_str).collect();
        match mode {
            Mode::Listed(scope, kind) => allow::lookup(scope, kind, &segs).map(|r| r.shape),
            Mode::Values => {
                let env = allow::lookup(Scope::Object, "", &segs)
                    .filter(|r| r.path.starts_with("**.env"))
                    .map(|r| r.shape);
                // Argument lists in Helm values (`coder.commandArgs`, `initContainers[].args`).
                let key = segs
                    .last()
                    .map(|k| k.to_ascii_lowercase())
                    .unwrap_or_default();
                env.or((key.ends_with("args") || key == "command").then_some(Shape::Argv))
            }
        }
    }

    /// The variable an environment value belongs to: the key of a map-form `env`, else the `name` (or
    /// Coder option `env`) beside it.
    fn env_name(&self, path: &[String], around: &Around) -> String {
        let n = path.len();
        if n >= 2 && path[n - 2] == "env" && path[n - 1] != "[]" {
            return path[n - 1].clone();
        }
        around.pair_name.clone().unwrap_or_default()
    }

    fn visit_string(&self, mode: Mode<'_>, path: &[String], around: &Around, s: &mut String) {
        if s.is_empty() || is_marker(s) {
            return;
        }
        let key = path
            .iter()
            .rev()
            .find(|k| k.as_str() != "[]")
            .map(String::as_str);
        let shape = match mode {
            Mode::Listed(..) => self.shape_at(mode, path),
            Mode::Values => Some(self.shape_at(mode, path).unwrap_or(Shape::FreeText)),
        };
        let Some(shape) = shape else {
            let why = if holds_private_key(s) {
                self.note(mode, path, "private-key");
                Why::SecretShaped
            } else if around.under_secret
                || key.is_some_and(is_secret_key_name)
                || around.pair_name.as_deref().is_some_and(shape::secret_name)
            {
                self.note(mode, path, "field-secret");
                Why::SecretNamed
            } else if let Some(why) = secret_shape(s) {
                self.note(mode, path, "field-credential");
                why
            } else {
                self.note(mode, path, "not-allowed");
                Why::NotAllowed
            };
            *s = self.marker(s, why);
            return;
        };
        let verdict = match shape {
            Shape::EnvValue => env_verdict(&self.env_name(path, around), s, around.flagged),
            Shape::FreeText | Shape::Argv => {
                if around.under_secret
                    || key.is_some_and(is_secret_key_name)
                    || around.pair_name.as_deref().is_some_and(shape::secret_name)
                {
                    let v = s.as_str();
                    if matches!(v, "true" | "false") {
                        Verdict::Keep
                    } else {
                        Verdict::Deny(Why::SecretNamed)
                    }
                } else {
                    self.free_text(s)
                }
            }
            Shape::Annotation => self.annotation(key.unwrap_or(""), s),
            other => shape::check(other, key, s),
        };
        let rule = |why: Why| match (shape, why) {
            (Shape::EnvValue, Why::SecretShaped) => "env-credential",
            (Shape::EnvValue, _) => "env-literal",
            (Shape::Label, _) => "label-credential",
            (Shape::Annotation, Why::NotAllowed) => "annotation-free-text",
            (Shape::Annotation, _) => "annotation-credential",
            (Shape::FreeText, Why::SecretNamed) => "document-secret-key",
            (Shape::FreeText, Why::SecretShaped) => "document-credential",
            (Shape::FreeText, Why::NotAllowed) => "document-free-text",
            (_, Why::NotAllowed) => "not-allowed",
            (_, _) => "field-credential",
        };
        match verdict {
            Verdict::Keep => self.note_kept(mode, path, shape, s),
            Verdict::Rewrite(new) => {
                if new != *s {
                    let rule = match rewrite_rule(s, &new) {
                        "document-credential" if shape == Shape::Annotation => {
                            "annotation-credential"
                        }
                        "document-free-text" if shape == Shape::Annotation => {
                            "annotation-free-text"
                        }
                        other => other,
                    };
                    self.note(mode, path, rule);
                    *s = new;
                }
                self.note_kept(mode, path, shape, s);
            }
            Verdict::Deny(why) => {
                let rule = if holds_private_key(s) {
                    "private-key"
                } else if around.pair_name.is_some()
                    && path.iter().any(|p| p == "httpHeaders")
                    && why.is_secret()
                {
                    "header-credential"
                } else {
                    rule(why)
                };
                self.note(mode, path, rule);
                *s = self.marker(s, why);
            }
        }
    }

    fn annotation(&self, key: &str, s: &str) -> Verdict {
        if let Some((_, shape, _)) = ANNOTATION_SHAPES.iter().find(|(k, _, _)| *k == key) {
            return shape::check(*shape, Some(key), s);
        }
        if key.starts_with("container.apparmor.security.beta.kubernetes.io/")
            || key.starts_with("seccomp.security.alpha.kubernetes.io/")
        {
            return shape::check(Shape::Name, Some(key), s);
        }
        if s.len() >= 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) && is_digest_key_name(key) {
            return Verdict::Keep;
        }
        if is_secret_key_name(key) && !matches!(s, "true" | "false") {
            return Verdict::Deny(Why::SecretNamed);
        }
        self.free_text(s)
    }

    /// Free text: JSON and YAML documents inside are redacted structurally (Kubernetes objects as
    /// objects, the rest as values); other text keeps the words [`shape::parse_words`] accepts.
    pub(crate) fn free_text(&self, s: &str) -> Verdict {
        if s.contains("-----BEGIN ") {
            return Verdict::Deny(Why::SecretShaped);
        }
        let t = s.trim_start();
        if (t.starts_with('{') || t.starts_with('['))
            && let Ok(mut doc) = serde_json::from_str::<Value>(s)
        {
            let before = doc.clone();
            self.redact_embedded(&mut doc);
            return if doc == before {
                Verdict::Keep
            } else {
                Verdict::Rewrite(doc.to_string())
            };
        }
        if s.contains('\n')
            && let Some(v) = self.redact_yaml_text(s)
        {
            return v;
        }
        let multi = s.split_whitespace().nth(1).is_some() || s.contains('\n');
        if !multi {
            return shape::safe_token(s.trim());
        }
        let out = self.text_with_markers(&[s]);
        if out[0] == s {
            Verdict::Keep
        } else {
            Verdict::Rewrite(out[0].clone())
        }
    }

    /// A document found inside a string: a Kubernetes object (`apiVersion` and `kind`), a `List`, or
    /// free-form values.
    fn redact_embedded(&self, doc: &mut Value) {
        if doc.get("apiVersion").is_some() && doc.get("kind").is_some() {
            self.redact_object(doc);
        } else if let Value::Array(items) = doc {
            for item in items {
                self.redact_embedded(item);
            }
        } else {
            self.walk(Mode::Values, doc);
        }
    }

    /// Multi-line text that parses as YAML documents holding maps or lists: redacted structurally and
    /// re-serialised. `None` when it is not structured YAML.
    fn redact_yaml_text(&self, s: &str) -> Option<Verdict> {
        use serde::Deserialize;
        let docs: Vec<Value> = serde_yaml_ng::Deserializer::from_str(s)
            .map(Value::deserialize)
            .collect::<Result<_, _>>()
            .ok()?;
        if !docs.iter().any(|d| d.is_object() || d.is_array()) {
            return None;
        }
        let mut changed = false;
        let mut parts = Vec::with_capacity(docs.len());
        for mut doc in docs {
            let before = doc.clone();
            self.redact_embedded(&mut doc);
            changed |= doc != before;
            parts.push(serde_yaml_ng::to_string(&doc).ok()?);
        }
        Some(if changed {
            Verdict::Rewrite(parts.join("---\n"))
        } else {
            Verdict::Keep
        })
    }

    /// Items of free text or an argument vector with the words the parser refuses replaced by markers.
    fn text_with_markers(&self, items: &[&str]) -> Vec<String> {
        shape::parse_words(items)
            .into_iter()
            .map(|pieces| {
                pieces
                    .into_iter()
                    .map(|p| match p {
                        Piece::Text(t) => t,
                        Piece::Secret { value, why } => self.marker(&value, why),
                    })
                    .collect()
            })
            .collect()
    }

    /// An argument vector (`command`, `args`, `exec.command`), parsed as one word list so that a flag's
    /// value in the next item is recognised.
    fn redact_argv(&self, mode: Mode<'_>, path: &[String], items: &mut [Value]) {
        let texts: Vec<String> = items
            .iter()
            .map(|v| v.as_str().map(str::to_string).unwrap_or_default())
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let out = self.text_with_markers(&refs);
        let mut item_path = path.to_vec();
        item_path.push("[]".into());
        for ((item, new), old) in items.iter_mut().zip(out).zip(&texts) {
            match item {
                Value::String(s) => {
                    if new != *old {
                        if new.contains(" why=secret-") {
                            self.note(mode, &item_path, "args-credential");
                        }
                        if new.contains(" why=not-allowed>") {
                            self.note(mode, &item_path, "args-free-text");
                        }
                        *s = new;
                    }
                    self.note_kept(mode, &item_path, Shape::Argv, s);
                }
                Value::Number(_) | Value::Bool(_) | Value::Null => {}
                other => {
                    let mut inner = std::mem::take(other);
                    self.walk(Mode::Values, &mut inner);
                    *other = inner;
                }
            }
        }
    }
}

/// The report label of a path: segments joined by `.`, a kind's template roots as `{pod}`,
/// `{container}` and `{meta}`, prefixed by the scope.
fn label(mode: Mode<'_>, path: &[String]) -> String {
    let segs: Vec<&str> = path.iter().map(String::as_str).collect();
    match mode {
        Mode::Listed(Scope::Object, kind) => {
            format!("{kind}:{}", allow::normalize(kind, &segs).join("."))
        }
        Mode::Listed(scope, _) => format!("{}:{}", scope.name(), segs.join(".")),
        Mode::Values => format!("values:{}", segs.join(".")),
    }
}

impl Redactor {
    /// Counts one redaction under `rule` and under the value's path.
    fn note(&self, mode: Mode<'_>, path: &[String], rule: &'static str) {
        self.count(rule);
        self.count_path(label(mode, path));
    }

    /// Records a literal kept by a free-text parser (outside the schema's typed fields).
    fn note_kept(&self, mode: Mode<'_>, path: &[String], shape: Shape, value: &str) {
        if matches!(
            shape,
            Shape::FreeText | Shape::Annotation | Shape::Argv | Shape::EnvValue
        ) && !value.is_empty()
            && !is_marker(value)
        {
            self.keep_literal(label(mode, path), value);
        }
    }
}

/// The rule a rewrite counts under.
fn rewrite_rule(old: &str, new: &str) -> &'static str {
    if new.contains("REDACTED@") && !old.contains("REDACTED@") {
        "url-credentials"
    } else if new.contains(" why=secret-") {
        "document-credential"
    } else if new.contains("=REDACTED") || new.contains("/REDACTED") {
        "url-secret-part"
    } else {
        "document-free-text"
    }
}

/// Whether `s` holds a PEM private key, as text or base64-encoded.
pub fn holds_private_key(s: &str) -> bool {
    super::anywhere::holds_private_key(s)
}
