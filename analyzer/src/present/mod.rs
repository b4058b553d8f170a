//! Presenters over the same [`Report`](crate::report::Report): text for a terminal, JSON (schema in
//! `docs/report-schema.json`), Markdown for a ticket, SARIF for code scanning.

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
}

/// Renders a report.
pub fn render(report: &crate::report::Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render(report, color),
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report),
        Format::Sarif => sarif::render(report),
    }
}
