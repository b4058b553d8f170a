//! `coder-sec-bench`: the scale benchmark of coder-sec (issue 5).
//!
//! Per size, on inputs from `coder-sec-synth` (cached under `target/bench-data/SIZE-SEED/`):
//!
//! ```text
//! snapshot.tar.zst ─▶ [child] floor: decompress + parse every object line into serde_json Values
//!                  └▶ [child] analyze: load, graph, paths, findings, JSON report
//! scenario/ ─▶ [child] coder-sec-test-apiserver on 127.0.0.1 ─┬▶ [child] kubectl-coder_sec capture
//!                                                             └▶ [child] kubectl get KIND -A -o json, one kind after the other
//! ```
//!
//! Every measured phase runs in its own process, so its peak RSS is its own. The results make one
//! Markdown table ([`table`]) and a JSON file ([`Results`]).

pub mod answers;
pub mod cli;
pub mod data;
pub mod phase;
pub mod server;
pub mod table;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use coder_sec_model::{KINDS, KindStatus, ReadLimits, SnapshotReader};
use coder_sec_synth::Size;
use serde::Serialize;

use crate::cli::{Cli, PhaseCommand};
use crate::phase::{
    AnalyzeResult, ExecResult, FloorResult, KubectlResult, Outcome, QueryResult, spawn_phase,
    spawn_phase_limited,
};

/// Everything one bench run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    /// The machine.
    pub machine: Machine,
    /// Generator seed.
    pub seed: u64,
    /// One entry per size, in the order measured.
    pub sizes: Vec<SizeResult>,
    /// The issue's targets for `large`, checked when `large` was measured.
    pub targets: Vec<TargetCheck>,
}

/// The machine the figures come from.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// `std::thread::available_parallelism`.
    pub cores: usize,
    /// `MemTotal` of `/proc/meminfo`, in bytes.
    pub memory_bytes: Option<u64>,
    /// `model name` of `/proc/cpuinfo`.
    pub cpu: Option<String>,
    /// 1-minute load average when the bench started (other work on the machine skews wall times).
    pub load_average: Option<f64>,
    /// `release` or `debug`: how the bench (and, presumably, the binaries beside it) were built.
    pub profile: &'static str,
    /// kubectl's client version, or `None` when kubectl could not be run.
    pub kubectl: Option<String>,
    /// Seconds since the Unix epoch when the bench started.
    pub started_unix: u64,
}

/// The figures of one size. Seconds are wall times of the child process, spawn to exit.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SizeResult {
    /// Size name.
    pub size: String,
    /// Objects in the generated cluster.
    pub objects: u64,
    /// Bytes of the generator's snapshot (the one analysed).
    pub input_snapshot_bytes: u64,
    /// Floor: decompress the snapshot and parse every object line into memory.
    pub floor_seconds: f64,
    /// Peak RSS of the floor.
    pub floor_peak_rss_bytes: u64,
    /// Uncompressed bytes of the snapshot's object lines.
    pub snapshot_json_bytes: u64,
    /// The full analysis (load, graph, paths from every entry point, findings, JSON report); `None`
    /// when it was killed at `--analyze-timeout`.
    pub analyze_seconds: Option<f64>,
    /// `analyze_seconds / floor_seconds`.
    pub ratio: Option<f64>,
    /// Peak RSS of the analysis (when killed: until then).
    pub analyze_peak_rss_bytes: u64,
    /// The time limit the analysis was killed at, if it was.
    pub analyze_killed_after_seconds: Option<f64>,
    /// The analysis' phases, timed inside the child (when killed: those it finished).
    pub analyze_phases: AnalyzeResult,
    /// Of the analysis, the fix plan (`analyze_phases.fix_plan_seconds`, repeated for the issue's
    /// contract).
    pub fix_plan_seconds: Option<f64>,
    /// A path query on the same snapshot, in its own process: wall time from spawn to exit (load,
    /// graph, search), and its phases.
    pub query_seconds: Option<f64>,
    /// The query's phases.
    pub query: Option<QueryResult>,
    /// Seconds until the test API server had loaded the scenario and listened (not part of any figure).
    pub server_ready_seconds: Option<f64>,
    /// The test API server's peak RSS at the end (not part of any figure).
    pub server_peak_rss_bytes: Option<u64>,
    /// Bytes of the scenario files the server loaded.
    pub scenario_bytes: Option<u64>,
    /// `kubectl-coder_sec capture` wall time against the test API server.
    pub capture_seconds: Option<f64>,
    /// Its peak RSS.
    pub capture_peak_rss_bytes: Option<u64>,
    /// Its exit code (0 complete, 3 complete with blind spots).
    pub capture_exit_code: Option<i32>,
    /// Kinds the capture recorded as complete, and kubectl listed.
    pub kinds: Option<u64>,
    /// Sequential `kubectl get KIND -A -o json --chunk-size=500`, all kinds, wall time; `None` without
    /// kubectl.
    pub kubectl_seconds: Option<f64>,
    /// The largest peak RSS of one kubectl call.
    pub kubectl_peak_rss_bytes: Option<u64>,
    /// kubectl calls that failed.
    pub kubectl_failures: Vec<String>,
    /// `capture_seconds / kubectl_seconds`.
    pub capture_vs_kubectl: Option<f64>,
    /// Bytes of the snapshot our capture wrote.
    pub snapshot_bytes: Option<u64>,
    /// The JSON the API served, as kubectl received it, counted without the whitespace between
    /// tokens (kubectl indents its output; the server answers compact JSON).
    pub raw_json_bytes: Option<u64>,
    /// Bytes kubectl printed (indented).
    pub kubectl_stdout_bytes: Option<u64>,
    /// `snapshot_bytes / raw_json_bytes`.
    pub snapshot_share: Option<f64>,
    /// What the analysis said of each path the generator planted (empty when it did not finish).
    pub planted: Vec<answers::PlantedAnswer>,
}

/// One target of the issue, checked on the `large` figures.
#[derive(Debug, Clone, Serialize)]
pub struct TargetCheck {
    /// What is measured.
    pub what: String,
    /// The target, in words.
    pub target: String,
    /// The measured figure, in words.
    pub measured: String,
    /// Whether it holds (`None`: not measured).
    pub pass: Option<bool>,
}

/// Runs the bench (or, in a child, one phase).
pub fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(PhaseCommand::Phase { phase }) = cli.phase {
        return phase::run_in_child(phase);
    }
    if cli.sizes.is_empty() {
        anyhow::bail!("give at least one `--size NAME` (small, kubehound, large)");
    }
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let exe_dir = exe.parent().context("this executable has no folder")?;
    let bin_dir = cli.bin_dir.clone().unwrap_or_else(|| exe_dir.to_path_buf());
    let data_dir = match &cli.data_dir {
        Some(d) => d.clone(),
        None => exe_dir.parent().unwrap_or(exe_dir).join("bench-data"),
    };
    let machine = machine(&cli.kubectl);
    if machine.kubectl.is_none() && !cli.no_capture {
        eprintln!(
            "bench: `{}` cannot be run; kubectl figures will be null",
            cli.kubectl.display()
        );
    }
    let mut sizes = Vec::new();
    for &size in &cli.sizes {
        let r = bench_size(&cli, &machine, &exe, &bin_dir, &data_dir, size)
            .with_context(|| format!("size `{}`", size.name()))?;
        sizes.push(r);
    }
    let targets = table::check_targets(&sizes);
    let results = Results {
        machine,
        seed: cli.seed,
        sizes,
        targets,
    };
    print!("{}", table::render(&results));
    if let Some(out) = &cli.json {
        let text = serde_json::to_string_pretty(&results)? + "\n";
        std::fs::write(out, text).with_context(|| format!("cannot write `{}`", out.display()))?;
    }
    Ok(())
}

/// Measures one size.
pub fn bench_size(
    cli: &Cli,
    machine: &Machine,
    exe: &Path,
    bin_dir: &Path,
    data_dir: &Path,
    size: Size,
) -> anyhow::Result<SizeResult> {
    let inputs = data::ensure(data_dir, size, cli.seed, !cli.no_capture)?;
    let work = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(inputs.snapshot.parent().unwrap_or(data_dir))
        .context("cannot create a work folder")?;
    let mut r = SizeResult {
        size: size.name().to_string(),
        objects: inputs.objects,
        input_snapshot_bytes: file_len(&inputs.snapshot),
        ..SizeResult::default()
    };
    let runs = cli.runs.max(1);

    // 1. The floor and the analysis.
    for _ in 0..runs {
        eprintln!("bench: {}: floor", size.name());
        let (secs, f): (f64, FloorResult) =
            spawn_phase(exe, &[OsStr::new("floor"), inputs.snapshot.as_os_str()])?;
        if r.floor_seconds == 0.0 || secs < r.floor_seconds {
            r.floor_seconds = secs;
        }
        r.floor_peak_rss_bytes = r.floor_peak_rss_bytes.max(f.peak_rss_bytes);
        r.snapshot_json_bytes = f.json_bytes;
    }
    let report = work.path().join("report.json");
    for _ in 0..runs {
        eprintln!("bench: {}: analyze", size.name());
        let outcome = spawn_phase_limited::<AnalyzeResult>(
            exe,
            &[
                OsStr::new("analyze"),
                inputs.snapshot.as_os_str(),
                report.as_os_str(),
            ],
            cli.analyze_timeout,
        )?;
        match outcome {
            Outcome::Done(secs, a) => {
                r.analyze_peak_rss_bytes = r.analyze_peak_rss_bytes.max(a.peak_rss_bytes);
                if r.analyze_seconds.is_none_or(|s| secs < s) {
                    r.analyze_seconds = Some(secs);
                    r.analyze_phases = a;
                }
            }
            Outcome::TimedOut {
                limit,
                laps,
                peak_rss_bytes,
            } => {
                r.analyze_peak_rss_bytes = r.analyze_peak_rss_bytes.max(peak_rss_bytes);
                r.analyze_killed_after_seconds = Some(limit);
                let mut a = AnalyzeResult {
                    peak_rss_bytes,
                    ..AnalyzeResult::default()
                };
                for (name, s) in laps {
                    match name.as_str() {
                        "load" => a.load_seconds = s,
                        "graph" => a.graph_seconds = s,
                        "report" => a.report_seconds = s,
                        _ => {}
                    }
                }
                r.analyze_phases = a;
                break;
            }
        }
    }
    r.ratio = r.analyze_seconds.map(|a| a / r.floor_seconds);
    if r.analyze_seconds.is_some() {
        r.fix_plan_seconds = Some(r.analyze_phases.fix_plan_seconds);
        eprintln!("bench: {}: query", size.name());
        let (secs, q): (f64, QueryResult) =
            spawn_phase(exe, &[OsStr::new("query"), inputs.snapshot.as_os_str()])?;
        r.query_seconds = Some(secs);
        r.query = Some(q);
    }
    if r.analyze_seconds.is_some() {
        r.planted = answers::check(&inputs.snapshot, &report)?;
    }
    if cli.no_capture {
        return Ok(r);
    }

    // 2. and 3. The capture against kubectl, on the test API server.
    let kubeconfig = work.path().join("kubeconfig");
    eprintln!("bench: {}: starting the test API server", size.name());
    let server = server::Server::start(
        &bin_dir.join("coder-sec-test-apiserver"),
        &inputs.scenario,
        &kubeconfig,
    )?;
    r.server_ready_seconds = Some(server.ready_seconds);
    r.scenario_bytes = Some(data::dir_bytes(&inputs.scenario));
    let plugin = bin_dir.join("kubectl-coder_sec");
    let snapshot = work.path().join("capture.tar.zst");
    for _ in 0..runs {
        eprintln!("bench: {}: capture", size.name());
        let _ = std::fs::remove_file(&snapshot);
        let mut args: Vec<&OsStr> = vec![
            OsStr::new("exec"),
            OsStr::new("--"),
            plugin.as_os_str(),
            OsStr::new("capture"),
            OsStr::new("--kubeconfig"),
            kubeconfig.as_os_str(),
            OsStr::new("-o"),
            snapshot.as_os_str(),
        ];
        args.push(OsStr::new("--quiet"));
        let (_, c): (f64, ExecResult) = spawn_phase(exe, &args)?;
        if !matches!(c.exit_code, Some(0 | 3)) {
            anyhow::bail!("the capture failed (exit code {:?})", c.exit_code);
        }
        if r.capture_seconds.is_none_or(|s| c.seconds < s) {
            r.capture_seconds = Some(c.seconds);
            r.capture_exit_code = c.exit_code;
        }
        r.capture_peak_rss_bytes =
            Some(r.capture_peak_rss_bytes.unwrap_or(0).max(c.peak_rss_bytes));
    }
    r.snapshot_bytes = Some(file_len(&snapshot));
    let resources = captured_resources(&snapshot)?;
    r.kinds = Some(resources.len() as u64);
    if machine.kubectl.is_some() {
        let home = work.path().join("kubectl-home");
        std::fs::create_dir_all(&home).context("cannot create kubectl's HOME")?;
        for _ in 0..runs {
            eprintln!(
                "bench: {}: kubectl ({} kinds)",
                size.name(),
                resources.len()
            );
            let mut args: Vec<&OsStr> = vec![
                OsStr::new("kubectl"),
                OsStr::new("--kubectl"),
                cli.kubectl.as_os_str(),
                OsStr::new("--kubeconfig"),
                kubeconfig.as_os_str(),
                OsStr::new("--home"),
                home.as_os_str(),
            ];
            args.extend(resources.iter().map(OsStr::new));
            let (_, k): (f64, KubectlResult) = spawn_phase(exe, &args)?;
            if r.kubectl_seconds.is_none_or(|s| k.seconds < s) {
                r.kubectl_seconds = Some(k.seconds);
            }
            r.kubectl_peak_rss_bytes =
                Some(r.kubectl_peak_rss_bytes.unwrap_or(0).max(k.peak_rss_bytes));
            r.raw_json_bytes = Some(k.compact_bytes);
            r.kubectl_stdout_bytes = Some(k.stdout_bytes);
            r.kubectl_failures = k.failures;
        }
        r.capture_vs_kubectl = r.capture_seconds.zip(r.kubectl_seconds).map(|(c, k)| c / k);
        r.snapshot_share = r
            .snapshot_bytes
            .zip(r.raw_json_bytes)
            .map(|(s, j)| s as f64 / j as f64);
    }
    r.server_peak_rss_bytes = server.peak_rss_bytes();
    drop(server);
    Ok(r)
}

/// The kinds a capture recorded as complete, as kubectl resource names (`pods`, `deployments.apps`).
pub fn captured_resources(snapshot: &Path) -> anyhow::Result<Vec<String>> {
    let reader = SnapshotReader::open(snapshot, ReadLimits::default())
        .with_context(|| format!("cannot open `{}`", snapshot.display()))?;
    let mut out = Vec::new();
    for k in &reader.manifest().kinds {
        if k.status != KindStatus::Complete {
            continue;
        }
        let spec = KINDS
            .iter()
            .find(|s| s.group == k.group && s.kind == k.kind)
            .with_context(|| {
                format!(
                    "kind `{}` of group `{}` is not in the kind table",
                    k.kind, k.group
                )
            })?;
        out.push(if spec.group.is_empty() {
            spec.plural.to_string()
        } else {
            format!("{}.{}", spec.plural, spec.group)
        });
    }
    Ok(out)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Describes this machine.
pub fn machine(kubectl: &PathBuf) -> Machine {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_bytes = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024);
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
    });
    let load_average = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|v| v.parse().ok()));
    let kubectl = std::process::Command::new(kubectl)
        .args(["version", "--client", "-o", "json"])
        .env_remove("KUBECONFIG")
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
        .and_then(|v| {
            v["clientVersion"]["gitVersion"]
                .as_str()
                .map(str::to_string)
        });
    Machine {
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_bytes,
        cpu,
        load_average,
        profile: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        kubectl,
        started_unix: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    }
}
