//! Seed coverage: which techniques and findings check each bullet of the seed page
//! ([`SeedBullet`]), and `docs/seed-coverage.md` generated from that.

use crate::catalog::{FindingCode, Technique};
use crate::seed::SeedBullet;

impl SeedBullet {
    /// The techniques that check this bullet.
    pub fn techniques(self) -> Vec<Technique> {
        Technique::ALL
            .iter()
            .copied()
            .filter(|t| t.info().seed == self)
            .collect()
    }

    /// The finding codes that check this bullet.
    pub fn findings(self) -> Vec<FindingCode> {
        FindingCode::ALL
            .iter()
            .copied()
            .filter(|f| f.info().seed == self)
            .collect()
    }
}

/// Renders `docs/seed-coverage.md` from the table.
pub fn coverage_markdown() -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    s.push_str("# Seed coverage\n\n");
    s.push_str(
        "Generated from `analyzer/src/seed.rs` and `coverage.rs` (a test fails when it drifts; rewrite with \
         `CODER_SEC_BLESS=1 cargo test -p coder-sec-analyzer`). Each leaf bullet of Coder's \"shared \
         security responsibility\" page, with what checks it. In a report each bullet's status is \
         `finding` (a finding or attack path names it), `checked` (its checks ran and found nothing) \
         or `not-observable` (nothing in a snapshot can show it: the reason and the owner are given). \
         The last column says how Coder v1 (`coder/enterprise-helm`, which the page was written \
         for) and v2 differ on the bullet, where they do.\n\n",
    );
    s.push_str(
        "| id | section | bullet | techniques | findings | not observable (why; owner) | Coder v1 and v2 |\n",
    );
    s.push_str("|---|---|---|---|---|---|---|\n");
    for b in SeedBullet::page() {
        let techs: Vec<String> = b.techniques().iter().map(|t| format!("`{t}`")).collect();
        let finds: Vec<String> = b
            .findings()
            .iter()
            .map(|f| format!("`{}`", f.code()))
            .collect();
        let unobs = b
            .unobservable()
            .map(|(why, who)| format!("{why}; owner: {who}"))
            .unwrap_or_else(|| "—".to_string());
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            b.id(),
            b.section(),
            b.text(),
            if techs.is_empty() {
                "—".to_string()
            } else {
                techs.join(", ")
            },
            if finds.is_empty() {
                "—".to_string()
            } else {
                finds.join(", ")
            },
            unobs,
            b.versions().unwrap_or("—")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::seed::SeedBullet;

    #[test]
    fn every_bullet_is_checked_or_explained() {
        for b in SeedBullet::page() {
            assert!(
                !b.techniques().is_empty()
                    || !b.findings().is_empty()
                    || b.unobservable().is_some(),
                "seed bullet {} has no check and no explanation",
                b.id()
            );
        }
    }
}
