//! Presenters over the same [`Report`](crate::report::Report): text for a terminal, JSON (schema in
//! `docs/report-schema.json`) and Markdown for a ticket.

use std::borrow::Cow;

pub mod json;
pub mod markdown;
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
}

/// Renders a report.
pub fn render(report: &crate::report::Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render(report, color),
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report),
    }
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
