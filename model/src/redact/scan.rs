//! Looking for needles in everything a snapshot holds, however it is wrapped: the check behind the
//! canary tests, public so that capture tests can run the same one.
//!
//! Every string (and object key) is collected, then decoded where it can be: standard and URL-safe
//! base64 (padded or not), gzip, JSON and YAML inside strings, recursively up to [`MAX_DEPTH`] layers.
//! A needle is found when it occurs in any collected or decoded string.

use std::io::Read;

use base64::Engine;
use serde_json::Value;

/// How many layers of wrapping are peeled at most.
pub const MAX_DEPTH: usize = 8;

/// Largest decompressed gzip member looked into (16 MiB).
const MAX_GUNZIP: u64 = 16 << 20;

/// Every string of `value` and every decoding of it (see the module documentation).
pub fn decoded_strings(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk_value(value, 0, &mut out);
    out
}

/// Every string of `text` (itself, and decoded as JSON, YAML, base64 or gzip).
pub fn decoded_text_strings(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    walk_string(text, 0, &mut out);
    out
}

/// The needles that occur in `value`, decoded as [`decoded_strings`] does, in the order given.
pub fn find_needles(value: &Value, needles: &[&str]) -> Vec<String> {
    matches(&decoded_strings(value), needles)
}

/// The needles that occur in `text`, decoded as [`decoded_text_strings`] does.
pub fn find_needles_in_text(text: &str, needles: &[&str]) -> Vec<String> {
    matches(&decoded_text_strings(text), needles)
}

/// Parses a needle list: one needle per line, a tab, then where it hides (used to name survivors).
/// Blank lines and lines starting with `#` are skipped; a line without a tab is a needle with no
/// description.
pub fn parse_needle_list(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('\t') {
            Some((needle, place)) => (needle.to_string(), place.trim().to_string()),
            None => (l.trim().to_string(), String::new()),
        })
        .collect()
}

fn matches(strings: &[String], needles: &[&str]) -> Vec<String> {
    needles
        .iter()
        .filter(|n| strings.iter().any(|s| s.contains(**n)))
        .map(|n| (*n).to_string())
        .collect()
}

fn walk_value(value: &Value, depth: usize, out: &mut Vec<String>) {
    match value {
        Value::String(s) => walk_string(s, depth, out),
        Value::Array(items) => items.iter().for_each(|v| walk_value(v, depth, out)),
        Value::Object(map) => {
            for (k, v) in map {
                walk_string(k, depth, out);
                walk_value(v, depth, out);
            }
        }
        Value::Number(n) => out.push(n.to_string()),
        Value::Bool(_) | Value::Null => {}
    }
}

fn walk_yaml(value: &serde_yaml_ng::Value, depth: usize, out: &mut Vec<String>) {
    use serde_yaml_ng::Value as Y;
    match value {
        Y::String(s) => walk_string(s, depth, out),
        Y::Number(n) => out.push(n.to_string()),
        Y::Sequence(items) => items.iter().for_each(|v| walk_yaml(v, depth, out)),
        Y::Mapping(map) => {
            for (k, v) in map {
                walk_yaml(k, depth, out);
                walk_yaml(v, depth, out);
            }
        }
        Y::Tagged(t) => walk_yaml(&t.value, depth, out),
        Y::Bool(_) | Y::Null => {}
    }
}

fn walk_string(s: &str, depth: usize, out: &mut Vec<String>) {
    out.push(s.to_string());
    if depth >= MAX_DEPTH {
        return;
    }
    let t = s.trim();
    if (t.starts_with('{') || t.starts_with('['))
        && let Ok(v) = serde_json::from_str::<Value>(t)
    {
        walk_value(&v, depth + 1, out);
        return;
    }
    if t.contains('\n') || t.contains(": ") {
        for doc in serde_yaml_ng::Deserializer::from_str(t) {
            use serde::Deserialize;
            match serde_yaml_ng::Value::deserialize(doc) {
                Ok(serde_yaml_ng::Value::String(same)) if same == t => {}
                Ok(v) => walk_yaml(&v, depth + 1, out),
                Err(_) => break,
            }
        }
    }
    for bytes in base64_decodings(t) {
        walk_bytes(&bytes, depth + 1, out);
    }
}

fn walk_bytes(bytes: &[u8], depth: usize, out: &mut Vec<String>) {
    if depth >= MAX_DEPTH {
        return;
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut inflated = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(bytes)
            .take(MAX_GUNZIP)
            .read_to_end(&mut inflated);
        if !inflated.is_empty() {
            walk_bytes(&inflated, depth + 1, out);
        }
        return;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => walk_string(text, depth, out),
        Err(_) => out.push(String::from_utf8_lossy(bytes).into_owned()),
    }
}

/// The decodings of `s` as base64 (standard, then URL-safe; padding optional; whitespace ignored).
fn base64_decodings(s: &str) -> Vec<Vec<u8>> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() < 4
        || !compact
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/-_=".contains(&b))
    {
        return Vec::new();
    }
    let config = base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let standard = base64::engine::GeneralPurpose::new(&base64::alphabet::STANDARD, config);
    let url_safe = base64::engine::GeneralPurpose::new(&base64::alphabet::URL_SAFE, config);
    let mut out = Vec::new();
    if let Ok(b) = standard.decode(&compact) {
        out.push(b);
    }
    if let Ok(b) = url_safe.decode(&compact)
        && !out.contains(&b)
    {
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use serde_json::json;
    use std::io::Write;

    #[test]
    fn finds_needles_through_every_wrapping() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"{\"deep\": \"NEEDLE-gzip\"}").unwrap();
        let gz = gz.finish().unwrap();
        let doc = json!({
            "plain": "x NEEDLE-plain y",
            "b64": STANDARD.encode("NEEDLE-b64"),
            "double": STANDARD.encode(STANDARD.encode("NEEDLE-double")),
            "url": URL_SAFE_NO_PAD.encode("??NEEDLE-url>>"),
            "gzip": STANDARD.encode(STANDARD.encode(&gz)),
            "json": "{\"k\": \"NEEDLE-json\"}",
            "yaml": "a:\n  - b: NEEDLE-yaml\n",
            "NEEDLE-key": 1,
        });
        let needles = [
            "NEEDLE-plain",
            "NEEDLE-b64",
            "NEEDLE-double",
            "NEEDLE-url",
            "NEEDLE-gzip",
            "NEEDLE-json",
            "NEEDLE-yaml",
            "NEEDLE-key",
            "NEEDLE-absent",
        ];
        let found = find_needles(&doc, &needles);
        assert_eq!(found, needles[..8]);
        assert!(find_needles_in_text("{\"a\": \"TlVM\"}", &["NUL"]).len() == 1);
    }
}
