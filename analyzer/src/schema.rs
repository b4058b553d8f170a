//! The JSON report's schema, generated from the report's types (`docs/report-schema.json`; a test
//! fails when the file drifts). The catalog's codes are strings whose allowed values the schema
//! lists.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::catalog::{FindingCode, Technique};
use crate::report::{REPORT_FORMAT_VERSION, Report};
use crate::seed::SeedBullet;

impl JsonSchema for Technique {
    fn schema_name() -> Cow<'static, str> {
        "Technique".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let codes: Vec<&str> = Technique::ALL.iter().map(|t| t.code()).collect();
        json_schema!({
            "description": "A technique code (docs/techniques.md).",
            "type": "string",
            "enum": codes,
        })
    }
}

impl JsonSchema for FindingCode {
    fn schema_name() -> Cow<'static, str> {
        "FindingCode".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let codes: Vec<&str> = FindingCode::ALL.iter().map(|t| t.code()).collect();
        json_schema!({
            "description": "A finding code (docs/techniques.md).",
            "type": "string",
            "enum": codes,
        })
    }
}

impl JsonSchema for SeedBullet {
    fn schema_name() -> Cow<'static, str> {
        "SeedBullet".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let ids: Vec<&str> = SeedBullet::ALL.iter().map(|b| b.id()).collect();
        json_schema!({
            "description": "A seed bullet id (docs/seed-coverage.md).",
            "type": "string",
            "enum": ids,
        })
    }
}

/// A generated schema with its header first: `$schema`, `$id`, `title`, `description`.
fn with_header(
    mut schema: Schema,
    id: &str,
    title: &str,
    description: String,
) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    let generated = schema
        .as_object_mut()
        .expect("a struct's schema is an object");
    out.insert(
        "$schema".to_string(),
        generated
            .remove("$schema")
            .unwrap_or_else(|| "https://json-schema.org/draft/2020-12/schema".into()),
    );
    out.insert(
        "$id".to_string(),
        format!("https://github.com/coder-sec/coder-sec/docs/{id}").into(),
    );
    out.insert("title".to_string(), title.into());
    out.insert("description".to_string(), description.into());
    generated.remove("title");
    generated.remove("description");
    out.extend(std::mem::take(generated));
    serde_json::Value::Object(out)
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("a JSON value always serialises");
    s.push('\n');
    s
}

/// The report's JSON schema (draft 2020-12) as a value.
pub fn report_schema_value() -> serde_json::Value {
    let description = format!(
        "Output of `coder-sec analyze --format json` (format_version {REPORT_FORMAT_VERSION}). \
         Generated from the report's types (analyzer/src/schema.rs); do not edit by hand. Object \
         references are strings; their forms are listed in docs/analysis.md: `Kind/namespace/name` \
         for namespaced objects, `Kind/name` for cluster-scoped ones, `User/NAME`, `Group/NAME`, \
         `CloudRole/ID`, and the virtual forms (`Virtual/cluster-admin`, `Coder/any-user`, \
         `Exposure/Service/ns/name`, `Volume/NS/POD/VOLUME`, ...). Arrays are sorted: attack paths \
         and findings worst first, everything else by reference. Every key is snake_case. Readers \
         should ignore unknown fields; additive changes bump the minor version."
    );
    with_header(
        schemars::schema_for!(Report),
        "report-schema.json",
        "coder-sec analyze JSON report",
        description,
    )
}

/// The report's JSON schema, pretty-printed with a trailing newline (`docs/report-schema.json`).
pub fn report_schema() -> String {
    pretty(&report_schema_value())
}

/// The JSON schema of `coder-sec diff --format json` (and of the report's `baseline`), as a value.
pub fn diff_schema_value() -> serde_json::Value {
    with_header(
        schemars::schema_for!(crate::diff::Diff),
        "diff-schema.json",
        "coder-sec diff JSON output",
        "Output of `coder-sec diff --format json`, and the `baseline` section of a report made \
         with `--baseline`. Generated from the types (analyzer/src/diff.rs); do not edit by hand."
            .to_string(),
    )
}

/// The diff's JSON schema, pretty-printed with a trailing newline (`docs/diff-schema.json`).
pub fn diff_schema() -> String {
    pretty(&diff_schema_value())
}
