//! Generated inputs, cached under `DATA_DIR/SIZE-SEED/` and reused when complete.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context as _;
use coder_sec_synth::Size;

/// The inputs of one size.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The generator's snapshot (`snapshot.tar.zst`), analysed by the floor and analyze phases.
    pub snapshot: PathBuf,
    /// The generator's scenario folder (`scenario/`), served by the test API server.
    pub scenario: PathBuf,
    /// Objects generated.
    pub objects: u64,
}

const DONE: &str = "complete.json";

/// Returns the cached inputs of `size` and `seed`, generating what is missing.
pub fn ensure(data_dir: &Path, size: Size, seed: u64, scenario: bool) -> anyhow::Result<Inputs> {
    let dir = data_dir.join(format!("{}-{seed}", size.name()));
    let snapshot = dir.join("snapshot.tar.zst");
    let scenario_dir = dir.join("scenario");
    let snapshot_done = dir.join(format!("snapshot.{DONE}"));
    let scenario_done = dir.join(format!("scenario.{DONE}"));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let mut objects = read_done(&snapshot_done);
    if objects.is_none() {
        let t = Instant::now();
        eprintln!("bench: generating {} (seed {seed}) snapshot", size.name());
        let summary = coder_sec_synth::write_snapshot(size, seed, &snapshot)
            .with_context(|| format!("cannot generate `{}`", snapshot.display()))?;
        write_done(&snapshot_done, summary.total())?;
        eprintln!("bench: generated in {:.1}s", t.elapsed().as_secs_f64());
        objects = Some(summary.total());
    }
    if scenario && read_done(&scenario_done).is_none() {
        let t = Instant::now();
        eprintln!("bench: generating {} (seed {seed}) scenario", size.name());
        if scenario_dir.exists() {
            std::fs::remove_dir_all(&scenario_dir)
                .with_context(|| format!("cannot remove `{}`", scenario_dir.display()))?;
        }
        let summary = coder_sec_synth::write_scenario(size, seed, &scenario_dir)
            .with_context(|| format!("cannot generate `{}`", scenario_dir.display()))?;
        write_done(&scenario_done, summary.total())?;
        eprintln!("bench: generated in {:.1}s", t.elapsed().as_secs_f64());
    }
    Ok(Inputs {
        snapshot,
        scenario: scenario_dir,
        objects: objects.unwrap_or(0),
    })
}

fn read_done(path: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("objects")?.as_u64()
}

fn write_done(path: &Path, objects: u64) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::json!({ "objects": objects }).to_string())
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// Total size of the files in `dir` (not recursive).
pub fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
