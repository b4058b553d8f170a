//! Presenters over the same [`Report`](crate::report::Report): text for a terminal, JSON (schema in
//! `docs/report-schema.json`), Markdown for a ticket, SARIF for code scanning, HTML for people.

use std::borrow::Cow;

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

/// What the human formats (text, Markdown) show; JSON always holds everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Colour (text on a terminal).
    pub color: bool,
    /// At most this many paths and this many findings ([`DEFAULT_TOP`] when `None`).
    pub top: Option<usize>,
    /// Only paths and findings at or above this severity.
    pub min_severity: Option<crate::severity::Severity>,
}

/// How many paths and findings the text and Markdown reports list without `--top`.
pub const DEFAULT_TOP: usize = 25;

impl Options {
    /// The number of items to list.
    pub fn top(&self) -> usize {
        self.top.unwrap_or(DEFAULT_TOP)
    }

    /// Whether an item of this severity is shown.
    pub fn shows(&self, s: crate::severity::Severity) -> bool {
        self.min_severity.is_none_or(|m| s >= m)
    }

    /// The items the report lists: those at or above `--min-severity`, at most `--top` of them.
    pub fn pick<'a, T>(
        &self,
        items: &'a [T],
        severity: impl Fn(&T) -> crate::severity::Severity,
    ) -> Vec<&'a T> {
        items
            .iter()
            .filter(|x| self.shows(severity(x)))
            .take(self.top())
            .collect()
    }
}

/// Renders a report.
pub fn render(report: &crate::report::Report, format: Format, color: bool) -> String {
    render_with(
        report,
        format,
        &Options {
            color,
            ..Options::default()
        },
    )
}

/// Renders a report with options.
pub fn render_with(report: &crate::report::Report, format: Format, options: &Options) -> String {
    match format {
        Format::Text => {
            let mut s = text::render_with(report, options);
            s.push_str(&extras_text(report));
            s
        }
        Format::Json => json::render(report),
        Format::Markdown => {
            let mut s = markdown::render_with(report, options);
            s.push_str(&extras_markdown(report));
            s
        }
        Format::Sarif => sarif::render(report),
        Format::Html => html::render(report),
    }
}

/// The FIX PLAN section's rows: (number, title, what it closes and leaves, key), at most
/// [`crate::fixplan::MAX_FIXES`]; names from the snapshot shown as [`clean`] shows them.
pub(crate) fn fix_rows(r: &crate::report::Report) -> Vec<(usize, String, String, String)> {
    r.fix_plan
        .iter()
        .take(crate::fixplan::MAX_FIXES)
        .enumerate()
        .map(|(i, f)| {
            let closes = format!(
                "closes {} critical, {} high; leaves {} critical, {} high, {} medium, {} low",
                f.removes.critical,
                f.removes.high,
                f.remaining.critical,
                f.remaining.high,
                f.remaining.medium,
                f.remaining.low
            );
            (
                i + 1,
                clean(&f.title).into_owned(),
                closes,
                clean(&f.key).into_owned(),
            )
        })
        .collect()
}

/// At most `max` items of `list` joined by `sep` through `show`, then "N more (see JSON)" when
/// some were left out.
pub(crate) fn capped_list(
    list: &[String],
    max: usize,
    sep: &str,
    show: impl Fn(&str) -> String,
) -> String {
    let mut s: Vec<String> = list.iter().take(max).map(|x| show(x)).collect();
    if list.len() > max {
        s.push(format!("{} more (see JSON)", list.len() - max));
    }
    s.join(sep)
}

/// A name or text from the snapshot as text and Markdown reports print it: control characters
/// (terminal escape sequences, carriage returns, line breaks) and bidirectional overrides are shown
/// as `\u{1b}` escapes instead of acting on the reader's terminal or layout.
pub fn clean(s: &str) -> Cow<'_, str> {
    fn acts(c: char) -> bool {
        c.is_control()
            || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    }
    if !s.chars().any(acts) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if acts(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`clean`] over a list, joined.
pub fn clean_join(items: &[String], sep: &str) -> String {
    items.iter().map(|i| clean(i)).collect::<Vec<_>>().join(sep)
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
                clean(&x.id),
                clean(&x.title),
                clean(&x.rule.reason),
                x.rule.expires
            );
        }
    }
    if !r.suppression_warnings.is_empty() {
        let _ = writeln!(s, "\nSUPPRESSION WARNINGS");
        for w in &r.suppression_warnings {
            let _ = writeln!(s, "  {}", clean(w));
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
    let esc = |x: &str| clean(x).replace('|', "\\|");
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
            let _ = writeln!(s, "- {}", clean(w));
        }
    }
    if let Some(d) = &r.baseline {
        s.push('\n');
        s.push_str(&crate::diff::render_markdown_at(d, "## Since the baseline"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_shows_escapes_and_keeps_the_rest() {
        assert_eq!(clean("Pod/ns/web-1"), "Pod/ns/web-1");
        assert_eq!(clean("a\u{1b}[2Jb\r\n"), "a\\u{1b}[2Jb\\u{d}\\u{a}");
        assert_eq!(clean("x\u{202E}y"), "x\\u{202e}y");
        assert_eq!(clean("ünïcode ✓"), "ünïcode ✓");
    }
}
