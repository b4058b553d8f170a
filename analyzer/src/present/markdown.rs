//! The Markdown report, for a ticket.

use std::fmt::Write as _;

use super::clean;
use crate::report::{CoverageStatus, Report};

/// Text for a table cell: control characters shown as escapes, `|` escaped.
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
    let _ = writeln!(s, "## Attack paths\n");
    if r.attack_paths.is_empty() {
        let _ = writeln!(s, "None found.\n");
    }
    for p in &r.attack_paths {
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
                "{} entry points share these steps, e.g. {}.\n",
                p.count,
                p.examples
                    .iter()
                    .map(|e| format!("`{}`", code(e)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if p.target_count > 1 {
            let _ = writeln!(
                s,
                "Reaches {} targets, e.g. {}.\n",
                p.target_count,
                p.target_examples
                    .iter()
                    .map(|e| format!("`{}`", code(e)))
                    .collect::<Vec<_>>()
                    .join(", ")
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
    let _ = writeln!(s, "## Findings\n");
    for (area, list) in r.findings_by_area() {
        let _ = writeln!(s, "### {}\n", area.title());
        let _ = writeln!(s, "| severity | code | finding | objects | fix |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for f in list {
            let objs: Vec<String> = f
                .objects
                .iter()
                .take(10)
                .map(|o| format!("`{}`", esc(&code(o))))
                .collect();
            let _ = writeln!(
                s,
                "| {} | `{}` | {} | {} | {} |",
                f.severity.as_str(),
                f.code.code(),
                esc(&f.title),
                objs.join("<br>"),
                esc(f.remediation)
            );
        }
        s.push('\n');
    }
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
