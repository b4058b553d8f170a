//! Generating into a scenario folder that `coder_sec_model::manifests::load_paths` reads (and so
//! `coder-sec import` and the test API server): one `List` per kind, split into files of at most
//! [`CHUNK_BYTES`] so no file passes the loader's size limit. Files are written as the objects come
//! (opening, items, closing), into a temporary folder that is renamed into place at the end.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use coder_sec_model::KINDS;
use coder_sec_model::kinds::lookup;
use serde_json::Value;

use crate::expected::{self, EXPECTED_FILE, Expected};
use crate::{Size, Summary, SynthError, generate};

/// Largest size of one scenario file before the next one starts (64 MiB; the loader accepts 256).
pub const CHUNK_BYTES: u64 = 64 << 20;

const OPEN: &[u8] = b"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[\n";
const CLOSE: &[u8] = b"\n]}\n";

/// One kind's files.
struct ListFiles {
    dir: PathBuf,
    stem: String,
    chunk: u32,
    current: Option<(PathBuf, BufWriter<File>, u64, u64)>,
}

impl ListFiles {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SynthError + '_ {
        move |source| SynthError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    fn push(&mut self, object: &Value) -> Result<(), SynthError> {
        if self.current.as_ref().is_some_and(|c| c.2 >= CHUNK_BYTES) {
            self.close()?;
        }
        if self.current.is_none() {
            let path = self
                .dir
                .join(format!("{}-{:03}.json", self.stem, self.chunk));
            self.chunk += 1;
            let file = File::create(&path).map_err(Self::io(&path))?;
            let mut out = BufWriter::with_capacity(1 << 16, file);
            out.write_all(OPEN).map_err(Self::io(&path))?;
            self.current = Some((path, out, OPEN.len() as u64, 0));
        }
        if let Some((path, out, bytes, items)) = &mut self.current {
            if *items > 0 {
                out.write_all(b",\n").map_err(Self::io(path))?;
                *bytes += 2;
            }
            let text = serde_json::to_vec(object).map_err(|source| SynthError::Json {
                path: path.clone(),
                source,
            })?;
            out.write_all(&text).map_err(Self::io(path))?;
            *bytes += text.len() as u64;
            *items += 1;
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), SynthError> {
        if let Some((path, mut out, _, _)) = self.current.take() {
            out.write_all(CLOSE).map_err(Self::io(&path))?;
            out.flush().map_err(Self::io(&path))?;
        }
        Ok(())
    }
}

/// Generates the cluster of `size` for `seed` into the scenario folder `dir` (which must not exist or
/// be empty), with `expected.json` beside the manifests. File names are
/// `NN-PLURAL[.GROUP]-CCC.json`, `NN` being the kind's place in the snapshot kind table.
pub fn write_scenario(size: Size, seed: u64, dir: &Path) -> Result<Summary, SynthError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SynthError::Io { path, source }
    };
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(io(dir))?;
        if entries.next().is_some() {
            return Err(SynthError::ScenarioExists {
                path: dir.to_path_buf(),
            });
        }
        std::fs::remove_dir(dir).map_err(io(dir))?;
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let tmp = tempfile::Builder::new()
        .prefix(".coder-sec-synth-")
        .tempdir_in(&parent)
        .map_err(io(&parent))?;
    let mut files: BTreeMap<usize, ListFiles> = BTreeMap::new();
    let summary = {
        let mut sink = |object: Value| -> Result<(), SynthError> {
            let api_version = object["apiVersion"].as_str().unwrap_or("");
            let kind = object["kind"].as_str().unwrap_or("");
            let Some(spec) = lookup(api_version, kind) else {
                return Err(SynthError::UnknownKind {
                    api_version: api_version.to_string(),
                    kind: kind.to_string(),
                });
            };
            let index = KINDS.iter().position(|k| k == spec).unwrap_or(0);
            let list = files.entry(index).or_insert_with(|| ListFiles {
                dir: tmp.path().to_path_buf(),
                stem: if spec.group.is_empty() {
                    format!("{index:02}-{}", spec.plural)
                } else {
                    format!("{index:02}-{}.{}", spec.plural, spec.group)
                },
                chunk: 0,
                current: None,
            });
            list.push(&object)
        };
        generate(size, seed, &mut sink)?
    };
    for list in files.values_mut() {
        list.close()?;
    }
    expected::write(
        &tmp.path().join(EXPECTED_FILE),
        &Expected::new(size, seed, &summary),
    )?;
    let kept = tmp.keep();
    std::fs::rename(&kept, dir).map_err(io(dir))?;
    Ok(summary)
}
