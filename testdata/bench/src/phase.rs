//! Measured phases. Each runs in a child process (the bench binary re-executed with the hidden
//! `__phase` subcommand), so one phase's memory never counts in the next one's peak RSS. The child
//! prints one JSON line; the parent times the child from spawn to exit.

use std::ffi::OsStr;
use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, bail};
use coder_sec_analyzer::inventory::Inventory;
use coder_sec_analyzer::present::{self, Format};
use coder_sec_analyzer::report::{Analysis, Report, Settings};
use coder_sec_model::{ReadLimits, SnapshotReader};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cli::Phase;

/// What the floor phase measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FloorResult {
    /// Objects parsed.
    pub objects: u64,
    /// Uncompressed bytes of the object lines.
    pub json_bytes: u64,
    /// Peak RSS of the child (`VmHWM`).
    pub peak_rss_bytes: u64,
}

/// What the analyze phase measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AnalyzeResult {
    /// `Inventory::load`: decompress, parse, typed inventory, indexes.
    pub load_seconds: f64,
    /// `Analysis::build`: effective RBAC, Coder facts, trust graph.
    pub graph_seconds: f64,
    /// `Report::from_analysis`: entry points, crown jewels, paths, findings, coverage.
    pub report_seconds: f64,
    /// Rendering the JSON report and writing it.
    pub render_seconds: f64,
    /// Of `report_seconds`, the fix plan (its searches without each fix).
    #[serde(default)]
    pub fix_plan_seconds: f64,
    /// Rows of the fix plan.
    #[serde(default)]
    pub fix_plan_rows: u64,
    /// Critical paths in the report.
    #[serde(default)]
    pub critical_paths: u64,
    /// Critical paths left after the fix plan's rows (at most 10).
    #[serde(default)]
    pub critical_after_plan: u64,
    /// Attack paths reported.
    pub attack_paths: u64,
    /// Findings reported.
    pub findings: u64,
    /// Bytes of the JSON report.
    pub report_bytes: u64,
    /// Peak RSS of the child (`VmHWM`).
    pub peak_rss_bytes: u64,
}

/// What the query phase measured: `coder-sec paths SNAPSHOT --to Virtual/cluster-admin` (who can
/// become cluster admin), as the command runs it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct QueryResult {
    /// `Inventory::load`.
    pub load_seconds: f64,
    /// Graph and search (the query itself).
    pub query_seconds: f64,
    /// Paths found (at most the query's `--max`).
    pub paths: u64,
    /// Peak RSS of the child (`VmHWM`).
    pub peak_rss_bytes: u64,
}

/// The query phase.
pub fn query(snapshot: &Path) -> anyhow::Result<QueryResult> {
    use clap::Parser as _;
    #[derive(clap::Parser)]
    struct Wrapped {
        #[command(flatten)]
        args: coder_sec_analyzer::commands::paths::Args,
    }
    let args = Wrapped::try_parse_from([
        OsStr::new("paths"),
        snapshot.as_os_str(),
        OsStr::new("--to"),
        OsStr::new("Virtual/cluster-admin"),
    ])
    .context("cannot build the query's arguments")?
    .args;
    let t = Instant::now();
    let inv = Inventory::load(snapshot, ReadLimits::default())
        .with_context(|| format!("cannot query `{}`", snapshot.display()))?;
    let load_seconds = t.elapsed().as_secs_f64();
    lap("load", load_seconds);
    let t = Instant::now();
    let answer = coder_sec_analyzer::commands::paths::answer(&inv, &args)?;
    let query_seconds = t.elapsed().as_secs_f64();
    Ok(QueryResult {
        load_seconds,
        query_seconds,
        paths: answer.paths.len() as u64,
        peak_rss_bytes: own_peak_rss()?,
    })
}

/// What the exec phase measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExecResult {
    /// Wall time of the command.
    pub seconds: f64,
    /// Its exit code (`None`: killed by a signal).
    pub exit_code: Option<i32>,
    /// Its peak RSS (`getrusage(RUSAGE_CHILDREN)` of the one child).
    pub peak_rss_bytes: u64,
}

/// What the kubectl phase measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KubectlResult {
    /// Wall time of all calls, one after the other.
    pub seconds: f64,
    /// Bytes kubectl printed (indented JSON).
    pub stdout_bytes: u64,
    /// The same JSON without the whitespace between tokens: what a compact encoding takes.
    pub compact_bytes: u64,
    /// The largest peak RSS of one call.
    pub peak_rss_bytes: u64,
    /// Resources listed.
    pub resources: u64,
    /// Resources whose call failed (`resource: message`).
    pub failures: Vec<String>,
}

/// Runs a phase in this (child) process and prints its JSON result on stdout.
pub fn run_in_child(phase: Phase) -> anyhow::Result<()> {
    let json = match phase {
        Phase::Floor { snapshot } => serde_json::to_string(&floor(&snapshot)?)?,
        Phase::Analyze { snapshot, output } => {
            serde_json::to_string(&analyze(&snapshot, &output)?)?
        }
        Phase::Exec { command } => serde_json::to_string(&exec(&command)?)?,
        Phase::Query { snapshot } => serde_json::to_string(&query(&snapshot)?)?,
        Phase::Kubectl {
            kubectl,
            kubeconfig,
            home,
            resources,
        } => serde_json::to_string(&kubectl_calls(&kubectl, &kubeconfig, &home, &resources)?)?,
    };
    println!("{json}");
    Ok(())
}

/// The floor: the model's snapshot reader (zstd, tar, the sha256 check of every entry, as the
/// analyzer's load pays too), every object line parsed by `serde_json` into a `Value`, all held in
/// memory at once.
pub fn floor(snapshot: &Path) -> anyhow::Result<FloorResult> {
    let limits = ReadLimits::default();
    let reader = SnapshotReader::open(snapshot, limits)
        .with_context(|| format!("cannot open `{}`", snapshot.display()))?;
    let mut values: Vec<Value> = Vec::new();
    let mut json_bytes = 0u64;
    reader
        .read_entries(|info, r| {
            if info.kind.is_some() {
                let mut line = Vec::new();
                loop {
                    line.clear();
                    let n = r.read_until(b'\n', &mut line).map_err(|e| e.to_string())?;
                    if n == 0 {
                        break;
                    }
                    json_bytes += n as u64;
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    values.push(serde_json::from_slice(&line).map_err(|e| e.to_string())?);
                }
            }
            Ok(())
        })
        .with_context(|| format!("cannot read `{}`", snapshot.display()))?;
    Ok(FloorResult {
        objects: values.len() as u64,
        json_bytes,
        peak_rss_bytes: own_peak_rss()?,
    })
}

/// The full analysis, as `coder-sec analyze SNAPSHOT --format json -o OUTPUT` runs it.
pub fn analyze(snapshot: &Path, output: &Path) -> anyhow::Result<AnalyzeResult> {
    let t = Instant::now();
    let inv = Inventory::load(snapshot, ReadLimits::default())
        .with_context(|| format!("cannot analyse `{}`", snapshot.display()))?;
    let load_seconds = t.elapsed().as_secs_f64();
    lap("load", load_seconds);
    let t = Instant::now();
    let analysis = Analysis::build(&inv);
    let graph_seconds = t.elapsed().as_secs_f64();
    lap("graph", graph_seconds);
    let t = Instant::now();
    // As the CLI does: the inventory is dropped before the path search.
    let report = Report::from_analysis_owned(inv, &analysis, &Settings::default());
    let report_seconds = t.elapsed().as_secs_f64();
    lap("report", report_seconds);
    let t = Instant::now();
    let text = present::render(&report, Format::Json, false);
    coder_sec_analyzer::output::write_output(Some(output), text.as_bytes())?;
    let render_seconds = t.elapsed().as_secs_f64();
    Ok(AnalyzeResult {
        load_seconds,
        graph_seconds,
        report_seconds,
        render_seconds,
        fix_plan_seconds: report.fix_plan_seconds,
        fix_plan_rows: report.fix_plan.len() as u64,
        critical_paths: report
            .summary
            .get("attack_paths")
            .map_or(0, |c| c.critical as u64),
        critical_after_plan: report.fix_plan.last().map_or_else(
            || {
                report
                    .summary
                    .get("attack_paths")
                    .map_or(0, |c| c.critical as u64)
            },
            |f| f.remaining.critical as u64,
        ),
        attack_paths: report.attack_paths.len() as u64,
        findings: report.findings.len() as u64,
        report_bytes: text.len() as u64,
        peak_rss_bytes: own_peak_rss()?,
    })
}

/// Runs `command` (stdin and stdout to /dev/null, stderr inherited) and measures it.
pub fn exec(command: &[std::ffi::OsString]) -> anyhow::Result<ExecResult> {
    let Some((program, args)) = command.split_first() else {
        bail!("no command given");
    };
    let t = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("cannot run `{}`", program.to_string_lossy()))?;
    let seconds = t.elapsed().as_secs_f64();
    Ok(ExecResult {
        seconds,
        exit_code: status.code(),
        peak_rss_bytes: children_peak_rss()?,
    })
}

/// Sequential `kubectl get RESOURCE -A -o json --chunk-size=500` calls; stdout is counted, not kept.
pub fn kubectl_calls(
    kubectl: &Path,
    kubeconfig: &Path,
    home: &Path,
    resources: &[String],
) -> anyhow::Result<KubectlResult> {
    let mut out = KubectlResult::default();
    let t = Instant::now();
    for resource in resources {
        let mut child = Command::new(kubectl)
            .args(["get", resource, "-A", "-o", "json", "--chunk-size=500"])
            .arg(OsStr::new("--kubeconfig"))
            .arg(kubeconfig)
            .env("HOME", home)
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot run `{}`", kubectl.display()))?;
        let mut stderr = child.stderr.take().context("no stderr pipe")?;
        let err_thread = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let mut stdout = child.stdout.take().context("no stdout pipe")?;
        let mut counter = CompactCounter::default();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = stdout
                .read(&mut buf)
                .context("cannot read kubectl's output")?;
            if n == 0 {
                break;
            }
            counter.feed(&buf[..n]);
        }
        let status = child.wait().context("cannot wait for kubectl")?;
        let err = err_thread.join().unwrap_or_default();
        out.resources += 1;
        out.stdout_bytes += counter.total;
        out.compact_bytes += counter.compact;
        if !status.success() {
            out.failures.push(format!(
                "{resource}: {}",
                err.lines().last().unwrap_or("failed")
            ));
        }
    }
    out.seconds = t.elapsed().as_secs_f64();
    out.peak_rss_bytes = children_peak_rss()?;
    Ok(out)
}

/// Counts JSON bytes, and the bytes that remain once whitespace between tokens is dropped.
#[derive(Debug, Default, Clone)]
pub struct CompactCounter {
    /// Every byte.
    pub total: u64,
    /// Bytes inside strings, and bytes outside strings that are not whitespace.
    pub compact: u64,
    in_string: bool,
    escaped: bool,
}

impl CompactCounter {
    /// Feeds the next bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        for &b in bytes {
            if self.in_string {
                self.compact += 1;
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
            } else if !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.compact += 1;
                if b == b'"' {
                    self.in_string = true;
                }
            }
        }
    }
}

/// This process's peak RSS (`VmHWM` of `/proc/self/status`), in bytes.
pub fn own_peak_rss() -> anyhow::Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("cannot read /proc/self/status")?;
    vm_hwm(&status).context("no VmHWM in /proc/self/status")
}

/// `VmHWM` of a `/proc/PID/status` text, in bytes.
pub fn vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// The largest peak RSS of the children this process has waited for, in bytes.
pub fn children_peak_rss() -> anyhow::Result<u64> {
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .context("getrusage failed")?;
    Ok(u64::try_from(usage.max_rss()).unwrap_or(0) * 1024)
}

/// How a phase child ended.
#[derive(Debug)]
pub enum Outcome<T> {
    /// It finished: its wall time (spawn to exit) and its result.
    Done(f64, T),
    /// It was killed at the time limit: the laps it had reported and its peak RSS until then.
    TimedOut {
        /// The limit, in seconds.
        limit: f64,
        /// `(lap, seconds)` lines the child printed before it was killed.
        laps: Vec<(String, f64)>,
        /// Its `VmHWM` just before the kill.
        peak_rss_bytes: u64,
    },
}

/// Prints a lap line (`{"lap": NAME, "seconds": S}`) the parent keeps if the phase is killed.
pub fn lap(name: &str, seconds: f64) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}",
        serde_json::json!({ "lap": name, "seconds": seconds })
    );
    let _ = out.flush();
}

/// Runs `__phase ARGS` in a child copy of this binary; returns its wall time and its JSON result
/// (the last line it prints).
pub fn spawn_phase<T: serde::de::DeserializeOwned>(
    exe: &Path,
    args: &[&OsStr],
) -> anyhow::Result<(f64, T)> {
    match spawn_phase_limited(exe, args, None)? {
        Outcome::Done(secs, t) => Ok((secs, t)),
        Outcome::TimedOut { .. } => bail!("a phase without a time limit timed out"),
    }
}

/// As [`spawn_phase`], killing the child (by its pid) once `limit` seconds have passed.
pub fn spawn_phase_limited<T: serde::de::DeserializeOwned>(
    exe: &Path,
    args: &[&OsStr],
    limit: Option<f64>,
) -> anyhow::Result<Outcome<T>> {
    let t = Instant::now();
    let mut child = Command::new(exe)
        .arg("__phase")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot run `{}`", exe.display()))?;
    let mut stdout = child.stdout.take().context("no stdout pipe")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let name = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for a phase")? {
            break status;
        }
        if let Some(limit) = limit
            && t.elapsed().as_secs_f64() > limit
        {
            let peak_rss_bytes = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
                .ok()
                .and_then(|s| vm_hwm(&s))
                .unwrap_or(0);
            let _ = child.kill();
            let _ = child.wait();
            let text = reader.join().unwrap_or_default();
            let laps = text
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter_map(|v| Some((v["lap"].as_str()?.to_string(), v["seconds"].as_f64()?)))
                .collect();
            eprintln!("bench: phase `{name}` killed after {limit} s");
            return Ok(Outcome::TimedOut {
                limit,
                laps,
                peak_rss_bytes,
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let seconds = t.elapsed().as_secs_f64();
    let text = reader.join().unwrap_or_default();
    if !status.success() {
        bail!("phase `{name}` failed ({status})");
    }
    let line = text.lines().last().context("the phase printed nothing")?;
    let value = serde_json::from_str(line).with_context(|| format!("bad phase output `{line}`"))?;
    Ok(Outcome::Done(seconds, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_counter_skips_whitespace_between_tokens_only() {
        let mut c = CompactCounter::default();
        let text = "{\n  \"a b\": [1, 2],\n  \"c\\\" d\": \"x\"\n}\n";
        c.feed(&text.as_bytes()[..9]);
        c.feed(&text.as_bytes()[9..]);
        let compact = r#"{"a b":[1,2],"c\" d":"x"}"#;
        assert_eq!(c.compact, compact.len() as u64);
        assert_eq!(c.total, text.len() as u64);
    }

    #[test]
    fn vm_hwm_is_read_in_bytes() {
        assert_eq!(
            vm_hwm("Name:\tx\nVmPeak:\t  10 kB\nVmHWM:\t    2048 kB\n"),
            Some(2048 * 1024)
        );
        assert_eq!(vm_hwm("Name:\tx\n"), None);
        assert!(own_peak_rss().unwrap() > 0);
    }
}
