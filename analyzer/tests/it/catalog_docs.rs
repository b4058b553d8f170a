//! The docs generated from the catalog and the seed table stay in step with the code.

use coder_sec_analyzer::catalog::{FindingCode, Technique, techniques_markdown};
use coder_sec_analyzer::coverage::coverage_markdown;

use super::support::{check_expected, root};

#[test]
fn techniques_doc_matches_catalog() {
    let md = techniques_markdown();
    for t in Technique::ALL {
        assert!(md.contains(&format!("`{}`", t.code())));
    }
    for f in FindingCode::ALL {
        assert!(md.contains(&format!("`{}`", f.code())));
    }
    check_expected(&root().join("docs/techniques.md"), &md);
}

#[test]
fn seed_coverage_doc_matches_table() {
    check_expected(&root().join("docs/seed-coverage.md"), &coverage_markdown());
}
