//! Graphviz DOT: one path or a subgraph, left to right, vertices shaped and coloured by kind, edges
//! labelled with their technique (`dot -Tsvg export.dot > export.svg`).

use std::fmt::Write as _;

use super::{Subgraph, kind_name};
use crate::graph::VertexKind;

/// A DOT string literal: quoted, with `"` and `\` escaped and line breaks as `\n`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn style(k: VertexKind) -> (&'static str, &'static str) {
    match k {
        VertexKind::User | VertexKind::Group | VertexKind::Oidc => ("ellipse", "#dbeafe"),
        VertexKind::ServiceAccount | VertexKind::CloudRole => ("hexagon", "#ede9fe"),
        VertexKind::Pod | VertexKind::Volume => ("box", "#dcfce7"),
        VertexKind::Node => ("box3d", "#fef9c3"),
        VertexKind::Secret => ("note", "#fee2e2"),
        VertexKind::Coder | VertexKind::GitProvider | VertexKind::Registry => {
            ("component", "#e0f2fe")
        }
        VertexKind::Exposure => ("invhouse", "#ffedd5"),
        VertexKind::Virtual => ("doubleoctagon", "#fecaca"),
    }
}

/// Renders the subgraph as a DOT digraph named `name`.
pub fn render(sub: &Subgraph, name: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "digraph {} {{", quote(name));
    let _ = writeln!(s, "  rankdir=LR;");
    let _ = writeln!(
        s,
        "  node [style=filled, fontname=\"Helvetica\", fontsize=10];"
    );
    let _ = writeln!(s, "  edge [fontname=\"Helvetica\", fontsize=9];");
    for n in &sub.nodes {
        let (shape, fill) = style(n.kind);
        let (kind, rest) = n
            .reference
            .split_once('/')
            .unwrap_or((kind_name(n.kind), n.reference.as_str()));
        let _ = writeln!(
            s,
            "  {} [label={}, shape={shape}, fillcolor=\"{fill}\"];",
            quote(&n.reference),
            quote(&format!("{kind}\n{rest}"))
        );
    }
    for l in &sub.links {
        let label = match &l.detail {
            Some(d) => format!("{}\n{d}", l.technique.code()),
            None => l.technique.code().to_string(),
        };
        let _ = writeln!(
            s,
            "  {} -> {} [label={}];",
            quote(&l.from),
            quote(&l.to),
            quote(&label)
        );
    }
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote("x\ny"), r#""x\ny""#);
    }
}
