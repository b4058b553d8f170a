//! The emitter: hands each generated object to the caller's sink and counts objects per kind.

use std::collections::BTreeMap;

use serde_json::Value;

/// Passes objects to a sink, counting them by `kind`.
pub struct Emitter<'a, E> {
    sink: &'a mut dyn FnMut(Value) -> Result<(), E>,
    counts: BTreeMap<String, u64>,
}

impl<'a, E> Emitter<'a, E> {
    /// An emitter over `sink`.
    pub fn new(sink: &'a mut dyn FnMut(Value) -> Result<(), E>) -> Self {
        Emitter {
            sink,
            counts: BTreeMap::new(),
        }
    }

    /// Emits one object.
    pub fn emit(&mut self, object: Value) -> Result<(), E> {
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
        match self.counts.get_mut(kind) {
            Some(n) => *n += 1,
            None => {
                self.counts.insert(kind.to_string(), 1);
            }
        }
        (self.sink)(object)
    }

    /// Objects of `kind` emitted so far.
    pub fn count(&self, kind: &str) -> u64 {
        self.counts.get(kind).copied().unwrap_or(0)
    }

    /// The counts per kind.
    pub fn into_counts(self) -> BTreeMap<String, u64> {
        self.counts
    }
}
