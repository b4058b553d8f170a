//! Issue 12, "decisions, not lists": the exact `--max-hops`, `--crown-jewel` that must match,
//! complete lists in JSON, capped lists in text and Markdown, `--top` and `--min-severity`.

use std::collections::BTreeSet;

use coder_sec_analyzer::inventory::Inventory;
use coder_sec_analyzer::report::{Analysis, Report, Settings};
use coder_sec_model::ReadLimits;
use serde_json::Value;

use super::support::{coder_sec, import, scenario_files};

fn snapshot(name: &str) -> (tempfile::TempDir, String) {
    let (dir, path) = import(&scenario_files(name));
    (dir, path.display().to_string())
}

fn report(snap: &str, settings: &Settings) -> Report {
    let inv = Inventory::load(std::path::Path::new(snap), ReadLimits::default()).unwrap();
    let a = Analysis::build_for(&inv, settings);
    Report::from_analysis(&inv, &a, settings)
}

/// Every (entry, target) pair a report's paths stand for.
fn pairs(r: &Report) -> BTreeSet<(String, String)> {
    r.attack_paths
        .iter()
        .flat_map(|p| {
            p.entries
                .iter()
                .flat_map(move |e| p.targets.iter().map(move |t| (e.clone(), t.clone())))
        })
        .collect()
}

#[test]
fn max_hops_zero_is_a_usage_error() {
    let (_d, snap) = snapshot("coder-shared-cluster");
    let out = coder_sec(&["analyze", &snap, "--max-hops", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-hops"));
    assert_eq!(
        coder_sec(&["analyze", &snap, "--max-hops", "1"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn unknown_crown_jewel_is_an_error_naming_the_nearest() {
    let (_d, snap) = snapshot("coder-shared-cluster");
    let out = coder_sec(&["analyze", &snap, "--crown-jewel", "Secret/coder/regcrd"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`--crown-jewel Secret/coder/regcrd`"), "{err}");
    assert!(err.contains("`Secret/coder/regcred`"), "{err}");
    let out = coder_sec(&["analyze", &snap, "--crown-jewel", "Secret/nowhere/*"]);
    assert_eq!(out.status.code(), Some(2));
    // A pattern that matches is fine.
    let out = coder_sec(&["analyze", &snap, "--crown-jewel", "Secret/coder/*"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn adding_a_crown_jewel_never_removes_a_path() {
    for scenario in ["coder-shared-cluster", "escalations"] {
        let (_d, snap) = snapshot(scenario);
        let base = pairs(&report(&snap, &Settings::default()));
        assert!(!base.is_empty());
        // Jewels in the middle of many paths: every service account, every Secret.
        for jewel in ["ServiceAccount/*", "Secret/*", "Pod/*"] {
            let with = pairs(&report(
                &snap,
                &Settings {
                    crown_jewels: vec![jewel.to_string()],
                    ..Settings::default()
                },
            ));
            let lost: Vec<_> = base.difference(&with).collect();
            assert!(lost.is_empty(), "{scenario} + {jewel} lost {lost:?}");
        }
    }
}

#[test]
fn json_lists_are_complete() {
    let (_d, snap) = snapshot("coder-shared-cluster");
    let out = coder_sec(&["analyze", &snap, "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths = v["attack_paths"].as_array().unwrap();
    assert!(paths.iter().any(|p| p["count"].as_u64().unwrap() > 1));
    for p in paths {
        assert_eq!(
            p["count"].as_u64().unwrap() as usize,
            p["entries"].as_array().unwrap().len()
        );
        assert_eq!(
            p["target_count"].as_u64().unwrap() as usize,
            p["targets"].as_array().unwrap().len()
        );
    }
    for f in v["findings"].as_array().unwrap() {
        let objects = f["objects"].as_array().unwrap();
        let roles = f["object_roles"].as_array().unwrap();
        assert_eq!(objects.len(), roles.len());
        for (o, r) in objects.iter().zip(roles) {
            assert_eq!(o, &r["object"]);
            let o = o.as_str().unwrap();
            assert!(!o.contains(" more"), "placeholder in {f}");
        }
    }
    // Reachability findings say which side each pod is on, and which pods they tested.
    let reach = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "coderd-reachable-from-pods")
        .expect("a coderd reachability finding");
    assert!(
        reach["object_roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["object"] == "Pod/coder/coder-7d9f" && r["role"] == "destination")
    );
    assert!(!reach["sampled"].as_array().unwrap().is_empty());
}

#[test]
fn text_and_markdown_cap_with_a_correct_count() {
    let (_d, snap) = snapshot("coder-shared-cluster");
    let json: Value =
        serde_json::from_slice(&coder_sec(&["analyze", &snap, "--format", "json"]).stdout).unwrap();
    let n_paths = json["attack_paths"].as_array().unwrap().len();
    let n_findings = json["findings"].as_array().unwrap().len();
    assert!(n_paths > 2 && n_findings > 2);
    for format in ["text", "markdown"] {
        let out = coder_sec(&["analyze", &snap, "--format", format, "--top", "2"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!("{} more paths (see JSON)", n_paths - 2)),
            "{format}: {text}"
        );
        assert!(
            text.contains(&format!("{} more findings (see JSON)", n_findings - 2)),
            "{format}: {text}"
        );
        assert!(!text.contains("AP-003"), "{format}");
    }
    // --min-severity hides what is below it.
    let out = coder_sec(&[
        "analyze",
        &snap,
        "--min-severity",
        "critical",
        "--top",
        "1000",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    for sev in ["[high]", "[medium]", "[low]"] {
        assert!(!text.contains(sev), "{sev} shown: {text}");
    }
    assert!(text.contains("[critical]"));
}

#[test]
fn text_findings_are_sorted_by_severity() {
    let (_d, snap) = snapshot("coder-shared-cluster");
    let out = coder_sec(&["analyze", &snap, "--top", "1000"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let findings = text
        .split("FINDINGS")
        .nth(1)
        .unwrap()
        .split("SEED COVERAGE")
        .next()
        .unwrap();
    let rank = |l: &str| {
        ["[critical]", "[high]", "[medium]", "[low]"]
            .iter()
            .position(|s| l.trim_start().starts_with(s))
    };
    let order: Vec<usize> = findings.lines().filter_map(rank).collect();
    assert!(order.len() > 3);
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
}

/// The fix plan's claims are what `--assume-fixed` measures: after the first k fixes, the report's
/// path counts equal the k-th row's `remaining`, for every k.
#[test]
fn fix_plan_claims_equal_what_assume_fixed_measures() {
    for scenario in ["coder-shared-cluster", "escalations"] {
        let (_d, snap) = snapshot(scenario);
        let out = coder_sec(&["analyze", &snap, "--format", "json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let plan = v["fix_plan"].as_array().unwrap();
        assert!(plan.len() >= 2, "{scenario}: {plan:?}");
        let summary = &v["summary"]["attack_paths"];
        let first = &plan[0];
        // The first row closes from the report's own counts.
        for sev in ["critical", "high", "medium", "low"] {
            assert_eq!(
                summary[sev].as_i64().unwrap() - first["removes"][sev].as_i64().unwrap(),
                first["remaining"][sev].as_i64().unwrap(),
                "{scenario} {sev}"
            );
        }
        let mut args: Vec<String> = vec![
            "analyze".into(),
            snap.clone(),
            "--format".into(),
            "json".into(),
        ];
        for (k, fix) in plan.iter().enumerate() {
            args.push("--assume-fixed".into());
            args.push(fix["key"].as_str().unwrap().to_string());
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = coder_sec(&argv);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let fixed: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(
                fixed["summary"]["attack_paths"],
                fix["remaining"],
                "{scenario}: after {} fixes",
                k + 1
            );
            // The rest of the plan goes on from there.
            if let Some(next) = plan.get(k + 1) {
                assert_eq!(fixed["fix_plan"][0]["key"], next["key"], "{scenario}");
            }
        }
        // Each fix closes a critical or a high path, critical first.
        let crit: Vec<i64> = plan
            .iter()
            .map(|f| f["remaining"]["critical"].as_i64().unwrap())
            .collect();
        assert!(crit.windows(2).all(|w| w[1] <= w[0]), "{crit:?}");
    }
}

#[test]
fn unknown_assume_fixed_key_is_an_error() {
    let (_d, snap) = snapshot("coder-shared-cluster");
    let out = coder_sec(&[
        "analyze",
        &snap,
        "--assume-fixed",
        "Deployment/nowhere/x#spec",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--assume-fixed") && err.contains("nearest keys"),
        "{err}"
    );
}

#[test]
fn text_and_markdown_open_with_the_fix_plan() {
    let (_d, snap) = snapshot("coder-shared-cluster");
    for format in ["text", "markdown"] {
        let out = coder_sec(&["analyze", &snap, "--format", format]);
        let text = String::from_utf8_lossy(&out.stdout);
        let plan = text.find("FIX PLAN").expect("a FIX PLAN section");
        let paths = text
            .find("ATTACK PATHS")
            .or_else(|| text.find("Attack paths"))
            .unwrap();
        assert!(plan < paths, "{format}");
        assert!(
            text.contains("key: ") || text.contains("| 1 |"),
            "{format}: {text}"
        );
    }
}

/// `--no-fix-plan` leaves the plan out and nothing else: the paths and findings are the same.
#[test]
fn no_fix_plan_leaves_only_the_plan_out() {
    let (_d, snap) = snapshot("coder-shared-cluster");
    let json = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["analyze", snap.as_str(), "--format", "json"];
        args.extend_from_slice(extra);
        serde_json::from_slice(&coder_sec(&args).stdout).unwrap()
    };
    let with = json(&[]);
    let without = json(&["--no-fix-plan"]);
    assert!(!with["fix_plan"].as_array().unwrap().is_empty());
    assert_eq!(without["fix_plan"], serde_json::json!([]));
    for k in ["attack_paths", "findings", "summary"] {
        assert_eq!(with[k], without[k], "{k}");
    }
}

/// Every step of every path names its cause: an object and a field.
#[test]
fn steps_name_their_cause() {
    let (_d, snap) = snapshot("coder-shared-cluster");
    let r = report(&snap, &Settings::default());
    for p in &r.attack_paths {
        for s in &p.steps {
            let c = s.cause.as_ref().expect("a cause");
            assert!(!c.object.is_empty() && !c.field.is_empty(), "{s:?}");
        }
    }
    // A privileged escape names the controller's container, not the pod.
    let esc = r
        .attack_paths
        .iter()
        .flat_map(|p| &p.steps)
        .find(|s| s.technique.code() == "escape-privileged" && s.from.starts_with("Pod/"))
        .expect("a privileged escape");
    let c = esc.cause.as_ref().unwrap();
    assert!(c.field.ends_with("securityContext.privileged"), "{c:?}");
}

fn query(snap: &str, extra: &[&str]) -> (Option<i32>, Value, String) {
    let mut args = vec!["paths", snap, "--format", "json"];
    args.extend_from_slice(extra);
    let out = coder_sec(&args);
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        v,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// `coder-sec paths --to`: who reaches a jewel; every pair the report names is there at no higher
/// cost (queries also list non-minimal paths), cheapest first, steps chained, each with a cause.
#[test]
fn paths_query_to_a_jewel() {
    let (_d, snap) = snapshot("coder-shared-cluster");
    let target = "Secret/coder/coder-db-url";
    let (code, v, err) = query(&snap, &["--to", target, "--max", "1000"]);
    assert_eq!(code, Some(0), "{err}");
    let paths = v["paths"].as_array().unwrap();
    assert!(!paths.is_empty());
    let mut last = 0;
    for p in paths {
        assert_eq!(p["target"], target);
        let cost = p["cost"].as_u64().unwrap();
        assert!(cost >= last, "cheapest first");
        last = cost;
        let steps = p["steps"].as_array().unwrap();
        assert_eq!(steps[0]["from"], p["entry"]);
        assert_eq!(steps[steps.len() - 1]["to"], p["target"]);
        for w in steps.windows(2) {
            assert_eq!(w[0]["to"], w[1]["from"]);
        }
        for s in steps {
            assert!(s["cause"]["object"].is_string() && s["cause"]["field"].is_string());
        }
    }
    let found: std::collections::BTreeMap<String, u64> = paths
        .iter()
        .map(|p| {
            (
                p["entry"].as_str().unwrap().to_string(),
                p["cost"].as_u64().unwrap(),
            )
        })
        .collect();
    let r = report(&snap, &Settings::default());
    let mut checked = 0;
    for p in &r.attack_paths {
        if !p.targets.iter().any(|t| t == target) {
            continue;
        }
        for e in &p.entries {
            let c = found
                .get(e)
                .unwrap_or_else(|| panic!("{e} missing from the query"));
            assert!(*c <= p.cost as u64, "{e}: {c} > {}", p.cost);
            checked += 1;
        }
    }
    assert!(checked > 0);
    // Queries are not minimal: more sources reach the Secret than the report lists.
    assert!(found.len() > checked, "{found:?}");
}

#[test]
fn paths_query_from_a_pattern_and_between() {
    let (_d, snap) = snapshot("coder-shared-cluster");
    let (code, v, err) = query(&snap, &["--from", "Pod/ci/*", "--max", "3"]);
    assert_eq!(code, Some(0), "{err}");
    let paths = v["paths"].as_array().unwrap();
    assert!(!paths.is_empty() && paths.len() <= 3);
    assert!(
        paths
            .iter()
            .all(|p| p["entry"].as_str().unwrap().starts_with("Pod/ci/"))
    );
    let (code, v, _) = query(
        &snap,
        &[
            "--from",
            "Pod/ci/runner",
            "--to",
            "Secret/coder/coder-db-url",
        ],
    );
    assert_eq!(code, Some(0));
    assert_eq!(v["paths"].as_array().unwrap().len(), 1);
    // A hop limit too short for any path answers with none.
    let (_, v, _) = query(
        &snap,
        &[
            "--from",
            "Pod/ci/runner",
            "--to",
            "Coder/database",
            "--max-hops",
            "1",
        ],
    );
    assert!(v["paths"].as_array().unwrap().is_empty());
}

#[test]
fn paths_query_refuses_unknown_refs_and_zero_hops() {
    let (_d, snap) = snapshot("coder-shared-cluster");
    let (code, _, err) = query(&snap, &["--from", "Pod/ci/runer"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("`--from Pod/ci/runer`"), "{err}");
    assert!(err.contains("`Pod/ci/runner`"), "{err}");
    let (code, _, _) = query(&snap, &["--to", "Secret/nowhere/*"]);
    assert_eq!(code, Some(2));
    let (code, _, _) = query(&snap, &["--max-hops", "0"]);
    assert_eq!(code, Some(2));
    let text = coder_sec(&[
        "paths",
        &snap,
        "--to",
        "Secret/coder/coder-db-url",
        "--max",
        "1",
    ]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.starts_with("1. ") && text.contains("cause: "),
        "{text}"
    );
}

#[test]
fn paths_help_is_stable() {
    let out = coder_sec(&["paths", "--help"]);
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

/// Tenants are crown jewels: a workspace that escapes to a node it shares with a tenant shows the
/// path on to the tenant's pod and service account; a tenant's own pods do not target it.
#[test]
fn tenants_are_crown_jewels() {
    let (_d, snap) = snapshot("coder-shared-cluster");
    let r = report(&snap, &Settings::default());
    let to_tenant = r
        .attack_paths
        .iter()
        .find(|p| {
            p.entries
                .iter()
                .any(|e| e == "Pod/coder/coder-alice-envbox")
                && p.targets.iter().any(|t| t == "Pod/tenant-a/shop-frontend")
        })
        .expect("a path from the escaping workspace to the tenant's pod");
    assert_eq!(to_tenant.steps[0].technique.code(), "escape-privileged");
    assert_eq!(
        to_tenant.steps.last().unwrap().technique.code(),
        "node-pod-access"
    );
    assert!(r.attack_paths.iter().any(|p| {
        p.entries
            .iter()
            .any(|e| e == "Pod/coder/coder-alice-envbox")
            && p.targets
                .iter()
                .any(|t| t == "ServiceAccount/tenant-a/default")
    }));
    for p in &r.attack_paths {
        for e in &p.entries {
            let ns = |r: &str| r.split('/').nth(1).map(str::to_string);
            if e.starts_with("Pod/tenant-a/") || e.starts_with("Exposure/Service/tenant-a/") {
                assert!(
                    !p.targets.iter().any(|t| t.starts_with("Pod/tenant-a/")
                        || t.starts_with("Secret/tenant-a/")
                        || t.starts_with("ServiceAccount/tenant-a/")),
                    "{e} targets its own tenant: {p:?} {:?}",
                    ns(e)
                );
            }
        }
    }
}
