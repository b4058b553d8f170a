//! The Markdown table the bench prints, and the `large` targets of the issue.

use std::fmt::Write as _;

use crate::{Results, SizeResult, TargetCheck};

const MIB: f64 = 1024.0 * 1024.0;

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB)
}

fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> String) -> String {
    v.map_or_else(|| "n/a".to_string(), f)
}

fn secs(s: f64) -> String {
    format!("{s:.2} s")
}

/// Renders the results: one row per size, the analysis' phases per size (the scaling view), and the
/// `large` targets with PASS/MISS.
pub fn render(r: &Results) -> String {
    let mut s = String::new();
    let m = &r.machine;
    let _ = writeln!(
        s,
        "Machine: {} cores, {} memory, {}; {} build; load average {} at start; kubectl {}; seed {}.\n",
        m.cores,
        opt(m.memory_bytes, |b| format!(
            "{:.1} GiB",
            b as f64 / MIB / 1024.0
        )),
        m.cpu.as_deref().unwrap_or("unknown CPU"),
        m.profile,
        opt(m.load_average, |l| format!("{l:.2}")),
        m.kubectl
            .as_deref()
            .unwrap_or("not found (kubectl figures n/a)"),
        r.seed
    );
    s.push_str(
        "| size | objects | floor | analyze | ratio | analyze peak RSS | capture | kubectl | capture / kubectl | capture peak RSS | snapshot | raw JSON | snapshot / raw |\n",
    );
    s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for z in &r.sizes {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            z.size,
            thousands(z.objects),
            secs(z.floor_seconds),
            analyze_secs(z),
            opt(z.ratio, |x| format!("{x:.2}")),
            mib(z.analyze_peak_rss_bytes),
            opt(z.capture_seconds, secs),
            opt(z.kubectl_seconds, secs),
            opt(z.capture_vs_kubectl, |x| format!("{x:.2}×")),
            opt(z.capture_peak_rss_bytes, mib),
            opt(z.snapshot_bytes, mib),
            opt(z.raw_json_bytes, mib),
            opt(z.snapshot_share, |x| format!("{:.2} %", x * 100.0)),
        );
    }
    s.push('\n');
    s.push_str(
        "| size | load | graph | paths + findings | JSON report | analyze µs / object | analyze RSS / object | floor peak RSS | kubectl peak RSS | paths | findings | planted found |\n",
    );
    s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for z in &r.sizes {
        let a = &z.analyze_phases;
        let per = |v: f64| {
            if z.objects == 0 {
                0.0
            } else {
                v / z.objects as f64
            }
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {:.0} B | {} | {} | {} | {} | {} |",
            z.size,
            secs(a.load_seconds),
            secs(a.graph_seconds),
            secs(a.report_seconds),
            secs(a.render_seconds),
            opt(z.analyze_seconds, |a| format!("{:.1}", per(a) * 1e6)),
            per(z.analyze_peak_rss_bytes as f64),
            mib(z.floor_peak_rss_bytes),
            opt(z.kubectl_peak_rss_bytes, mib),
            thousands(a.attack_paths),
            thousands(a.findings),
            planted(z),
        );
    }
    s.push('\n');
    s.push_str("| `large` target | goal | measured | |\n|---|---|---|---|\n");
    for t in &r.targets {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            t.what,
            t.target,
            t.measured,
            match t.pass {
                Some(true) => "PASS",
                Some(false) => "MISS",
                None => "not measured",
            }
        );
    }
    s
}

/// `found/planted`, naming those not found (`n/a` when the analysis did not finish).
fn planted(z: &SizeResult) -> String {
    if z.planted.is_empty() {
        return "n/a".into();
    }
    let found = z.planted.iter().filter(|p| p.found).count();
    let missed: Vec<&str> = z
        .planted
        .iter()
        .filter(|p| !p.found)
        .map(|p| p.id.as_str())
        .collect();
    if missed.is_empty() {
        format!("{found}/{}", z.planted.len())
    } else {
        format!(
            "{found}/{} (missed: {})",
            z.planted.len(),
            missed.join(", ")
        )
    }
}

/// The analysis time, or `> LIMIT s (killed)`.
fn analyze_secs(z: &SizeResult) -> String {
    match z.analyze_seconds {
        Some(a) => secs(a),
        None => format!("> {:.0} s (killed)", analyze_bound(z)),
    }
}

fn analyze_bound(z: &SizeResult) -> f64 {
    z.analyze_seconds
        .or(z.analyze_killed_after_seconds)
        .unwrap_or(0.0)
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Checks the targets on the `large` figures (capture memory growth: against `small`).
pub fn check_targets(sizes: &[SizeResult]) -> Vec<TargetCheck> {
    let large = sizes.iter().find(|z| z.size == "large");
    let small = sizes.iter().find(|z| z.size == "small");
    let check = |what: &str, target: &str, v: Option<(String, bool)>| TargetCheck {
        what: what.to_string(),
        target: target.to_string(),
        measured: v.as_ref().map_or("n/a".to_string(), |(m, _)| m.clone()),
        pass: v.map(|(_, p)| p),
    };
    const GIB: u64 = 1 << 30;
    vec![
        check(
            "analyze / floor",
            "≤ 2",
            large.map(|z| match z.ratio {
                Some(x) => (format!("{x:.2}"), x <= 2.0),
                None => (
                    format!("> {:.0}", analyze_bound(z) / z.floor_seconds),
                    false,
                ),
            }),
        ),
        check(
            "analyze time",
            "≤ 10 s",
            large.map(|z| {
                (
                    analyze_secs(z),
                    z.analyze_seconds.is_some_and(|a| a <= 10.0),
                )
            }),
        ),
        check(
            "analyze peak RSS",
            "≤ 2 GiB",
            large.map(|z| {
                (
                    mib(z.analyze_peak_rss_bytes),
                    z.analyze_peak_rss_bytes <= 2 * GIB,
                )
            }),
        ),
        check(
            "capture / kubectl time",
            "≤ 0.5×",
            large
                .and_then(|z| z.capture_vs_kubectl)
                .map(|x| (format!("{x:.2}×"), x <= 0.5)),
        ),
        check(
            "capture peak RSS",
            "≤ 300 MiB",
            large
                .and_then(|z| z.capture_peak_rss_bytes)
                .map(|b| (mib(b), b <= 300 * 1024 * 1024)),
        ),
        check(
            "capture peak RSS, large / small",
            "flat: ≤ 1.5×",
            large
                .and_then(|l| l.capture_peak_rss_bytes)
                .zip(small.and_then(|s| s.capture_peak_rss_bytes))
                .map(|(l, s)| {
                    let x = l as f64 / s as f64;
                    (format!("{x:.2}× ({} vs {})", mib(l), mib(s)), x <= 1.5)
                }),
        ),
        check(
            "snapshot / raw JSON",
            "≤ 5 %",
            large
                .and_then(|z| z.snapshot_share)
                .map(|x| (format!("{:.2} %", x * 100.0), x <= 0.05)),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(539_550), "539,550");
    }

    #[test]
    fn targets_without_large_are_not_measured() {
        let small = SizeResult {
            size: "small".into(),
            ..SizeResult::default()
        };
        assert!(check_targets(&[small]).iter().all(|t| t.pass.is_none()));
    }
}
