//! How bad a path or finding is: the jewel's tier, the entry's breadth, and the severity they give.

use serde::Serialize;

use crate::catalog::Technique;

/// How valuable a crown jewel is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Registries and the like.
    Medium = 1,
    /// Nodes, cloud roles, Git providers, other users' workspaces, TLS keys.
    High = 2,
    /// Cluster admin, the Coder database and its credential, coderd and its SA, Coder owners.
    Critical = 3,
}

/// How many people stand at an entry point.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Breadth {
    /// A named user, group or role holder.
    Named = 1,
    /// Every authenticated user, every Coder user, every workspace, shared-cluster tenants.
    Broad = 2,
    /// Anyone on the network (anonymous, exposures, open sign-up).
    Internet = 3,
}

/// Severity of a path or finding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Parses `critical|high|medium|low`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "critical" => Some(Severity::Critical),
            "high" => Some(Severity::High),
            "medium" => Some(Severity::Medium),
            "low" => Some(Severity::Low),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// The severity of a path: `2 × tier + breadth`, minus one when the path costs more than 10 and
/// another past 20; ≥ 8 critical, ≥ 6 high, ≥ 4 medium, else low. A path that needs an exploit
/// (an `exposure-*` step) is at most high: see [`path_severity_with_steps`].
pub fn path_severity(tier: Tier, breadth: Breadth, cost: u32) -> Severity {
    let mut score = 2 * tier as i32 + breadth as i32;
    if cost > 10 {
        score -= 1;
    }
    if cost > 20 {
        score -= 1;
    }
    match score {
        s if s >= 8 => Severity::Critical,
        s if s >= 6 => Severity::High,
        s if s >= 4 => Severity::Medium,
        _ => Severity::Low,
    }
}

/// [`path_severity`], capped at high when a step needs an exploit of the exposed application.
pub fn path_severity_with_steps(
    tier: Tier,
    breadth: Breadth,
    cost: u32,
    techniques: &[Technique],
) -> Severity {
    let s = path_severity(tier, breadth, cost);
    if techniques.iter().any(|t| t.needs_exploit()) {
        s.min(Severity::High)
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_model() {
        assert_eq!(
            path_severity(Tier::Critical, Breadth::Broad, 5),
            Severity::Critical
        );
        assert_eq!(
            path_severity(Tier::Critical, Breadth::Named, 5),
            Severity::High
        );
        assert_eq!(path_severity(Tier::High, Breadth::Named, 30), Severity::Low);
        assert_eq!(
            path_severity(Tier::Medium, Breadth::Internet, 3),
            Severity::Medium
        );
    }
}
