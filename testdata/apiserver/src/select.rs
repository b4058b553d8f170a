//! Label selectors (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`) and field selectors
//! (`metadata.name`, `metadata.namespace`, and for pods `spec.nodeName`, `status.phase`; `=`, `==`, `!=`).

use crate::store::StoredObject;

/// A selector that does not parse, or names an unsupported field. The message is what the API answers.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub(crate) struct SelectorError(pub String);

#[derive(Debug, Clone, PartialEq, Eq)]
enum LabelOp {
    Equals(String),
    NotEquals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
}

/// A parsed label selector: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LabelSelector(Vec<(String, LabelOp)>);

/// Splits on commas outside parentheses.
fn split_terms(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

impl LabelSelector {
    /// Parses a `labelSelector` query value.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut reqs = Vec::new();
        for term in split_terms(s) {
            let bad =
                |why: &str| SelectorError(format!("unable to parse requirement: {why}: {term:?}"));
            let req = if let Some(key) = term.strip_prefix('!') {
                (key.trim().to_string(), LabelOp::DoesNotExist)
            } else if let Some((key, value)) = term.split_once("!=") {
                (
                    key.trim().to_string(),
                    LabelOp::NotEquals(value.trim().to_string()),
                )
            } else if let Some((key, value)) = term.split_once("==") {
                (
                    key.trim().to_string(),
                    LabelOp::Equals(value.trim().to_string()),
                )
            } else if let Some((key, value)) = term.split_once('=') {
                (
                    key.trim().to_string(),
                    LabelOp::Equals(value.trim().to_string()),
                )
            } else if let Some(open) = term.find('(') {
                let head = term[..open].trim();
                let Some(inner) = term[open + 1..].strip_suffix(')') else {
                    return Err(bad("missing `)`"));
                };
                let values: Vec<String> = inner
                    .split(',')
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect();
                let mut words = head.split_whitespace();
                let (Some(key), Some(op), None) = (words.next(), words.next(), words.next()) else {
                    return Err(bad("expected `key in (values)` or `key notin (values)`"));
                };
                match op {
                    "in" => (key.to_string(), LabelOp::In(values)),
                    "notin" => (key.to_string(), LabelOp::NotIn(values)),
                    _ => return Err(bad("unknown operator")),
                }
            } else if term.contains(char::is_whitespace) {
                return Err(bad("unknown operator"));
            } else {
                (term.to_string(), LabelOp::Exists)
            };
            if !valid_key(&req.0) {
                return Err(bad("invalid label key"));
            }
            reqs.push(req);
        }
        Ok(LabelSelector(reqs))
    }

    /// Whether the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `object` satisfies every requirement.
    pub fn matches(&self, object: &StoredObject<'_>) -> bool {
        self.0.iter().all(|(key, op)| {
            let value = object.label(key);
            match op {
                LabelOp::Equals(v) => value == Some(v.as_str()),
                LabelOp::NotEquals(v) => value != Some(v.as_str()),
                LabelOp::In(vs) => value.is_some_and(|x| vs.iter().any(|v| v == x)),
                LabelOp::NotIn(vs) => value.is_none_or(|x| vs.iter().all(|v| v != x)),
                LabelOp::Exists => value.is_some(),
                LabelOp::DoesNotExist => value.is_none(),
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Namespace,
    NodeName,
    Phase,
}

/// A parsed field selector: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldSelector(Vec<(Field, bool, String)>);

impl FieldSelector {
    /// Parses a `fieldSelector` query value for resource `plural`.
    pub fn parse(s: &str, plural: &str) -> Result<Self, SelectorError> {
        let mut reqs = Vec::new();
        for term in split_terms(s) {
            let (field, equal, value) = if let Some((f, v)) = term.split_once("!=") {
                (f, false, v)
            } else if let Some((f, v)) = term.split_once("==") {
                (f, true, v)
            } else if let Some((f, v)) = term.split_once('=') {
                (f, true, v)
            } else {
                return Err(SelectorError(format!(
                    "invalid selector: '{s}'; can't understand '{term}'"
                )));
            };
            let field = match (field.trim(), plural) {
                ("metadata.name", _) => Field::Name,
                ("metadata.namespace", _) => Field::Namespace,
                ("spec.nodeName", "pods") => Field::NodeName,
                ("status.phase", "pods") => Field::Phase,
                (other, _) => {
                    return Err(SelectorError(format!("field label not supported: {other}")));
                }
            };
            reqs.push((field, equal, value.trim().to_string()));
        }
        Ok(FieldSelector(reqs))
    }

    /// Whether the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `object` satisfies every requirement.
    pub fn matches(&self, object: &StoredObject<'_>) -> bool {
        self.0.iter().all(|(field, equal, value)| {
            let actual: &str = match field {
                Field::Name => object.name(),
                Field::Namespace => object.namespace(),
                Field::NodeName => object.node_name(),
                Field::Phase => object.phase(),
            };
            (actual == value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_label_operator() {
        let sel = LabelSelector::parse("a=1,b==2,c!=3,d in (x, y),e notin (z),f,!g").unwrap();
        assert_eq!(sel.0.len(), 7);
        assert_eq!(
            sel.0[3],
            ("d".into(), LabelOp::In(vec!["x".into(), "y".into()]))
        );
        assert_eq!(sel.0[6], ("g".into(), LabelOp::DoesNotExist));
        assert!(LabelSelector::parse("a in x").is_err());
        assert!(LabelSelector::parse("a b").is_err());
    }

    #[test]
    fn field_selectors_per_resource() {
        assert!(FieldSelector::parse("spec.nodeName=n1,status.phase!=Running", "pods").is_ok());
        let err = FieldSelector::parse("spec.nodeName=n1", "secrets").unwrap_err();
        assert!(
            err.0.contains("field label not supported: spec.nodeName"),
            "{err}"
        );
    }
}
