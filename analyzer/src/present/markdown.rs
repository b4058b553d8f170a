//! The Markdown report, for a ticket.

use std::fmt::Write as _;

use super::{Options, capped_list, clean};
use crate::report::{CoverageStatus, Report};

/// How many entries, targets or objects an item lists before "N more (see JSON)".
const MAX_LISTED: usize = 10;

fn esc(s: &str) -> String {
    clean(s).replace('|', "\\|")
}

/// Text for a code span: control characters shown as escapes, backticks (which would end the
/// span) shown as `'`.
fn code(s: &str) -> String {
    clean(s).replace('`', "'")
}

/// Renders the Markdown report.
pub fn render(r: &Report) -> String {
    render_with(r, &Options::default())
}

/// Renders the Markdown report with options (`--top`, `--min-severity`).
pub fn render_with(r: &Report, o: &Options) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# coder-sec analysis\n");
    let snap = &r.snapshot;
    let _ = writeln!(
        s,
        "- snapshot: {} {}",
        clean(snap.source.as_deref().unwrap_or("?")),
        clean(snap.captured_at.as_deref().unwrap_or(""))
    );
    if let Some(note) = &r.integrity {
        let _ = writeln!(
            s,
            "- **integrity not enforced** (`--ignore-integrity`): {}",
            if note.problems.is_empty() {
                "the checks found no problem".to_string()
            } else {
                format!("{} problems, the report may be wrong", note.problems.len())
            }
        );
        for p in &note.problems {
            let _ = writeln!(s, "  - {}", clean(p));
        }
    }
    let _ = writeln!(
        s,
        "- Coder: {}",
        if snap.coder.detected {
            format!(
                "coderd {}; {} workspace pods",
                super::clean_join(&snap.coder.coderd, ", "),
                snap.coder.workspace_pods
            )
        } else {
            "not detected".to_string()
        }
    );
    let _ = writeln!(
        s,
        "- graph: {} vertices, {} edges, {} entry points, {} crown jewels\n",
        snap.graph.vertices, snap.graph.edges, snap.graph.entry_points, snap.graph.crown_jewels
    );
    let _ = writeln!(s, "## FIX PLAN\n");
    let rows = super::fix_rows(r);
    if rows.is_empty() {
        let _ = writeln!(s, "Nothing critical or high to close.\n");
    } else {
        let _ = writeln!(s, "| # | fix | effect | key |");
        let _ = writeln!(s, "|---|---|---|---|");
        for (i, title, closes, key) in rows {
            let _ = writeln!(
                s,
                "| {i} | {} | {} | `{}` |",
                esc(&title),
                esc(&closes),
                esc(&key)
            );
        }
        s.push('\n');
    }
    let _ = writeln!(s, "## Attack paths\n");
    if r.attack_paths.is_empty() {
        let _ = writeln!(s, "None found.\n");
    }
    let shown = o.pick(&r.attack_paths, |p| p.severity);
    for p in &shown {
        let _ = writeln!(
            s,
            "### {} [{}] `{}` → `{}` (cost {})\n",
            p.id,
            p.severity.as_str(),
            code(&p.entry),
            code(&p.target),
            p.cost
        );
        if p.count > 1 {
            let _ = writeln!(
                s,
                "{} entry points share these steps: {}.\n",
                p.count,
                capped_list(&p.entries, MAX_LISTED, ", ", |e| format!("`{}`", code(e)))
            );
        }
        if p.target_count > 1 {
            let _ = writeln!(
                s,
                "Reaches {} targets: {}.\n",
                p.target_count,
                capped_list(&p.targets, MAX_LISTED, ", ", |e| format!("`{}`", code(e)))
            );
        }
        for (i, st) in p.steps.iter().enumerate() {
            let _ = writeln!(
                s,
                "{}. `{}` —`{}`→ `{}`",
                i + 1,
                code(&st.from),
                st.technique,
                code(&st.to)
            );
        }
        s.push('\n');
    }
    if r.attack_paths.len() > shown.len() {
        let _ = writeln!(
            s,
            "{} more paths (see JSON).\n",
            r.attack_paths.len() - shown.len()
        );
    }
    let _ = writeln!(s, "## Findings\n");
    let listed = o.pick(&r.findings, |f| f.severity);
    if !listed.is_empty() {
        let _ = writeln!(s, "| severity | area | code | finding | objects | fix |");
        let _ = writeln!(s, "|---|---|---|---|---|---|");
    }
    for f in &listed {
        let _ = writeln!(
            s,
            "| {} | {} | `{}` | {} | {} | {} |",
            f.severity.as_str(),
            esc(f.area.title()),
            f.code.code(),
            esc(&f.title),
            capped_list(&f.objects, MAX_LISTED, "<br>", |o| format!("`{}`", esc(o))),
            esc(f.remediation)
        );
    }
    if r.findings.len() > listed.len() {
        let _ = writeln!(
            s,
            "\n{} more findings (see JSON).",
            r.findings.len() - listed.len()
        );
    }
    s.push('\n');
    if !r.blind_spots.is_empty() {
        let _ = writeln!(s, "## Blind spots\n");
        for b in &r.blind_spots {
            let _ = writeln!(
                s,
                "- **{}** ({}): {}",
                clean(&b.subject),
                clean(&b.reason),
                clean(&b.hides)
            );
        }
        s.push('\n');
    }
    let _ = writeln!(s, "## Seed coverage\n");
    let _ = writeln!(s, "| bullet | status | why |");
    let _ = writeln!(s, "|---|---|---|");
    for row in &r.seed_coverage {
        let status = match row.status {
            CoverageStatus::Finding => "finding",
            CoverageStatus::Checked => "checked",
            CoverageStatus::NotObservable => "not-observable",
        };
        let why = match row.owner {
            Some(o) => format!("{} (owner: {o})", row.why),
            None => row.why.clone(),
        };
        let _ = writeln!(
            s,
            "| `{}` {} | {status} | {} |",
            row.id,
            esc(row.bullet),
            esc(&why)
        );
    }
    s
}
