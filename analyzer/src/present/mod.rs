//! Presenters over the same [`Report`](crate::report::Report): text for a terminal, JSON (schema in
//! `docs/report-schema.json`), Markdown for a ticket, SARIF for code scanning, HTML for people.

pub mod html;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod text;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A terminal report read top-down.
    Text,
    /// The JSON report.
    Json,
    /// Markdown for a ticket.
    Markdown,
    /// SARIF 2.1.0 for code scanning (GitHub and the like).
    Sarif,
    /// One self-contained HTML page for people (works offline).
    Html,
}

/// Renders a report.
pub fn render(report: &crate::report::Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => {
            let mut s = text::render(report, color);
            s.push_str(&extras_text(report));
            s
        }
        Format::Json => json::render(report),
        Format::Markdown => {
            let mut s = markdown::render(report);
            s.push_str(&extras_markdown(report));
            s
        }
        Format::Sarif => sarif::render(report),
        Format::Html => html::render(report),
    }
}

/// What suppressions and `--baseline` add to the text report: the suppressed items, the
/// suppression warnings, and the diff against the baseline.
fn extras_text(r: &crate::report::Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    if !r.suppressed.is_empty() {
        let _ = writeln!(s, "\nSUPPRESSED (accepted risks)");
        for x in &r.suppressed {
            let _ = writeln!(
                s,
                "  [{}] {} {} {}: {} (until {})",
                x.severity.as_str(),
                x.kind,
                x.id,
                x.title,
                x.rule.reason,
                x.rule.expires
            );
        }
    }
    if !r.suppression_warnings.is_empty() {
        let _ = writeln!(s, "\nSUPPRESSION WARNINGS");
        for w in &r.suppression_warnings {
            let _ = writeln!(s, "  {w}");
        }
    }
    if let Some(d) = &r.baseline {
        let _ = writeln!(s, "\nSINCE THE BASELINE");
        s.push_str(&crate::diff::render_text(d));
    }
    s
}

/// The Markdown counterpart of [`extras_text`].
fn extras_markdown(r: &crate::report::Report) -> String {
    use std::fmt::Write as _;
    let esc = |x: &str| x.replace('|', "\\|");
    let mut s = String::new();
    if !r.suppressed.is_empty() {
        let _ = writeln!(s, "\n## Suppressed (accepted risks)\n");
        let _ = writeln!(s, "| severity | kind | id | title | reason | until |");
        let _ = writeln!(s, "| --- | --- | --- | --- | --- | --- |");
        for x in &r.suppressed {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                x.severity.as_str(),
                x.kind,
                esc(&x.id),
                esc(&x.title),
                esc(&x.rule.reason),
                x.rule.expires
            );
        }
    }
    if !r.suppression_warnings.is_empty() {
        let _ = writeln!(s, "\n## Suppression warnings\n");
        for w in &r.suppression_warnings {
            let _ = writeln!(s, "- {w}");
        }
    }
    if let Some(d) = &r.baseline {
        s.push('\n');
        s.push_str(&crate::diff::render_markdown_at(d, "## Since the baseline"));
    }
    s
}
