//! The objects served, loaded once from scenario files: each serialised once at load (without `kind`
//! and `apiVersion`, `metadata` first so its bytes can be spliced on their own), sorted by namespace
//! then name per kind, so a namespace's objects are one contiguous range.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::PathBuf;

use coder_sec_model::kinds::{self, KINDS};
use coder_sec_model::manifests::{self, ManifestError};
use serde_json::{Map, Value};

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
    /// Objects sorted by (namespace, name).
    pub objects: Vec<StoredObject>,
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

    /// The objects of one namespace, or all of them.
    pub fn range(&self, namespace: Option<&str>) -> Range<usize> {
        match namespace {
            None => 0..self.objects.len(),
            Some(ns) => self.by_namespace.get(ns).cloned().unwrap_or(0..0),
        }
    }

    /// The object with this namespace (ignored for cluster-scoped resources) and name.
    pub fn get(&self, namespace: &str, name: &str) -> Option<&StoredObject> {
        let namespace = if self.namespaced { namespace } else { "" };
        let slice = &self.objects[self.range(Some(namespace))];
        slice
            .binary_search_by(|o| (&*o.namespace, &*o.name).cmp(&(namespace, name)))
            .ok()
            .map(|i| &slice[i])
    }
}

/// One object, serialised once.
#[derive(Debug)]
pub(crate) struct StoredObject {
    /// `""` for cluster-scoped objects.
    pub namespace: Box<str>,
    pub name: Box<str>,
    pub labels: Box<[(Box<str>, Box<str>)]>,
    /// `{"metadata":{...},...}` without `kind`/`apiVersion`.
    pub json: Box<[u8]>,
    /// End of the metadata object in `json`.
    pub metadata_end: usize,
    /// `metadata.creationTimestamp` as Unix seconds.
    pub created: Option<i64>,
    /// Fields only pods have (field selectors).
    pub pod_fields: Option<Box<PodFields>>,
    /// Table cells other than NAME and AGE, as JSON fragments (see [`table`]).
    pub cells: Option<Box<table::ExtraCells>>,
}

impl StoredObject {
    /// The bytes of `metadata`.
    pub fn metadata(&self) -> &[u8] {
        &self.json[META_START..self.metadata_end]
    }

    /// The label value for `key`.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| &**v)
    }
}

/// Pod fields that field selectors read.
#[derive(Debug, Default)]
pub(crate) struct PodFields {
    pub node_name: Box<str>,
    pub phase: Box<str>,
}

/// Every served resource type, indexed by (group, version, plural).
#[derive(Debug)]
pub(crate) struct Store {
    pub resources: Vec<Resource>,
    index: HashMap<(String, String, String), usize>,
}

impl Store {
    /// Loads and indexes the scenario files.
    pub fn load(paths: &[PathBuf]) -> Result<Store, LoadError> {
        let docs = manifests::load_paths(paths).map_err(LoadError::Manifests)?;
        let mut resources: Vec<Resource> = KINDS
            .iter()
            .map(|k| Resource {
                group: k.group.to_string(),
                version: k.version.to_string(),
                kind: k.kind.to_string(),
                plural: k.plural.to_string(),
                namespaced: k.namespaced,
                objects: Vec::new(),
                by_namespace: HashMap::new(),
            })
            .collect();
        let mut by_kind: HashMap<(String, String), usize> = resources
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.group.clone(), r.kind.clone()), i))
            .collect();
        for doc in docs {
            let bad = |message: String| LoadError::Object {
                source_name: doc.source.clone(),
                document: doc.position,
                message,
            };
            let Value::Object(map) = doc.object else {
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
                                objects: Vec::new(),
                                by_namespace: HashMap::new(),
                            });
                            by_kind.insert(key, resources.len() - 1);
                            resources.len() - 1
                        }
                    }
                }
            };
            let resource = &mut resources[index];
            let object = store_object(map, resource.namespaced, &resource.plural).map_err(bad)?;
            resource.objects.push(object);
        }
        for resource in &mut resources {
            // Stable sort then keep the last of equal keys: a later file overrides an earlier one.
            resource
                .objects
                .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
            let mut deduped: Vec<StoredObject> = Vec::with_capacity(resource.objects.len());
            for object in resource.objects.drain(..) {
                match deduped.last_mut() {
                    Some(last)
                        if last.namespace == object.namespace && last.name == object.name =>
                    {
                        *last = object;
                    }
                    _ => deduped.push(object),
                }
            }
            resource.objects = deduped;
            let mut start = 0;
            for i in 1..=resource.objects.len() {
                if i == resource.objects.len()
                    || resource.objects[i].namespace != resource.objects[start].namespace
                {
                    let ns = resource.objects[start].namespace.clone();
                    resource.by_namespace.insert(ns, start..i);
                    start = i;
                }
            }
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
            .map(|r| (r.qualified(), r.objects.len()))
            .collect()
    }

    /// Namespaces that hold at least one object (for diagnostics).
    #[allow(dead_code)]
    pub fn namespaces(&self) -> BTreeSet<&str> {
        self.resources
            .iter()
            .flat_map(|r| r.by_namespace.keys().map(|k| &**k))
            .filter(|ns| !ns.is_empty())
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
    mut map: Map<String, Value>,
    namespaced: bool,
    plural: &str,
) -> Result<StoredObject, String> {
    map.remove("kind");
    map.remove("apiVersion");
    let Some(Value::Object(mut metadata)) = map.remove("metadata") else {
        return Err("object has no `metadata`".to_string());
    };
    let name = metadata
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or("object has no `metadata.name`")?
        .to_string();
    let namespace = if namespaced {
        match metadata.get("namespace").and_then(Value::as_str) {
            Some(ns) if !ns.is_empty() => ns.to_string(),
            _ => {
                metadata.insert("namespace".into(), Value::String("default".into()));
                "default".to_string()
            }
        }
    } else {
        String::new()
    };
    let labels: Box<[(Box<str>, Box<str>)]> = match metadata.get("labels") {
        Some(Value::Object(labels)) => labels
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.as_str().into(), v.into())
            })
            .collect(),
        _ => Box::new([]),
    };
    let created = metadata
        .get("creationTimestamp")
        .and_then(Value::as_str)
        .and_then(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        })
        .map(|t| t.unix_timestamp());
    let whole = Value::Object(map);
    let pod_fields = (plural == "pods").then(|| {
        let s = |p: &str| {
            whole
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .into()
        };
        Box::new(PodFields {
            node_name: s("/spec/nodeName"),
            phase: s("/status/phase"),
        })
    });
    let cells = table::extra_cells(plural, &whole, &labels).map(Box::new);
    let Value::Object(map) = whole else {
        unreachable!("built from a map above")
    };

    let mut json = Vec::with_capacity(512);
    json.extend_from_slice(b"{\"metadata\":");
    serde_json::to_writer(&mut json, &metadata).map_err(|e| e.to_string())?;
    let metadata_end = json.len();
    for (key, value) in &map {
        json.push(b',');
        serde_json::to_writer(&mut json, key).map_err(|e| e.to_string())?;
        json.push(b':');
        serde_json::to_writer(&mut json, value).map_err(|e| e.to_string())?;
    }
    json.push(b'}');
    Ok(StoredObject {
        namespace: namespace.into(),
        name: name.into(),
        labels,
        json: json.into_boxed_slice(),
        metadata_end,
        created,
        pod_fields,
        cells,
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
            "metadata":{"name":"p","labels":{"app":"x"}},"status":{"phase":"Running"}});
        let Value::Object(map) = map else { panic!() };
        let o = store_object(map, true, "pods").unwrap();
        let meta: Value = serde_json::from_slice(o.metadata()).unwrap();
        assert_eq!(meta["namespace"], "default");
        let whole: Value = serde_json::from_slice(&o.json).unwrap();
        assert!(whole.get("kind").is_none());
        assert_eq!(whole["spec"]["nodeName"], "n1");
        assert_eq!(&*o.pod_fields.as_ref().unwrap().phase, "Running");
        assert_eq!(o.label("app"), Some("x"));
    }
}
