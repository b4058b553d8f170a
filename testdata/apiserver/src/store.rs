//! The objects served, loaded once from scenario files: each serialised once at load (without `kind`
//! and `apiVersion`, `metadata` first so its bytes can be spliced on their own) into one byte arena per
//! resource, and indexed by slots sorted by namespace then name, so a namespace's objects are one
//! contiguous range. Keeping the stored bytes out of the general heap (no allocation per object) keeps
//! the parser's short-lived allocations fast: interleaving them with per-object allocations made
//! glibc's allocator take tens of seconds for 150,000 pods.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::PathBuf;

use coder_sec_model::kinds::{self, KINDS};
use coder_sec_model::manifests::{self, ManifestError};
use serde_json::Value;

use crate::table;

/// Where an object's metadata starts in its stored bytes: right after `{"metadata":`.
const META_START: usize = b"{\"metadata\":".len();

/// An error loading scenario files.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The files could not be read or parsed.
    #[error("cannot load scenario files")]
    Manifests(#[source] ManifestError),
    /// An object lacks something the server needs.
    #[error("`{source_name}` document {document}: {message}")]
    Object {
        /// The file it came from.
        source_name: String,
        /// 1-based document position in the file.
        document: usize,
        /// What is wrong.
        message: String,
    },
}

/// One served resource type.
#[derive(Debug)]
pub(crate) struct Resource {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    /// Where each object lives in `arena`, sorted by (namespace, name).
    slots: Vec<Slot>,
    /// Every object's text and JSON bytes, back to back.
    arena: Vec<u8>,
    /// Range of `objects` per namespace.
    pub by_namespace: HashMap<Box<str>, Range<usize>>,
}

impl Resource {
    /// `v1` or `GROUP/VERSION`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `deployments.apps`: how the API names the resource in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// How many objects the resource has.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// The `i`-th object in (namespace, name) order.
    pub fn object(&self, i: usize) -> StoredObject<'_> {
        let slot = &self.slots[i];
        StoredObject {
            data: &self.arena[slot.start..slot.start + slot.end as usize],
            slot,
        }
    }

    /// The indexes of one namespace's objects, or of all of them.
    pub fn range(&self, namespace: Option<&str>) -> Range<usize> {
        match namespace {
            None => 0..self.slots.len(),
            Some(ns) => self.by_namespace.get(ns).cloned().unwrap_or(0..0),
        }
    }

    /// The object with this namespace (ignored for cluster-scoped resources) and name.
    pub fn get(&self, namespace: &str, name: &str) -> Option<StoredObject<'_>> {
        let namespace = if self.namespaced { namespace } else { "" };
        let range = self.range(Some(namespace));
        let found = self.slots[range.clone()].binary_search_by(|slot| {
            let o = StoredObject {
                data: &self.arena[slot.start..slot.start + slot.end as usize],
                slot,
            };
            (o.namespace(), o.name()).cmp(&(namespace, name))
        });
        found.ok().map(|i| self.object(range.start + i))
    }

    /// Sorts the slots by (namespace, name), keeps the last of equal keys (a later file overrides an
    /// earlier one; its bytes stay unused in the arena) and indexes namespaces.
    fn finish(&mut self) {
        let arena = &self.arena;
        let key = |slot: &Slot| {
            let o = StoredObject {
                data: &arena[slot.start..slot.start + slot.end as usize],
                slot,
            };
            (o.namespace().to_string(), o.name().to_string())
        };
        // Stable: equal keys keep their load order.
        self.slots.sort_by_cached_key(key);
        let mut deduped: Vec<Slot> = Vec::with_capacity(self.slots.len());
        for slot in self.slots.drain(..) {
            match deduped.last_mut() {
                Some(last) if key(last) == key(&slot) => *last = slot,
                _ => deduped.push(slot),
            }
        }
        self.slots = deduped;
        let mut start = 0;
        for i in 1..=self.slots.len() {
            if i == self.slots.len() || self.object(i).namespace() != self.object(start).namespace()
            {
                let ns: Box<str> = self.object(start).namespace().into();
                self.by_namespace.insert(ns, start..i);
                start = i;
            }
        }
    }
}

/// Where one object's bytes sit in its resource's arena: text parts, then JSON.
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: usize,
    /// End offset (from `start`) of each text part: namespace (`""` when cluster-scoped), name,
    /// labels (`key\0value\0` pairs), node name and phase (pods), table cells before and after AGE
    /// (JSON fragments, see [`table`]). The JSON follows the last part.
    ends: [u32; PARTS],
    /// End of the metadata object, from the start of the JSON.
    metadata_end: u32,
    /// End of the JSON, from `start`.
    end: u32,
    /// `metadata.creationTimestamp` as Unix seconds.
    created: Option<i64>,
}

const PARTS: usize = 7;

/// One stored object, borrowed from its resource.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StoredObject<'a> {
    data: &'a [u8],
    slot: &'a Slot,
}

impl<'a> StoredObject<'a> {
    fn part(&self, i: usize) -> &'a str {
        let start = if i == 0 {
            0
        } else {
            self.slot.ends[i - 1] as usize
        };
        // Written from `&str`s at load, so always UTF-8.
        std::str::from_utf8(&self.data[start..self.slot.ends[i] as usize]).unwrap_or("")
    }

    /// `metadata.namespace`; `""` for cluster-scoped objects.
    pub fn namespace(&self) -> &'a str {
        self.part(0)
    }

    /// `metadata.name`.
    pub fn name(&self) -> &'a str {
        self.part(1)
    }

    /// The labels, in their order in the object.
    pub fn labels(&self) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a> {
        let mut parts = self.part(2).split('\0');
        std::iter::from_fn(move || {
            let key = parts.next().filter(|k| !k.is_empty())?;
            Some((key, parts.next()?))
        })
    }

    /// The label value for `key`.
    pub fn label(&self, key: &str) -> Option<&'a str> {
        self.labels().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// `spec.nodeName` of a pod (`""` otherwise).
    pub fn node_name(&self) -> &'a str {
        self.part(3)
    }

    /// `status.phase` of a pod (`""` otherwise).
    pub fn phase(&self) -> &'a str {
        self.part(4)
    }

    /// Table cells between NAME and AGE, comma-separated JSON (`""` for none).
    pub fn cells_before_age(&self) -> &'a str {
        self.part(5)
    }

    /// Table cells after AGE, comma-separated JSON (`""` for none).
    pub fn cells_after_age(&self) -> &'a str {
        self.part(6)
    }

    /// `metadata.creationTimestamp` as Unix seconds.
    pub fn created(&self) -> Option<i64> {
        self.slot.created
    }

    /// `{"metadata":{...},...}` without `kind`/`apiVersion`.
    pub fn json(&self) -> &'a [u8] {
        &self.data[self.slot.ends[PARTS - 1] as usize..]
    }

    /// The bytes of `metadata`.
    pub fn metadata(&self) -> &'a [u8] {
        &self.json()[META_START..self.slot.metadata_end as usize]
    }
}

/// Every served resource type, indexed by (group, version, plural).
#[derive(Debug)]
pub(crate) struct Store {
    pub resources: Vec<Resource>,
    index: HashMap<(String, String, String), usize>,
}

impl Store {
    /// Loads and indexes the scenario files. Reads them as `manifests::load_paths` does (same file
    /// discovery, same parser), one file at a time, so parsed documents of only one file are held
    /// beside the stored bytes.
    pub fn load(paths: &[PathBuf]) -> Result<Store, LoadError> {
        let mut files = Vec::new();
        for path in paths {
            manifests::collect_files(path, &mut files).map_err(LoadError::Manifests)?;
        }
        let mut resources: Vec<Resource> = KINDS
            .iter()
            .map(|k| Resource {
                group: k.group.to_string(),
                version: k.version.to_string(),
                kind: k.kind.to_string(),
                plural: k.plural.to_string(),
                namespaced: k.namespaced,
                slots: Vec::new(),
                arena: Vec::new(),
                by_namespace: HashMap::new(),
            })
            .collect();
        let mut by_kind: HashMap<(String, String), usize> = resources
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.group.clone(), r.kind.clone()), i))
            .collect();
        for file in &files {
            // One file's documents at a time: memory holds the stored bytes plus one parsed file.
            let docs = manifests::load_file(file).map_err(LoadError::Manifests)?;
            for doc in &docs {
                let bad = |message: String| LoadError::Object {
                    source_name: doc.source.clone(),
                    document: doc.position,
                    message,
                };
                let Value::Object(map) = &doc.object else {
                    return Err(bad("not an object".to_string()));
                };
                let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or("");
                let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
                if api_version.is_empty() {
                    return Err(bad(format!("{kind} object has no `apiVersion`")));
                }
                let index = match kinds::lookup(api_version, kind) {
                    Some(spec) => by_kind[&(spec.group.to_string(), spec.kind.to_string())],
                    None => {
                        let (group, version) = kinds::split_api_version(api_version);
                        let key = (group.to_string(), kind.to_string());
                        match by_kind.get(&key) {
                            Some(&i) => i,
                            None => {
                                resources.push(Resource {
                                    group: group.to_string(),
                                    version: version.to_string(),
                                    kind: kind.to_string(),
                                    plural: naive_plural(kind),
                                    namespaced: map
                                        .get("metadata")
                                        .and_then(|m| m.get("namespace"))
                                        .is_some(),
                                    slots: Vec::new(),
                                    arena: Vec::new(),
                                    by_namespace: HashMap::new(),
                                });
                                by_kind.insert(key, resources.len() - 1);
                                resources.len() - 1
                            }
                        }
                    }
                };
                let resource = &mut resources[index];
                let slot = store_object(
                    &doc.object,
                    resource.namespaced,
                    &resource.plural,
                    &mut resource.arena,
                )
                .map_err(bad)?;
                resource.slots.push(slot);
            }
        }
        for resource in &mut resources {
            resource.finish();
        }
        let index = resources
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.group.clone(), r.version.clone(), r.plural.clone()), i))
            .collect();
        Ok(Store { resources, index })
    }

    /// The resource served at `group`/`version`/`plural`.
    pub fn resource(&self, group: &str, version: &str, plural: &str) -> Option<&Resource> {
        self.index
            .get(&(group.to_string(), version.to_string(), plural.to_string()))
            .map(|&i| &self.resources[i])
    }

    /// Whether a resource with this group and plural is namespaced (any version); `None` if unknown.
    pub fn is_namespaced(&self, group: &str, plural: &str) -> Option<bool> {
        self.resources
            .iter()
            .find(|r| r.group == group && r.plural == plural)
            .map(|r| r.namespaced)
    }

    /// Served groups (core `""` first) with their versions, in first-seen order.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for r in &self.resources {
            match out.iter_mut().find(|(g, _)| *g == r.group) {
                Some((_, versions)) => {
                    if !versions.contains(&r.version) {
                        versions.push(r.version.clone());
                    }
                }
                None => out.push((r.group.clone(), vec![r.version.clone()])),
            }
        }
        out
    }

    /// Object counts per resource (`plural` for core, `plural.group` otherwise).
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.resources
            .iter()
            .map(|r| (r.qualified(), r.len()))
            .collect()
    }
}

/// A plural for kinds outside the kind table: lowercase, then `-y` → `-ies`, `-s`/`-x`/`-ch`/`-sh` →
/// `-es` (but a kind already ending in a plain `-s`, like `Endpoints`, is kept), otherwise `+s`.
pub fn naive_plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if lower.ends_with("ss")
        || lower.ends_with('x')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        return format!("{lower}es");
    }
    if lower.ends_with('s') {
        return lower;
    }
    format!("{lower}s")
}

fn store_object(
    object: &Value,
    namespaced: bool,
    plural: &str,
    arena: &mut Vec<u8>,
) -> Result<Slot, String> {
    let start = arena.len();
    let result = write_object(object, namespaced, plural, arena, start);
    if result.is_err() {
        arena.truncate(start);
    }
    result
}

fn write_object(
    object: &Value,
    namespaced: bool,
    plural: &str,
    arena: &mut Vec<u8>,
    start: usize,
) -> Result<Slot, String> {
    let Some(Value::Object(map)) = Some(object) else {
        return Err("not an object".to_string());
    };
    let Some(Value::Object(metadata)) = map.get("metadata") else {
        return Err("object has no `metadata`".to_string());
    };
    let name = metadata
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or("object has no `metadata.name`")?;
    let given_namespace = metadata
        .get("namespace")
        .and_then(Value::as_str)
        .filter(|ns| !ns.is_empty());
    let (namespace, defaulted) = match (namespaced, given_namespace) {
        (false, _) => ("", false),
        (true, Some(ns)) => (ns, false),
        (true, None) => ("default", true),
    };
    let labels: Vec<(&str, String)> = match metadata.get("labels") {
        Some(Value::Object(labels)) => labels
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.as_str(), v)
            })
            .collect(),
        _ => Vec::new(),
    };
    let created = metadata
        .get("creationTimestamp")
        .and_then(Value::as_str)
        .and_then(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        })
        .map(|t| t.unix_timestamp());
    let pod_field = |p: &str| {
        if plural == "pods" {
            object.pointer(p).and_then(Value::as_str).unwrap_or("")
        } else {
            ""
        }
    };
    let cells = table::extra_cells(plural, object, &labels).unwrap_or_default();

    let mut ends = [0u32; PARTS];
    let offset = |arena: &Vec<u8>| {
        u32::try_from(arena.len() - start).map_err(|_| "object is too large".to_string())
    };
    let parts = [namespace, name];
    for (i, part) in parts.iter().enumerate() {
        arena.extend_from_slice(part.as_bytes());
        ends[i] = offset(arena)?;
    }
    for (k, v) in &labels {
        arena.extend_from_slice(k.as_bytes());
        arena.push(0);
        arena.extend_from_slice(v.as_bytes());
        arena.push(0);
    }
    ends[2] = offset(arena)?;
    let parts = [
        pod_field("/spec/nodeName"),
        pod_field("/status/phase"),
        &cells.before_age,
        &cells.after_age,
    ];
    for (i, part) in parts.iter().enumerate() {
        arena.extend_from_slice(part.as_bytes());
        ends[3 + i] = offset(arena)?;
    }

    let json_start = arena.len();
    arena.extend_from_slice(b"{\"metadata\":");
    if defaulted {
        let mut metadata = metadata.clone();
        metadata.insert("namespace".into(), Value::String(namespace.into()));
        serde_json::to_writer(&mut *arena, &metadata)
    } else {
        serde_json::to_writer(&mut *arena, metadata)
    }
    .map_err(|e| e.to_string())?;
    let metadata_end =
        u32::try_from(arena.len() - json_start).map_err(|_| "object is too large".to_string())?;
    for (key, value) in map {
        if matches!(key.as_str(), "kind" | "apiVersion" | "metadata") {
            continue;
        }
        arena.push(b',');
        serde_json::to_writer(&mut *arena, key).map_err(|e| e.to_string())?;
        arena.push(b':');
        serde_json::to_writer(&mut *arena, value).map_err(|e| e.to_string())?;
    }
    arena.push(b'}');
    Ok(Slot {
        start,
        ends,
        metadata_end,
        end: offset(arena)?,
        created,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        assert_eq!(naive_plural("Widget"), "widgets");
        assert_eq!(naive_plural("PodSecurityPolicy"), "podsecuritypolicies");
        assert_eq!(naive_plural("Gateway"), "gateways");
        assert_eq!(naive_plural("Endpoints"), "endpoints");
        assert_eq!(naive_plural("PriorityClass"), "priorityclasses");
    }

    #[test]
    fn metadata_is_spliceable() {
        let map = serde_json::json!({"apiVersion":"v1","kind":"Pod","spec":{"nodeName":"n1"},
            "metadata":{"name":"p","labels":{"app":"x","empty":""}},"status":{"phase":"Running"}});
        let mut arena = b"junk".to_vec();
        let slot = store_object(&map, true, "pods", &mut arena).unwrap();
        let o = StoredObject {
            data: &arena[slot.start..slot.start + slot.end as usize],
            slot: &slot,
        };
        let meta: Value = serde_json::from_slice(o.metadata()).unwrap();
        assert_eq!(meta["namespace"], "default");
        let whole: Value = serde_json::from_slice(o.json()).unwrap();
        assert!(whole.get("kind").is_none());
        assert_eq!(whole["spec"]["nodeName"], "n1");
        assert_eq!(o.phase(), "Running");
        assert_eq!(o.node_name(), "n1");
        assert_eq!((o.namespace(), o.name()), ("default", "p"));
        assert_eq!(
            o.labels().collect::<Vec<_>>(),
            [("app", "x"), ("empty", "")]
        );
        assert_eq!(o.label("app"), Some("x"));
        assert_eq!(o.label("empty"), Some(""));
        assert_eq!(o.label("other"), None);
    }
}
