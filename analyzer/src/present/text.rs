//! The terminal report: summary, worst paths as step lists, findings worst first, seed coverage.

use std::fmt::Write as _;

use super::{Options, capped_list, clean, clean_join};
use crate::report::{CoverageStatus, Report};
use crate::severity::Severity;

/// How many paths the text report lists in full (without `--top`).
pub const MAX_PATHS: usize = super::DEFAULT_TOP;

/// How many entries, targets or objects an item lists before "N more (see JSON)".
const MAX_LISTED: usize = 8;

fn paint(s: &str, sev: Severity, color: bool) -> String {
    if !color {
        return s.to_string();
    }
    let code = match sev {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

/// Renders the text report.
pub fn render(r: &Report, color: bool) -> String {
    render_with(
        r,
        &Options {
            color,
            ..Options::default()
        },
    )
}

/// Renders the text report with options (`--top`, `--min-severity`).
pub fn render_with(r: &Report, o: &Options) -> String {
    let color = o.color;
    let mut s = String::new();
    let snap = &r.snapshot;
    let _ = writeln!(s, "coder-sec analysis");
    let _ = writeln!(
        s,
        "snapshot  {} {}",
        clean(snap.source.as_deref().unwrap_or("?")),
        clean(snap.captured_at.as_deref().unwrap_or(""))
    );
    if let Some(note) = &r.integrity {
        if note.problems.is_empty() {
            let _ = writeln!(
                s,
                "integrity NOT ENFORCED (--ignore-integrity); the checks found no problem"
            );
        } else {
            let _ = writeln!(
                s,
                "integrity NOT ENFORCED (--ignore-integrity); {} problems, the report may be wrong:",
                note.problems.len()
            );
            for p in &note.problems {
                let _ = writeln!(s, "          - {}", clean(p));
            }
        }
    }
    let c = &snap.coder;
    if c.detected {
        let _ = writeln!(
            s,
            "coder     coderd {}; {} workspace pods in {}",
            clean_join(&c.coderd, ", "),
            c.workspace_pods,
            if c.workspace_namespaces.is_empty() {
                "no namespace".to_string()
            } else {
                clean_join(&c.workspace_namespaces, ", ")
            }
        );
    } else {
        let _ = writeln!(s, "coder     not detected");
    }
    let _ = writeln!(
        s,
        "graph     {} vertices, {} edges, {} entry points, {} crown jewels",
        snap.graph.vertices, snap.graph.edges, snap.graph.entry_points, snap.graph.crown_jewels
    );
    for (what, counts) in &r.summary {
        let _ = writeln!(
            s,
            "{:<9} {} critical, {} high, {} medium, {} low",
            what.replace('_', " ").replace("attack paths", "paths"),
            counts.critical,
            counts.high,
            counts.medium,
            counts.low
        );
    }
    let _ = writeln!(s, "\nFIX PLAN");
    let rows = super::fix_rows(r);
    if rows.is_empty() {
        let _ = writeln!(s, "  nothing critical or high to close");
    }
    for (i, title, closes, key) in rows {
        let _ = writeln!(s, "  {i:>2}. {title}\n      {closes}\n      key: {key}");
    }
    let _ = writeln!(s, "\nATTACK PATHS");
    if r.attack_paths.is_empty() {
        let _ = writeln!(s, "  none found");
    }
    let shown = o.pick(&r.attack_paths, |p| p.severity);
    for p in &shown {
        let sev = paint(&format!("[{}]", p.severity.as_str()), p.severity, color);
        let _ = writeln!(
            s,
            "\n  {} {sev} {} → {} (cost {})",
            p.id,
            clean(&p.entry),
            clean(&p.target),
            p.cost
        );
        if p.count > 1 {
            let _ = writeln!(
                s,
                "      {} entry points share these steps: {}",
                p.count,
                capped_list(&p.entries, MAX_LISTED, ", ", |x| clean(x).into_owned())
            );
        }
        if p.target_count > 1 {
            let _ = writeln!(
                s,
                "      reaches {} targets: {}",
                p.target_count,
                capped_list(&p.targets, MAX_LISTED, ", ", |x| clean(x).into_owned())
            );
        }
        for (i, step) in p.steps.iter().enumerate() {
            let _ = writeln!(
                s,
                "      {}. {} ─[{}]→ {}",
                i + 1,
                clean(&step.from),
                step.technique,
                clean(&step.to)
            );
        }
    }
    if r.attack_paths.len() > shown.len() {
        let _ = writeln!(
            s,
            "\n  {} more paths (see JSON)",
            r.attack_paths.len() - shown.len()
        );
    }
    let _ = writeln!(s, "\nFINDINGS (worst first)");
    if r.findings.is_empty() {
        let _ = writeln!(s, "  none");
    }
    let listed = o.pick(&r.findings, |f| f.severity);
    for f in &listed {
        let sev = paint(&format!("[{}]", f.severity.as_str()), f.severity, color);
        let _ = writeln!(
            s,
            "\n  {sev} {}: {} ({})",
            f.code.code(),
            clean(&f.title),
            f.area.title()
        );
        for obj in f.objects.iter().take(MAX_LISTED) {
            let _ = writeln!(s, "      {}", clean(obj));
        }
        if f.objects.len() > MAX_LISTED {
            let _ = writeln!(s, "      {} more (see JSON)", f.objects.len() - MAX_LISTED);
        }
        let _ = writeln!(s, "      fix: {}", f.remediation);
    }
    if r.findings.len() > listed.len() {
        let _ = writeln!(
            s,
            "\n  {} more findings (see JSON)",
            r.findings.len() - listed.len()
        );
    }
    if !r.blind_spots.is_empty() {
        let _ = writeln!(s, "\nBLIND SPOTS");
        for b in &r.blind_spots {
            let _ = writeln!(
                s,
                "  - {} ({}): {}",
                clean(&b.subject),
                clean(&b.reason),
                clean(&b.hides)
            );
        }
    }
    let _ = writeln!(s, "\nSEED COVERAGE");
    for row in &r.seed_coverage {
        let status = match row.status {
            CoverageStatus::Finding => "finding",
            CoverageStatus::Checked => "checked",
            CoverageStatus::NotObservable => "not-observable",
        };
        let _ = writeln!(s, "  {:<15} {:<40} {}", status, row.id, clean(&row.why));
    }
    s
}
