//! Parsing of what `kubectl get -o json|yaml`, `helm template` and manifest folders contain: single
//! objects, `List`s, multi-document YAML and concatenated JSON. Used by `coder-sec import` and the test API
//! server, so both read scenario files the same way.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// Largest manifest file read (256 MiB): larger inputs are refused rather than exhausting memory.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// File endings read when a folder is given.
pub const MANIFEST_EXTENSIONS: &[&str] = &["yaml", "yml", "json", "golden"];

/// An error reading or parsing manifest files.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// A file or folder could not be read.
    #[error("cannot read `{path}`")]
    Read {
        /// The path that failed.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file is larger than [`MAX_FILE_BYTES`].
    #[error("`{path}` is {size} bytes, more than the {limit}-byte limit for one manifest file")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A document does not parse.
    #[error("`{source_name}` document {document}: {message}")]
    Parse {
        /// The file (or other source) name.
        source_name: String,
        /// 1-based document position within the file.
        document: usize,
        /// What the parser said, with its line and column.
        message: String,
    },
}

/// One Kubernetes object read from a manifest source.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The file (or other source) it came from.
    pub source: String,
    /// 1-based document position within that source (items of a `List` share their list's position).
    pub position: usize,
    /// The object.
    pub object: Value,
}

/// Reads every object from the given files and folders (folders recursively, files with one of
/// [`MANIFEST_EXTENSIONS`], in sorted order).
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Document>, ManifestError> {
    let mut files = Vec::new();
    for path in paths {
        collect_files(path, &mut files)?;
    }
    let mut docs = Vec::new();
    for file in files {
        docs.extend(load_file(&file)?);
    }
    Ok(docs)
}

/// The manifest files below `path` (or `path` itself when it is a file), sorted.
pub fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), ManifestError> {
    let read_err = |source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(read_err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(read_err)?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_files(&entry, out)?;
        } else if entry
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| MANIFEST_EXTENSIONS.contains(&e))
        {
            out.push(entry);
        }
    }
    Ok(())
}

/// Reads every object of one file.
pub fn load_file(path: &Path) -> Result<Vec<Document>, ManifestError> {
    let read_err = |source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_FILE_BYTES {
        return Err(ManifestError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit: MAX_FILE_BYTES,
        });
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    parse_bytes(&path.display().to_string(), &bytes)
}

/// Parses the objects in `bytes`: JSON (one value or several concatenated) when it starts with `{` or
/// `[`, multi-document YAML otherwise. `List`s are flattened, empty documents skipped.
pub fn parse_bytes(source: &str, bytes: &[u8]) -> Result<Vec<Document>, ManifestError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ManifestError::Parse {
        source_name: source.to_string(),
        document: 1,
        message: format!("not UTF-8 text: {e}"),
    })?;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let mut raw = Vec::new();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        for (i, value) in serde_json::Deserializer::from_str(trimmed)
            .into_iter::<Value>()
            .enumerate()
        {
            let value = value.map_err(|e| ManifestError::Parse {
                source_name: source.to_string(),
                document: i + 1,
                message: e.to_string(),
            })?;
            raw.push(value);
        }
    } else {
        for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
            let value = Value::deserialize(doc).map_err(|e| ManifestError::Parse {
                source_name: source.to_string(),
                document: i + 1,
                message: e.to_string(),
            })?;
            raw.push(value);
        }
    }
    let mut docs = Vec::new();
    for (i, value) in raw.into_iter().enumerate() {
        flatten(source, i + 1, value, &mut docs)?;
    }
    Ok(docs)
}

fn flatten(
    source: &str,
    position: usize,
    value: Value,
    out: &mut Vec<Document>,
) -> Result<(), ManifestError> {
    match value {
        Value::Null => Ok(()),
        Value::Array(items) => {
            for item in items {
                flatten(source, position, item, out)?;
            }
            Ok(())
        }
        Value::Object(mut map) => {
            let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
            let is_list = kind.ends_with("List") && map.get("items").is_some_and(Value::is_array);
            if !is_list {
                if kind.is_empty() {
                    return Err(ManifestError::Parse {
                        source_name: source.to_string(),
                        document: position,
                        message: "object has no `kind`".to_string(),
                    });
                }
                out.push(Document {
                    source: source.to_string(),
                    position,
                    object: Value::Object(map),
                });
                return Ok(());
            }
            // `PodList` items omit kind/apiVersion; `List` items carry their own.
            let item_kind = kind.strip_suffix("List").unwrap_or("").to_string();
            let api_version = map.get("apiVersion").cloned();
            let Some(Value::Array(items)) = map.remove("items") else {
                return Ok(());
            };
            for mut item in items {
                if let Value::Object(obj) = &mut item
                    && !item_kind.is_empty()
                    && !obj.contains_key("kind")
                {
                    obj.insert("kind".into(), Value::String(item_kind.clone()));
                    if let Some(av) = &api_version {
                        obj.entry("apiVersion").or_insert_with(|| av.clone());
                    }
                }
                flatten(source, position, item, out)?;
            }
            Ok(())
        }
        other => Err(ManifestError::Parse {
            source_name: source.to_string(),
            document: position,
            message: format!("expected an object, found {}", type_name(&other)),
        }),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `metadata.namespace` of an object, if any.
pub fn namespace_of(object: &Value) -> Option<&str> {
    object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
}

/// `metadata.name` of an object, if any.
pub fn name_of(object: &Value) -> Option<&str> {
    object.pointer("/metadata/name").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn multi_document_yaml_with_comments_and_empty_docs() {
        let text = "---\n# Source: x\napiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n";
        let docs = parse_bytes("t.yaml", text.as_bytes()).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(name_of(&docs[1].object), Some("b"));
    }

    #[test]
    fn typed_list_items_get_kind() {
        let text = json!({"apiVersion":"v1","kind":"PodList","metadata":{},"items":[{"metadata":{"name":"p"}}]});
        let docs = parse_bytes("l.json", text.to_string().as_bytes()).unwrap();
        assert_eq!(docs[0].object["kind"], "Pod");
        assert_eq!(docs[0].object["apiVersion"], "v1");
    }

    #[test]
    fn generic_list_and_concatenated_json() {
        let a = json!({"apiVersion":"v1","kind":"List","items":[{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r"}}]});
        let b = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}});
        let docs = parse_bytes("c.json", format!("{a}\n{b}").as_bytes()).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].object["kind"], "Role");
        assert_eq!(docs[1].position, 2);
    }

    #[test]
    fn malformed_input_names_file_and_document() {
        let text = "kind: Pod\nmetadata:\n  name: a\n---\nkind: [unclosed\n";
        let err = parse_bytes("bad.yaml", text.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("`bad.yaml` document 2"), "{err}");
        let err = parse_bytes("s.yaml", b"just a string")
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected an object"), "{err}");
        let err = parse_bytes("n.yaml", b"metadata: {}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no `kind`"), "{err}");
    }
}
