//! The HTML report: one self-contained file for people (a manager, an air-gapped consultant).
//!
//! Everything is inline: CSS, a small script (filter and severity toggles), and each path drawn as
//! an inline SVG chain. A Content-Security-Policy forbids every network fetch, so the page works
//! offline and cannot leak by loading anything. Sections come in a list (`Section`): the fix plan,
//! once the report has one, goes first; then attack paths, findings, blind spots, seed coverage,
//! suppressed items and, with `--baseline`, what changed.

use std::fmt::Write as _;

use crate::paths::AttackPath;
use crate::report::{CoverageStatus, Report};
use crate::severity::Severity;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One section of the page: an anchor, a heading, a count for the navigation, and its body.
struct Section {
    id: &'static str,
    title: &'static str,
    count: Option<usize>,
    body: String,
}

const CSS: &str = r#"
:root { --crit:#b91c1c; --high:#c2410c; --med:#a16207; --low:#15803d; --ink:#111827; --mute:#6b7280; --line:#e5e7eb; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); margin: 0; }
header { background: #111827; color: #f9fafb; padding: 16px 24px; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header .meta { color: #d1d5db; font-size: 13px; }
nav { position: sticky; top: 0; background: #f9fafb; border-bottom: 1px solid var(--line); padding: 8px 24px; display: flex; gap: 16px; flex-wrap: wrap; align-items: center; z-index: 1; }
nav a { color: var(--ink); text-decoration: none; font-weight: 600; }
nav #filter { margin-left: auto; padding: 4px 8px; min-width: 240px; }
main { padding: 8px 24px 48px; max-width: 1400px; }
h2 { border-bottom: 2px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 140px; }
.card b { display: block; font-size: 22px; }
.sev { display: inline-block; border-radius: 4px; padding: 0 6px; color: #fff; font-size: 12px; font-weight: 700; text-transform: uppercase; }
.sev.critical { background: var(--crit); } .sev.high { background: var(--high); } .sev.medium { background: var(--med); } .sev.low { background: var(--low); }
.path { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; margin: 12px 0; }
.path h3 { margin: 0 0 6px; font-size: 15px; }
.path .more { color: var(--mute); font-size: 13px; }
.chain { overflow-x: auto; }
.chain svg text { font: 11px system-ui, Helvetica, Arial, sans-serif; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; }
code { font-size: 12px; background: #f3f4f6; padding: 0 3px; border-radius: 3px; word-break: break-all; }
.fp { color: var(--mute); font-size: 11px; }
.toggles label { margin-right: 10px; font-size: 13px; }
.hidden { display: none; }
"#;

/// Runs after the page loads: the text filter and the severity toggles. `data-ready` tells a test
/// (and a curious reader) that it ran without error.
const SCRIPT: &str = r#"
(function () {
  "use strict";
  var filter = document.getElementById("filter");
  var boxes = Array.prototype.slice.call(document.querySelectorAll(".toggles input"));
  function apply() {
    var q = filter.value.toLowerCase();
    var on = {};
    boxes.forEach(function (b) { on[b.value] = b.checked; });
    document.querySelectorAll("[data-sev]").forEach(function (el) {
      var text = el.textContent.toLowerCase();
      var show = on[el.getAttribute("data-sev")] !== false && (q === "" || text.indexOf(q) >= 0);
      el.classList.toggle("hidden", !show);
    });
  }
  filter.addEventListener("input", apply);
  boxes.forEach(function (b) { b.addEventListener("change", apply); });
  apply();
  document.body.setAttribute("data-ready", "ok");
})();
"#;

fn sev(s: Severity) -> String {
    format!("<span class=\"sev {0}\">{0}</span>", s.as_str())
}

/// The steps of a path as a left-to-right chain of boxes, as inline SVG.
fn chain_svg(p: &AttackPath) -> String {
    const W: usize = 180;
    const GAP: usize = 160;
    const H: usize = 44;
    let mut nodes: Vec<&str> = Vec::new();
    if let Some(first) = p.steps.first() {
        nodes.push(&first.from);
    }
    nodes.extend(p.steps.iter().map(|s| s.to.as_str()));
    let width = nodes.len() * W + nodes.len().saturating_sub(1) * GAP + 2;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" role=\"img\" aria-label=\"{}\">",
        H + 8,
        esc(&format!("{} to {}", p.entry, p.target))
    );
    s.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#374151\"/></marker></defs>");
    let clip = |t: &str, n: usize| -> String {
        if t.chars().count() > n {
            format!("{}…", t.chars().take(n - 1).collect::<String>())
        } else {
            t.to_string()
        }
    };
    for (i, n) in nodes.iter().enumerate() {
        let x = 1 + i * (W + GAP);
        let (kind, rest) = n.split_once('/').unwrap_or(("", n));
        let fill = if i == 0 {
            "#dbeafe"
        } else if i == nodes.len() - 1 {
            "#fee2e2"
        } else {
            "#f3f4f6"
        };
        let _ = write!(
            s,
            "<g><title>{}</title><rect x=\"{x}\" y=\"4\" width=\"{W}\" height=\"{H}\" rx=\"6\" fill=\"{fill}\" stroke=\"#6b7280\"/>\
             <text x=\"{}\" y=\"21\" text-anchor=\"middle\" font-weight=\"700\">{}</text>\
             <text x=\"{}\" y=\"37\" text-anchor=\"middle\">{}</text></g>",
            esc(n),
            x + W / 2,
            esc(&clip(kind, 28)),
            x + W / 2,
            esc(&clip(rest, 30))
        );
        if let Some(step) = p.steps.get(i) {
            let x1 = x + W;
            let x2 = x1 + GAP - 2;
            let _ = write!(
                s,
                "<line x1=\"{x1}\" y1=\"26\" x2=\"{x2}\" y2=\"26\" stroke=\"#374151\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\
                 <text x=\"{}\" y=\"20\" text-anchor=\"middle\" fill=\"#374151\">{}</text>",
                x1 + GAP / 2,
                esc(&clip(step.technique.code(), 26))
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn paths_section(r: &Report) -> Section {
    let mut b = String::new();
    if r.attack_paths.is_empty() {
        b.push_str("<p>No attack path found.</p>");
    }
    for p in &r.attack_paths {
        let _ = write!(
            b,
            "<div class=\"path\" id=\"{}\" data-sev=\"{}\"><h3>{} {} <code>{}</code> → <code>{}</code> <span class=\"more\">cost {}, {} steps</span></h3>",
            esc(&p.id),
            p.severity.as_str(),
            esc(&p.id),
            sev(p.severity),
            esc(&p.entry),
            esc(&p.target),
            p.cost,
            p.steps.len()
        );
        let _ = write!(b, "<div class=\"chain\">{}</div>", chain_svg(p));
        if p.count > 1 {
            let _ = write!(
                b,
                "<div class=\"more\">{} entry points share these steps, e.g. {}</div>",
                p.count,
                esc(&p.examples.join(", "))
            );
        }
        if p.target_count > 1 {
            let _ = write!(
                b,
                "<div class=\"more\">reaches {} targets, e.g. {}</div>",
                p.target_count,
                esc(&p.target_examples.join(", "))
            );
        }
        let fixes: Vec<String> = p
            .steps
            .iter()
            .map(|s| {
                format!(
                    "<li><code>{}</code>: {}</li>",
                    esc(s.technique.code()),
                    esc(s.technique.info().remediation)
                )
            })
            .collect();
        let _ = write!(
            b,
            "<details><summary>How to cut it</summary><ul>{}</ul></details><div class=\"fp\">fingerprint {}</div></div>",
            fixes.join(""),
            esc(&p.fingerprint)
        );
    }
    Section {
        id: "paths",
        title: "Attack paths",
        count: Some(r.attack_paths.len()),
        body: b,
    }
}

fn findings_section(r: &Report) -> Section {
    let mut b = String::new();
    if r.findings.is_empty() {
        b.push_str("<p>No finding.</p>");
    }
    for (area, list) in r.findings_by_area() {
        let _ = write!(
            b,
            "<h3>{}</h3><table><tr><th>severity</th><th>finding</th><th>objects</th><th>fix</th></tr>",
            esc(area.title())
        );
        for f in list {
            let fp = r
                .findings
                .iter()
                .find(|x| std::ptr::eq(&x.item, f))
                .map(|x| x.fingerprint.as_str())
                .unwrap_or("");
            let objects: Vec<String> = f
                .objects
                .iter()
                .map(|o| format!("<code>{}</code>", esc(o)))
                .collect();
            let _ = write!(
                b,
                "<tr data-sev=\"{}\"><td>{}</td><td><b>{}</b><br>{}<div class=\"fp\">{}</div></td><td>{}</td><td>{}</td></tr>",
                f.severity.as_str(),
                sev(f.severity),
                esc(f.code.code()),
                esc(&f.title),
                esc(fp),
                objects.join(" "),
                esc(f.remediation)
            );
        }
        b.push_str("</table>");
    }
    Section {
        id: "findings",
        title: "Findings",
        count: Some(r.findings.len()),
        body: b,
    }
}

fn blind_spots_section(r: &Report) -> Section {
    let mut b = String::new();
    if r.blind_spots.is_empty() {
        b.push_str("<p>The snapshot showed everything the analysis reads.</p>");
    } else {
        b.push_str("<table><tr><th>what</th><th>why</th><th>what it hides</th></tr>");
        for s in &r.blind_spots {
            let _ = write!(
                b,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&s.subject),
                esc(&s.reason),
                esc(&s.hides)
            );
        }
        b.push_str("</table>");
    }
    Section {
        id: "blind-spots",
        title: "Blind spots",
        count: Some(r.blind_spots.len()),
        body: b,
    }
}

fn coverage_section(r: &Report) -> Section {
    let mut b = String::from(
        "<table><tr><th>status</th><th>seed bullet</th><th>section</th><th>why</th></tr>",
    );
    for row in &r.seed_coverage {
        let status = match row.status {
            CoverageStatus::Finding => "finding",
            CoverageStatus::Checked => "checked",
            CoverageStatus::NotObservable => "not observable",
        };
        let _ = write!(
            b,
            "<tr><td>{}</td><td><code>{}</code><br>{}</td><td>{}</td><td>{}{}</td></tr>",
            status,
            esc(row.id),
            esc(row.bullet),
            esc(row.section),
            esc(&row.why),
            row.owner
                .map(|o| format!(" (owner: {})", esc(o)))
                .unwrap_or_default()
        );
    }
    b.push_str("</table>");
    Section {
        id: "coverage",
        title: "Seed coverage",
        count: None,
        body: b,
    }
}

fn fix_plan_section(r: &Report) -> Option<Section> {
    if r.fix_plan.is_empty() {
        return None;
    }
    let mut b = String::from(
        "<p>The fewest changes found that close the critical paths, then the high ones, in order; \
         each row counts what it closes given the rows above it (<code>analyze --assume-fixed KEY</code> \
         measures the same).</p><table><tr><th>#</th><th>change</th><th>closes</th><th>key</th></tr>",
    );
    for (n, title, closes, key) in super::fix_rows(r) {
        let _ = write!(
            b,
            "<tr><td>{n}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(&title),
            esc(&closes),
            esc(&key)
        );
    }
    b.push_str("</table>");
    if r.fix_plan.len() > crate::fixplan::MAX_FIXES {
        let _ = write!(
            b,
            "<p>{} more (see JSON)</p>",
            r.fix_plan.len() - crate::fixplan::MAX_FIXES
        );
    }
    Some(Section {
        id: "fix-plan",
        title: "Fix plan",
        count: Some(r.fix_plan.len()),
        body: b,
    })
}

fn suppressed_section(r: &Report) -> Option<Section> {
    if r.suppressed.is_empty() && r.suppression_warnings.is_empty() {
        return None;
    }
    let mut b = String::new();
    for w in &r.suppression_warnings {
        let _ = write!(b, "<p>⚠ {}</p>", esc(w));
    }
    if !r.suppressed.is_empty() {
        b.push_str("<table><tr><th>severity</th><th>item</th><th>reason</th><th>until</th></tr>");
        for x in &r.suppressed {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{} <code>{}</code> {}<div class=\"fp\">{}</div></td><td>{}</td><td>{}</td></tr>",
                sev(x.severity),
                esc(&x.kind),
                esc(&x.id),
                esc(&x.title),
                esc(&x.fingerprint),
                esc(&x.rule.reason),
                esc(&x.rule.expires)
            );
        }
        b.push_str("</table>");
    }
    Some(Section {
        id: "suppressed",
        title: "Suppressed (accepted risks)",
        count: Some(r.suppressed.len()),
        body: b,
    })
}

fn baseline_section(r: &Report) -> Option<Section> {
    let d = r.baseline.as_ref()?;
    let mut b = String::new();
    let m = &d.summary;
    let _ = write!(
        b,
        "<p>{} new, {} resolved, {} changed, {} unchanged.</p>",
        m.new, m.resolved, m.changed, m.unchanged
    );
    for (head, items) in [("New", &d.new), ("Resolved", &d.resolved)] {
        let _ = write!(b, "<h3>{head}</h3>");
        if items.is_empty() {
            b.push_str("<p>None.</p>");
            continue;
        }
        b.push_str("<table><tr><th>severity</th><th>item</th></tr>");
        for i in items.iter() {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{} <code>{}</code> {}</td></tr>",
                sev(i.severity),
                i.kind.label(),
                esc(&i.id),
                esc(&i.title)
            );
        }
        b.push_str("</table>");
    }
    Some(Section {
        id: "baseline",
        title: "Since the baseline",
        count: Some(m.new),
        body: b,
    })
}

/// Renders the report as one self-contained HTML page.
pub fn render(r: &Report) -> String {
    // The fix plan goes first: the few changes that close most paths.
    let mut sections: Vec<Section> = fix_plan_section(r).into_iter().collect();
    sections.extend([
        paths_section(r),
        findings_section(r),
        blind_spots_section(r),
        coverage_section(r),
    ]);
    sections.extend(suppressed_section(r));
    sections.extend(baseline_section(r));

    let snap = &r.snapshot;
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    s.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">");
    s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    s.push_str("<title>coder-sec report</title><style>");
    s.push_str(CSS);
    s.push_str("</style></head><body>\n<header><h1>coder-sec report</h1><div class=\"meta\">");
    let _ = write!(
        s,
        "snapshot: {} {} · Coder: {} · graph: {} vertices, {} edges, {} entry points, {} crown jewels · report format {}",
        esc(snap.source.as_deref().unwrap_or("?")),
        esc(snap.captured_at.as_deref().unwrap_or("")),
        if snap.coder.detected {
            format!("{} workspace pods", snap.coder.workspace_pods)
        } else {
            "not detected".to_string()
        },
        snap.graph.vertices,
        snap.graph.edges,
        snap.graph.entry_points,
        snap.graph.crown_jewels,
        esc(r.format_version)
    );
    s.push_str("</div></header>\n<nav>");
    for sec in &sections {
        let _ = write!(
            s,
            "<a href=\"#{}\">{}{}</a>",
            sec.id,
            esc(sec.title),
            sec.count.map(|c| format!(" ({c})")).unwrap_or_default()
        );
    }
    s.push_str("<span class=\"toggles\">");
    for sv in ["critical", "high", "medium", "low"] {
        let _ = write!(
            s,
            "<label><input type=\"checkbox\" value=\"{sv}\" checked> {sv}</label>"
        );
    }
    s.push_str("</span><input id=\"filter\" type=\"search\" placeholder=\"filter paths and findings\" aria-label=\"filter\"></nav>\n<main>");
    s.push_str("<div class=\"cards\">");
    for (what, key) in [("Attack paths", "attack_paths"), ("Findings", "findings")] {
        let c = r.summary.get(key).cloned().unwrap_or_default();
        let _ = write!(
            s,
            "<div class=\"card\">{what}<b>{}</b>{} critical · {} high · {} medium · {} low</div>",
            c.critical + c.high + c.medium + c.low,
            c.critical,
            c.high,
            c.medium,
            c.low
        );
    }
    s.push_str("</div>\n");
    for sec in &sections {
        let _ = writeln!(
            s,
            "<section id=\"{}\"><h2>{}</h2>{}</section>",
            sec.id,
            esc(sec.title),
            sec.body
        );
    }
    s.push_str("</main><script>");
    s.push_str(SCRIPT);
    s.push_str("</script></body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
