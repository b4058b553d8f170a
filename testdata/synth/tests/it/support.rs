//! Helpers: a generated `small` cluster, loaded once per test binary.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use coder_sec_synth::{Size, Summary};
use serde_json::Value;

/// The seed the tests use.
pub const SEED: u64 = 42;

/// The `small` cluster for [`SEED`], as objects, plus the generator's summary.
pub struct Cluster {
    pub objects: Vec<Value>,
    pub summary: Summary,
}

impl Cluster {
    /// Objects of one kind.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.objects.iter().filter(move |o| o["kind"] == kind)
    }

    /// The object a reference (`Pod/ns/name`, `Node/name`, `ClusterRole/name`) names.
    pub fn find(&self, reference: &str) -> Option<&Value> {
        let parts: Vec<&str> = reference.splitn(3, '/').collect();
        let (kind, ns, name) = match parts[..] {
            [kind, ns, name] => (kind, Some(ns), name),
            [kind, name] => (kind, None, name),
            _ => return None,
        };
        self.objects.iter().find(|o| {
            o["kind"] == kind
                && o["metadata"]["name"] == name
                && o["metadata"]["namespace"].as_str() == ns
        })
    }
}

/// Generated once, in memory.
pub fn small() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let mut objects = Vec::new();
        let summary = coder_sec_synth::generate(Size::Small, SEED, &mut |o| {
            objects.push(o);
            Ok::<(), ()>(())
        })
        .unwrap();
        Cluster { objects, summary }
    })
}

/// Every file below `dir`, relative path → bytes.
pub fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        out.insert(name, std::fs::read(&path).unwrap());
    }
    out
}
