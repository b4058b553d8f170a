//! Parsing of what `kubectl get -o json|yaml`, `helm template` and manifest folders contain: single
//! objects, `List`s, multi-document YAML and concatenated JSON. Used by `coder-sec import` and the test API
//! server, so both read scenario files the same way.
//!
//! Every source goes through the same limits: at most [`MAX_FILE_BYTES`] are read from any file
//! (FIFOs and devices included), YAML nested deeper than [`MAX_NESTING`] flow levels is refused before
//! the parser sees it, and the items of a `List` are handed over one at a time
//! ([`parse_each`]), so memory holds one file's text and one object, never a tree of the whole file.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Largest manifest file read (256 MiB): larger inputs are refused rather than exhausting memory.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// Deepest nesting of maps and lists accepted in a manifest. YAML deeper than this (counting flow
/// brackets) is refused before parsing; JSON parsers stop there too. It matches what the snapshot
/// reader accepts (`serde_json`'s limit), so an import never writes what its reader refuses.
pub const MAX_NESTING: usize = 127;

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
    /// A file (or FIFO, or device) holds more than [`MAX_FILE_BYTES`].
    #[error("`{path}` holds more than the {limit}-byte limit for one manifest file")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// A document does not parse, or is not a valid Kubernetes object.
    #[error("`{source_name}` document {document}: {message}")]
    Parse {
        /// The file (or other source) name.
        source_name: String,
        /// 1-based document position within the file.
        document: usize,
        /// What the parser said, with its line and column.
        message: String,
    },
    /// A document is not a Kubernetes object (no `kind`), where only objects are accepted.
    #[error("`{source_name}` document {document} is not a Kubernetes object: {reason}")]
    NotKubernetes {
        /// The file (or other source) name.
        source_name: String,
        /// 1-based document position within the file.
        document: usize,
        /// Why.
        reason: String,
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

/// What [`parse_each`] hands over, one at a time.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A Kubernetes object: it has a `kind` and an `apiVersion`.
    Object(Document),
    /// A document that is not a Kubernetes object (a Helm `Chart.yaml` or `values.yaml`, a scalar).
    NotKubernetes {
        /// The file (or other source) name.
        source: String,
        /// 1-based document position.
        position: usize,
        /// Why it is not one.
        reason: String,
    },
}

/// Why [`parse_each`] stopped: the input, or the callback.
#[derive(Debug)]
pub enum ParseStop<E> {
    /// The input is malformed.
    Manifest(ManifestError),
    /// The callback refused an item.
    Sink(E),
}

impl<E> From<ManifestError> for ParseStop<E> {
    fn from(e: ManifestError) -> Self {
        ParseStop::Manifest(e)
    }
}

/// The files a walk over paths found, and what it passed over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    /// Files to read, in order: each given path in turn, folders sorted and recursive. Each file
    /// appears once, however many links lead to it.
    pub files: Vec<PathBuf>,
    /// Entries of folders that were not read, with why (FIFOs, sockets, devices, broken links,
    /// folders already walked through another link).
    pub passed_over: Vec<(PathBuf, String)>,
}

/// Walks `paths`: a path given explicitly is read whatever it is (a FIFO such as `<(kubectl get ...)`
/// included); inside folders only regular files with one of [`MANIFEST_EXTENSIONS`] are read, each
/// folder and file once (a symbolic link loop is walked once).
pub fn walk(paths: &[PathBuf]) -> Result<Walk, ManifestError> {
    let mut out = Walk::default();
    let mut seen_dirs = HashSet::new();
    let mut seen_files = HashSet::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| ManifestError::Read {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk_dir(path, &mut seen_dirs, &mut seen_files, &mut out)?;
        } else if seen_files.insert(identity(path)) {
            out.files.push(path.clone());
        }
    }
    Ok(out)
}

/// What makes two paths the same file or folder: its canonical path (links resolved).
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

fn walk_dir(
    dir: &Path,
    seen_dirs: &mut HashSet<PathBuf>,
    seen_files: &mut HashSet<PathBuf>,
    out: &mut Walk,
) -> Result<(), ManifestError> {
    if !seen_dirs.insert(identity(dir)) {
        out.passed_over.push((
            dir.to_path_buf(),
            "folder already read (a link loop)".into(),
        ));
        return Ok(());
    }
    let read_err = |source| ManifestError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(read_err)?;
    entries.sort();
    for entry in entries {
        let meta = match std::fs::metadata(&entry) {
            Ok(meta) => meta,
            Err(e) => {
                out.passed_over
                    .push((entry, format!("cannot be read (a broken link?): {e}")));
                continue;
            }
        };
        if meta.is_dir() {
            walk_dir(&entry, seen_dirs, seen_files, out)?;
            continue;
        }
        let manifest_name = entry
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| MANIFEST_EXTENSIONS.contains(&e));
        if !manifest_name {
            continue;
        }
        if !meta.is_file() {
            out.passed_over.push((
                entry,
                "not a regular file (a FIFO, socket or device)".into(),
            ));
        } else if seen_files.insert(identity(&entry)) {
            out.files.push(entry);
        }
    }
    Ok(())
}

/// Reads every object from the given files and folders (folders recursively, files with one of
/// [`MANIFEST_EXTENSIONS`], in sorted order). A document that is not a Kubernetes object is an error.
pub fn load_paths(paths: &[PathBuf]) -> Result<Vec<Document>, ManifestError> {
    let mut docs = Vec::new();
    for file in walk(paths)?.files {
        docs.extend(load_file(&file)?);
    }
    Ok(docs)
}

/// The manifest files below `path` (or `path` itself when it is a file), sorted, each once.
pub fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), ManifestError> {
    out.extend(walk(&[path.to_path_buf()])?.files);
    Ok(())
}

/// Reads one source whole, at most [`MAX_FILE_BYTES`]: files, FIFOs and devices alike (a size in
/// the metadata is not trusted; the read stops at the limit).
pub fn read_source(path: &Path) -> Result<Vec<u8>, ManifestError> {
    read_limited(path, MAX_FILE_BYTES)
}

fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ManifestError> {
    let read_err = |source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    };
    let too_large = || ManifestError::TooLarge {
        path: path.to_path_buf(),
        limit,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let meta = file.metadata().map_err(read_err)?;
    if meta.is_file() && meta.len() > limit {
        return Err(too_large());
    }
    let capacity = if meta.is_file() { meta.len() } else { 1 << 16 };
    let mut bytes = Vec::with_capacity(capacity as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// Reads every object of one file. A document that is not a Kubernetes object is an error.
pub fn load_file(path: &Path) -> Result<Vec<Document>, ManifestError> {
    let bytes = read_source(path)?;
    parse_bytes(&path.display().to_string(), &bytes)
}

/// Parses the objects in `bytes` (see [`parse_each`]); a document that is not a Kubernetes object
/// is an error here.
pub fn parse_bytes(source: &str, bytes: &[u8]) -> Result<Vec<Document>, ManifestError> {
    let mut docs = Vec::new();
    let result = parse_each(source, bytes, &mut |item| match item {
        Item::Object(doc) => {
            docs.push(doc);
            Ok(())
        }
        Item::NotKubernetes {
            source,
            position,
            reason,
        } => Err(ManifestError::NotKubernetes {
            source_name: source,
            document: position,
            reason,
        }),
    });
    match result {
        Ok(()) => Ok(docs),
        Err(ParseStop::Manifest(e) | ParseStop::Sink(e)) => Err(e),
    }
}

/// Parses `bytes` and hands each object to `each` as soon as it is read: JSON (one value or several
/// concatenated) when it starts with `{` or `[`, multi-document YAML otherwise; a UTF-8 byte-order
/// mark is skipped. `List`s are flattened (their items streamed one by one), empty documents skipped.
///
/// Errors name the source and document: text that is not UTF-8 or does not parse, nesting deeper
/// than [`MAX_NESTING`], duplicate keys, an object with a `kind` but no `apiVersion`. Documents without a `kind` are handed over as [`Item::NotKubernetes`].
pub fn parse_each<E>(
    source: &str,
    bytes: &[u8],
    each: &mut dyn FnMut(Item) -> Result<(), E>,
) -> Result<(), ParseStop<E>> {
    let parse_error = |document: usize, message: String| ManifestError::Parse {
        source_name: source.to_string(),
        document,
        message,
    };
    let text =
        std::str::from_utf8(bytes).map_err(|e| parse_error(1, format!("not UTF-8 text: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    let mut emitter = Emitter {
        source,
        position: 0,
        each,
        stop: None,
    };
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let mut de = serde_json::Deserializer::from_str(trimmed);
        loop {
            emitter.position += 1;
            let result = DocSeed(&mut emitter).deserialize(&mut de);
            emitter.check(result)?;
            if de.end().is_ok() {
                break;
            }
        }
    } else {
        if let Some(line) = flow_nesting_exceeds(text, MAX_NESTING) {
            return Err(parse_error(
                1,
                format!("nesting deeper than {MAX_NESTING} levels at line {line}"),
            )
            .into());
        }
        if let Some(list) = YamlList::split(text) {
            emitter.position = 1;
            return list.emit(&mut emitter);
        }
        for doc in serde_yaml_ng::Deserializer::from_str(text) {
            emitter.position += 1;
            let result = DocSeed(&mut emitter).deserialize(doc);
            emitter.check(result)?;
        }
    }
    Ok(())
}

/// A YAML file that is one `List` in block style, as `kubectl get -o yaml` writes it: its items are
/// parsed one at a time from their own text. The YAML parser holds a whole document's events (some
/// 35 times the text), so a large list parsed whole costs gigabytes; item by item it costs one item.
/// Any other shape (several documents, anchors, flow style) takes the general path.
struct YamlList<'t> {
    /// The top-level lines other than `items`, as a document of their own.
    header: String,
    /// Each item's text, dedented to a document of its own, with the line it starts on.
    items: Vec<(usize, &'t str)>,
}

impl<'t> YamlList<'t> {
    fn split(text: &'t str) -> Option<YamlList<'t>> {
        // Anchors and aliases may cross items: leave those files to the general path.
        let aliased = text.lines().any(|l| {
            let t = l.trim_start().trim_start_matches("- ");
            t.starts_with('&')
                || t.starts_with('*')
                || l.contains(": &")
                || l.contains(": *")
                || l.contains(" &")
                || l.contains(" *")
        });
        if aliased {
            return None;
        }
        let mut header = String::new();
        let mut items: Vec<(usize, &'t str)> = Vec::new();
        let (mut in_items, mut seen_items) = (false, false);
        let mut offset = 0;
        let mut item_start: Option<(usize, usize)> = None;
        for (i, line) in text.split_inclusive('\n').enumerate() {
            let start = offset;
            offset += line.len();
            if i == 0 && line.trim_end() == "---" {
                continue;
            }
            if line.starts_with("---") || line.starts_with("...") || line.starts_with('\t') {
                return None;
            }
            let top_level = !line.starts_with(' ') && !line.trim().is_empty();
            if in_items {
                if line.trim_end() == "-" {
                    return None;
                }
                if line.starts_with("- ") {
                    if let Some((l, s)) = item_start.take() {
                        items.push((l, &text[s..start]));
                    }
                    item_start = Some((i + 1, start));
                    continue;
                }
                if !top_level || line.starts_with('#') {
                    continue;
                }
                in_items = false;
                if let Some((l, s)) = item_start.take() {
                    items.push((l, &text[s..start]));
                }
            }
            if line.trim_end() == "items:" {
                if seen_items {
                    return None;
                }
                (in_items, seen_items) = (true, true);
                continue;
            }
            if top_level && !line.starts_with('#') && !line.contains(':') {
                return None;
            }
            header.push_str(line);
        }
        if let Some((l, s)) = item_start.take() {
            items.push((l, &text[s..]));
        }
        // Worth it only for lists; small files take the general path just as well.
        (seen_items && items.len() > 1).then_some(YamlList { header, items })
    }

    fn emit<E>(self, emitter: &mut Emitter<'_, E>) -> Result<(), ParseStop<E>> {
        let invalid = |emitter: &Emitter<'_, E>, message: String| {
            ParseStop::Manifest(ManifestError::Parse {
                source_name: emitter.source.to_string(),
                document: emitter.position,
                message,
            })
        };
        let header = StrictValue
            .deserialize(serde_yaml_ng::Deserializer::from_str(&self.header))
            .map_err(|e| invalid(emitter, e.to_string()))?;
        let kind = header.get("kind").and_then(Value::as_str).unwrap_or("");
        if !kind.ends_with("List") {
            return Err(invalid(
                emitter,
                format!(
                    "it has a top-level `items` list, but its `kind` ({kind:?}) is not a list kind"
                ),
            ));
        }
        let kind = kind.to_string();
        let api_version = header.get("apiVersion").cloned();
        let mut text = String::new();
        for (line, item) in self.items {
            // `-   key: value` puts the item's content at column 4; every line of it loses 4 spaces.
            let after_dash = item.get(1..).unwrap_or("");
            let column = 1 + after_dash.len() - after_dash.trim_start_matches(' ').len();
            text.clear();
            for (i, l) in item.split_inclusive('\n').enumerate() {
                if i == 0 {
                    text.push_str(l.get(column..).unwrap_or(""));
                } else {
                    let spaces = l.len() - l.trim_start_matches(' ').len();
                    text.push_str(&l[spaces.min(column)..]);
                }
            }
            let value = StrictValue
                .deserialize(serde_yaml_ng::Deserializer::from_str(&text))
                .map_err(|e| invalid(emitter, format!("the item at line {line}: {e}")))?;
            let result: Result<(), serde_yaml_ng::Error> =
                emitter.list_item(value, &kind, api_version.as_ref());
            emitter.check(result)?;
        }
        Ok(())
    }
}

/// The line (1-based) where YAML flow collections (`[`, `{`) first nest deeper than `limit`, if they
/// do. A quick scan that skips comments and quoted scalars: the YAML parser slows down badly on deep
/// flow nesting, so it is refused before parsing.
fn flow_nesting_exceeds(text: &str, limit: usize) -> Option<usize> {
    let (mut depth, mut line) = (0usize, 1usize);
    let (mut single, mut double, mut comment, mut escaped) = (false, false, false, false);
    let mut prev = '\n';
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            comment = false;
        } else if comment {
        } else if double {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                double = false;
            }
        } else if single {
            single = c != '\'';
        } else {
            let at_token = prev.is_whitespace() || matches!(prev, '[' | '{' | ',' | ':' | '-');
            match c {
                '#' if prev.is_whitespace() => comment = true,
                '"' if at_token => double = true,
                '\'' if at_token => single = true,
                '[' | '{' => {
                    depth += 1;
                    if depth > limit {
                        return Some(line);
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        prev = c;
    }
    None
}

/// Hands objects over as they are parsed; remembers why it stopped when the callback or a check did
/// (serde only carries a message through its errors).
struct Emitter<'a, E> {
    source: &'a str,
    position: usize,
    each: &'a mut dyn FnMut(Item) -> Result<(), E>,
    stop: Option<ParseStop<E>>,
}

/// The message serde carries when the emitter stopped; the real reason is in `Emitter::stop`.
const STOPPED: &str = "coder-sec: stopped";

impl<E> Emitter<'_, E> {
    /// Turns a parser result into the emitter's own error, preferring the reason it stopped.
    fn check<PE: std::fmt::Display>(&mut self, result: Result<(), PE>) -> Result<(), ParseStop<E>> {
        if let Some(stop) = self.stop.take() {
            return Err(stop);
        }
        result.map_err(|e| {
            ParseStop::Manifest(ManifestError::Parse {
                source_name: self.source.to_string(),
                document: self.position,
                message: e.to_string(),
            })
        })
    }

    fn fail<DE: de::Error>(&mut self, stop: ParseStop<E>) -> DE {
        self.stop = Some(stop);
        DE::custom(STOPPED)
    }

    fn invalid<DE: de::Error>(&mut self, message: String) -> DE {
        let error = ManifestError::Parse {
            source_name: self.source.to_string(),
            document: self.position,
            message,
        };
        self.fail(ParseStop::Manifest(error))
    }

    /// Hands over one value: objects (checked), the items of lists, the elements of arrays.
    fn flatten<DE: de::Error>(&mut self, value: Value, top: bool) -> Result<(), DE> {
        match value {
            Value::Null => Ok(()),
            Value::Array(items) => {
                for item in items {
                    self.flatten(item, false)?;
                }
                Ok(())
            }
            Value::Object(mut map) => {
                let kind = match map.get("kind") {
                    None => {
                        return self.emit(Item::NotKubernetes {
                            source: self.source.to_string(),
                            position: self.position,
                            reason: "it has no `kind`".into(),
                        });
                    }
                    Some(Value::String(k)) if !k.is_empty() => k.clone(),
                    Some(other) => {
                        return Err(self.invalid(format!("`kind` is {}", describe(other))));
                    }
                };
                let is_list =
                    kind.ends_with("List") && map.get("items").is_some_and(Value::is_array);
                if !is_list {
                    self.check_object(&kind, &map)?;
                    return self.emit(Item::Object(Document {
                        source: self.source.to_string(),
                        position: self.position,
                        object: Value::Object(map),
                    }));
                }
                let api_version = map.get("apiVersion").cloned();
                let Some(Value::Array(items)) = map.remove("items") else {
                    return Ok(());
                };
                for item in items {
                    self.list_item(item, &kind, api_version.as_ref())?;
                }
                Ok(())
            }
            other if top => self.emit(Item::NotKubernetes {
                source: self.source.to_string(),
                position: self.position,
                reason: format!("it is {}, not an object", describe(&other)),
            }),
            other => Err(self.invalid(format!("expected an object, found {}", describe(&other)))),
        }
    }

    /// One item of a list of kind `list_kind`: `PodList` items omit `kind` and `apiVersion`, `List`
    /// items carry their own.
    fn list_item<DE: de::Error>(
        &mut self,
        mut item: Value,
        list_kind: &str,
        api_version: Option<&Value>,
    ) -> Result<(), DE> {
        let item_kind = list_kind.strip_suffix("List").unwrap_or("");
        if let Value::Object(obj) = &mut item
            && !item_kind.is_empty()
            && !obj.contains_key("kind")
        {
            obj.insert("kind".into(), Value::String(item_kind.to_string()));
            if let Some(av) = api_version {
                obj.entry("apiVersion").or_insert_with(|| av.clone());
            }
        }
        if let Value::Object(obj) = &item
            && !obj.contains_key("kind")
        {
            return Err(self.invalid(format!("an item of a `{list_kind}` has no `kind`")));
        }
        self.flatten(item, false)
    }

    /// A Kubernetes object has an `apiVersion`. (Names are checked where objects are kept: the
    /// importer counts objects of unknown kinds, such as a `kind` cluster's config, without them.)
    fn check_object<DE: de::Error>(
        &mut self,
        kind: &str,
        map: &Map<String, Value>,
    ) -> Result<(), DE> {
        let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        if api_version.is_empty() {
            return Err(self.invalid(format!("{kind} object has no `apiVersion`")));
        }
        Ok(())
    }

    fn emit<DE: de::Error>(&mut self, item: Item) -> Result<(), DE> {
        match (self.each)(item) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.fail(ParseStop::Sink(e))),
        }
    }
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One document: an object whose `items` are streamed when it is a list, or anything else.
struct DocSeed<'e, 'a, E>(&'e mut Emitter<'a, E>);

impl<'de, E> DeserializeSeed<'de> for DocSeed<'_, '_, E> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, E> Visitor<'de> for DocSeed<'_, '_, E> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a Kubernetes object, a list of objects, or an array of them")
    }

    fn visit_unit<DE: de::Error>(self) -> Result<(), DE> {
        Ok(())
    }

    fn visit_none<DE: de::Error>(self) -> Result<(), DE> {
        Ok(())
    }

    fn visit_bool<DE: de::Error>(self, v: bool) -> Result<(), DE> {
        self.0.flatten(Value::Bool(v), true)
    }

    fn visit_i64<DE: de::Error>(self, v: i64) -> Result<(), DE> {
        self.0.flatten(Value::from(v), true)
    }

    fn visit_u64<DE: de::Error>(self, v: u64) -> Result<(), DE> {
        self.0.flatten(Value::from(v), true)
    }

    fn visit_f64<DE: de::Error>(self, v: f64) -> Result<(), DE> {
        self.0.flatten(Value::from(v), true)
    }

    fn visit_str<DE: de::Error>(self, v: &str) -> Result<(), DE> {
        self.0.flatten(Value::String(v.to_string()), true)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element_seed(StrictValue)? {
            self.0.flatten(value, false)?;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let emitter = self.0;
        let mut map = Map::new();
        let mut streamed: Option<Vec<Value>> = None;
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) || (key == "items" && streamed.is_some()) {
                return Err(emitter.invalid(format!("duplicate key `{key}`")));
            }
            // A list's items are streamed when the list is recognisable before them: `kubectl get
            // -o json|yaml` writes `apiVersion` first, typed lists write `kind` first.
            let list_kind = map.get("kind").and_then(Value::as_str).map(str::to_string);
            let recognisable = list_kind.as_deref().is_some_and(|k| k.ends_with("List"))
                || (list_kind.is_none() && map.contains_key("apiVersion"));
            if key == "items" && recognisable {
                let mut pending = Vec::new();
                let api_version = map.get("apiVersion").cloned();
                access.next_value_seed(ItemsSeed {
                    emitter: &mut *emitter,
                    list_kind,
                    api_version,
                    pending: &mut pending,
                })?;
                streamed = Some(pending);
            } else {
                let value = access.next_value_seed(StrictValue)?;
                map.insert(key, value);
            }
        }
        let Some(pending) = streamed else {
            return emitter.flatten(Value::Object(map), true);
        };
        let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
        if !kind.ends_with("List") {
            return Err(emitter.invalid(format!(
                "it has a top-level `items` list, but its `kind` ({kind:?}) is not a list kind"
            )));
        }
        let kind = kind.to_string();
        let api_version = map.get("apiVersion").cloned();
        for item in pending {
            emitter.list_item(item, &kind, api_version.as_ref())?;
        }
        Ok(())
    }
}

/// The `items` of a list, handed over one at a time; items without a `kind` wait in `pending` when the
/// list's own kind is not known yet.
struct ItemsSeed<'e, 'a, 'p, E> {
    emitter: &'e mut Emitter<'a, E>,
    list_kind: Option<String>,
    api_version: Option<Value>,
    pending: &'p mut Vec<Value>,
}

impl<'de, E> DeserializeSeed<'de> for ItemsSeed<'_, '_, '_, E> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, E> Visitor<'de> for ItemsSeed<'_, '_, '_, E> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of objects in `items`")
    }

    fn visit_unit<DE: de::Error>(self) -> Result<(), DE> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            let has_kind = item.get("kind").is_some();
            match &self.list_kind {
                Some(kind) => self
                    .emitter
                    .list_item(item, kind, self.api_version.as_ref())?,
                None if has_kind => self.emitter.flatten(item, false)?,
                None => self.pending.push(item),
            }
        }
        Ok(())
    }
}

/// A JSON value read from any format, refusing duplicate keys (which `serde_json::Value` would
/// silently resolve to the last one).
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<DE: de::Error>(self, v: bool) -> Result<Value, DE> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<DE: de::Error>(self, v: i64) -> Result<Value, DE> {
        Ok(Value::from(v))
    }

    fn visit_u64<DE: de::Error>(self, v: u64) -> Result<Value, DE> {
        Ok(Value::from(v))
    }

    fn visit_f64<DE: de::Error>(self, v: f64) -> Result<Value, DE> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<DE: de::Error>(self, v: &str) -> Result<Value, DE> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<DE: de::Error>(self, v: String) -> Result<Value, DE> {
        Ok(Value::String(v))
    }

    fn visit_unit<DE: de::Error>(self) -> Result<Value, DE> {
        Ok(Value::Null)
    }

    fn visit_none<DE: de::Error>(self) -> Result<Value, DE> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key `{key}`")));
            }
            let value = access.next_value_seed(StrictValue)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
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

/// How deeply maps and lists nest in `value` (a scalar is 0, `{}` is 1).
pub fn nesting_depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(nesting_depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(nesting_depth).max().unwrap_or(0),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn items(source: &str, text: &str) -> Result<Vec<Item>, ManifestError> {
        let mut out = Vec::new();
        parse_each::<ManifestError>(source, text.as_bytes(), &mut |item| {
            out.push(item);
            Ok(())
        })
        .map_err(|e| match e {
            ParseStop::Manifest(e) | ParseStop::Sink(e) => e,
        })?;
        Ok(out)
    }

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
    fn list_items_before_the_list_kind_as_kubectl_writes_them() {
        // `kubectl get -o json` sorts keys: `items` comes before `kind`.
        let text = r#"{"apiVersion":"v1","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}},{"metadata":{"name":"b"}}],"kind":"PodList","metadata":{}}"#;
        let docs = parse_bytes("l.json", text.as_bytes()).unwrap();
        let names: Vec<_> = docs.iter().map(|d| name_of(&d.object).unwrap()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(docs[1].object["kind"], "Pod");
        let text = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\nkind: List\nmetadata: {}\n";
        let docs = parse_bytes("l.yaml", text.as_bytes()).unwrap();
        assert_eq!(docs.len(), 1);
        let err = parse_bytes("x.json", br#"{"apiVersion":"v1","items":[],"kind":"Pod"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a list kind"), "{err}");
    }

    /// Memory holds one item of a list, not the list: each item is handed over as soon as it is
    /// parsed, before the rest of the file is turned into objects (here, before its error).
    #[test]
    fn list_items_are_handed_over_one_at_a_time() {
        for text in [
            r#"{"apiVersion":"v1","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}},{"#,
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- [\n",
        ] {
            let mut seen = Vec::new();
            let result = parse_each::<ManifestError>("l", text.as_bytes(), &mut |item| {
                seen.push(item);
                Ok(())
            });
            assert!(result.is_err());
            assert_eq!(seen.len(), 1, "{text}");
        }
    }

    /// `kubectl get -o yaml` lists are parsed item by item; the objects are the same as the general
    /// path gives.
    #[test]
    fn yaml_lists_item_by_item_match_the_general_path() {
        let list = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n    annotations:\n      note: |\n        line one\n          indented\n  spec:\n    containers:\n    - name: c\n      args: [x, y]\n-   metadata:\n      name: b\n    spec: {}\n# a comment\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: Role\n  metadata: {name: r}\nkind: PodList\nmetadata:\n  resourceVersion: \"\"\n";
        let split = YamlList::split(list).expect("a kubectl list");
        assert_eq!(split.items.len(), 3);
        let mut fast = parse_bytes("l.yaml", list.as_bytes()).unwrap();
        let mut general = Vec::new();
        let mut emitter = Emitter {
            source: "l.yaml",
            position: 1,
            each: &mut |item| {
                general.push(item);
                Ok::<(), ManifestError>(())
            },
            stop: None,
        };
        let doc = serde_yaml_ng::Deserializer::from_str(list).next().unwrap();
        let result = DocSeed(&mut emitter).deserialize(doc);
        emitter.check(result).unwrap();
        let mut general: Vec<Document> = general
            .into_iter()
            .map(|i| match i {
                Item::Object(d) => d,
                other => panic!("{other:?}"),
            })
            .collect();
        // The general path hands items without a `kind` over last (once it knows the list's kind).
        let by_name = |d: &Document| name_of(&d.object).unwrap().to_string();
        fast.sort_by_key(by_name);
        general.sort_by_key(by_name);
        assert_eq!(fast, general);
        assert_eq!(fast[1].object["kind"], "Pod");
        assert_eq!(
            fast[0].object["metadata"]["annotations"]["note"],
            "line one\n  indented\n"
        );
        // Shapes left to the general path.
        for other in [
            "apiVersion: v1\nitems:\n- &a {kind: Pod}\n- *a\nkind: List\n",
            "---\napiVersion: v1\nitems:\n- a: 1\n- b: 2\nkind: List\n---\nkind: Pod\n",
            "apiVersion: v1\nitems: []\nkind: List\n",
        ] {
            assert!(YamlList::split(other).is_none(), "{other}");
        }
        let err = parse_bytes(
            "e.yaml",
            b"apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Pod\n  kind: Pod\nkind: List\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`e.yaml` document 1: the item at line 6")
                && err.contains("duplicate key"),
            "{err}"
        );
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
        let text = "kind: Pod\napiVersion: v1\nmetadata:\n  name: a\n---\nkind: [unclosed\n";
        let err = parse_bytes("bad.yaml", text.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("`bad.yaml` document 2"), "{err}");
        let err = parse_bytes("s.yaml", b"just a string")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a Kubernetes object"), "{err}");
        let err = parse_bytes("n.yaml", b"metadata: {}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no `kind`"), "{err}");
    }

    #[test]
    fn helm_chart_files_are_not_kubernetes_objects() {
        let chart = "apiVersion: v2\nname: coder\nversion: 2.1.0\n";
        let got = items("Chart.yaml", chart).unwrap();
        assert!(
            matches!(&got[..], [Item::NotKubernetes { position: 1, reason, .. }] if reason.contains("no `kind`")),
            "{got:?}"
        );
        let values = "coder:\n  replicaCount: 1\n---\nplain\n";
        let got = items("values.yaml", values).unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn byte_order_mark_is_accepted() {
        let yaml = "\u{feff}apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n";
        assert_eq!(parse_bytes("bom.yaml", yaml.as_bytes()).unwrap().len(), 1);
        let json = "\u{feff}{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}";
        assert_eq!(parse_bytes("bom.json", json.as_bytes()).unwrap().len(), 1);
    }

    #[test]
    fn duplicate_keys_are_errors_naming_file_and_document() {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n  name: c\n";
        let err = parse_bytes("dup.yaml", yaml.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`dup.yaml` document 2") && err.contains("duplicate key `name`"),
            "{err}"
        );
        let json = r#"{"apiVersion":"v1","kind":"Pod","kind":"Secret","metadata":{"name":"a"}}"#;
        let err = parse_bytes("dup.json", json.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("duplicate key `kind`"), "{err}");
    }

    #[test]
    fn missing_api_version_is_an_error() {
        let err = parse_bytes("a.yaml", b"kind: Pod\nmetadata:\n  name: a\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`a.yaml` document 1") && err.contains("no `apiVersion`"),
            "{err}"
        );
    }

    #[test]
    fn deep_flow_nesting_is_refused_before_parsing() {
        let deep = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let started = std::time::Instant::now();
        let err = parse_bytes("deep.yaml", deep.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("nesting deeper than"), "{err}");
        // A budget far above the scan (microseconds), far below what the parser takes on it.
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let ok = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"[[[[\"\n  labels: {{a: '{{{{{{'}}\n# [[[[[[\nspec: {}{}\n",
            "[".repeat(20),
            "]".repeat(20)
        );
        assert_eq!(parse_bytes("ok.yaml", ok.as_bytes()).unwrap().len(), 1);
        assert_eq!(flow_nesting_exceeds("[[[", 2), Some(1));
        assert_eq!(flow_nesting_exceeds("\"[[[\" # [[[\n'[[['", 2), None);
        let json = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(parse_bytes("deep.json", json.as_bytes()).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn walk_follows_each_folder_and_file_once_and_passes_over_fifos() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("m");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("a.yaml"), "x").unwrap();
        std::fs::write(root.join("notes.txt"), "x").unwrap();
        std::os::unix::fs::symlink(&root, root.join("loop")).unwrap();
        std::os::unix::fs::symlink(root.join("a.yaml"), root.join("b.yaml")).unwrap();
        std::os::unix::fs::symlink(root.join("gone"), root.join("c.yaml")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(root.join("f.yaml"))
            .status()
            .unwrap();
        assert!(status.success());
        let walk = walk(&[root.clone(), root.join("a.yaml")]).unwrap();
        assert_eq!(walk.files, [root.join("a.yaml")]);
        let passed: Vec<_> = walk
            .passed_over
            .iter()
            .map(|(p, _)| p.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(passed, ["c.yaml", "f.yaml", "loop"]);
    }

    #[cfg(unix)]
    #[test]
    fn endless_sources_stop_at_the_limit() {
        let err = read_limited(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert!(
            matches!(err, ManifestError::TooLarge { limit, .. } if limit == 1 << 20),
            "{err}"
        );
    }
}
