//! The HTML report in a real headless browser (Debian's `chromium`): it loads offline with no
//! console message (errors, blocked network loads), its script runs, and it shows every path and
//! finding of the report. A screenshot is kept for review in the target folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::support::coder_sec;
use super::support::{import, scenario_files};

/// The browser, or `None` after printing why the test is skipped.
fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser"] {
        if Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(PathBuf::from(name));
        }
    }
    coder_sec_model::testing::skip_unless_required(
        "`chromium` not installed (`.ci/run` installs it)",
    );
    None
}

fn headless(browser: &Path, profile: &Path, extra: &[&str], page: &Path) -> Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

/// Console lines chromium logs (`INFO:CONSOLE…`): the page writes none, so any is an error, a
/// blocked load or a stray log.
fn console_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect()
}

#[test]
fn html_report_loads_offline_without_errors_and_shows_the_paths() {
    let Some(browser) = chromium() else {
        return;
    };
    let (dir, snap) = import(&scenario_files("demo"));
    let snap = snap.to_str().unwrap();
    let page = dir.path().join("report.html");
    let out = coder_sec(&[
        "analyze",
        snap,
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing is fetched at view time.
    for needle in ["src=\"http", "href=\"http", "<link", "@import", "url(http"] {
        assert!(!html.contains(needle), "the page references `{needle}`");
    }
    let report: Value =
        serde_json::from_slice(&coder_sec(&["analyze", snap, "--format", "json"]).stdout).unwrap();

    let profile = tempfile::tempdir().unwrap();
    let out = headless(&browser, profile.path(), &["--dump-dom"], &page);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let console = console_lines(&out.stderr);
    assert!(console.is_empty(), "console: {console:#?}");
    assert!(
        dom.contains("data-ready=\"ok\""),
        "the page's script did not finish"
    );
    let paths = report["attack_paths"].as_array().unwrap();
    assert!(!paths.is_empty());
    for p in paths {
        let id = p["id"].as_str().unwrap();
        assert!(dom.contains(&format!("id=\"{id}\"")), "{id} missing");
        for k in ["entry", "target"] {
            let r = p[k].as_str().unwrap();
            assert!(
                dom.contains(&format!("<code>{r}</code>")),
                "{id}: {r} missing"
            );
        }
        assert!(dom.contains(p["fingerprint"].as_str().unwrap()));
    }
    assert_eq!(
        dom.matches("<svg").count(),
        paths.len(),
        "one drawing per path"
    );
    for f in report["findings"].as_array().unwrap() {
        assert!(dom.contains(f["fingerprint"].as_str().unwrap()));
    }
    for section in ["id=\"findings\"", "id=\"blind-spots\"", "id=\"coverage\""] {
        assert!(dom.contains(section), "{section}");
    }

    // The screenshot, for a person to look at.
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-report.png");
    let _ = std::fs::remove_file(&shot);
    let out = headless(
        &browser,
        profile.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600",
            "--hide-scrollbars",
        ],
        &page,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
    println!("screenshot: {}", shot.display());
}

#[test]
fn html_with_baseline_and_suppressions_loads_without_errors() {
    let Some(browser) = chromium() else {
        return;
    };
    let (dir, snap) = import(&scenario_files("demo"));
    let snap = snap.to_str().unwrap();
    let baseline = dir.path().join("baseline.json");
    let out = coder_sec(&[
        "analyze",
        snap,
        "--format",
        "json",
        "-o",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let ignore = dir.path().join("ignore.yaml");
    std::fs::write(
        &ignore,
        "ignore:\n  - pattern: \"* -> Secret/coder/coder-db-url\"\n    reason: \"<accepted> & reviewed\"\n    expires: 2999-01-01\n  - pattern: \"*\"\n    reason: old\n    expires: 2001-01-01\n",
    )
    .unwrap();
    let page = dir.path().join("report.html");
    let out = coder_sec(&[
        "analyze",
        snap,
        "--format",
        "html",
        "-o",
        page.to_str().unwrap(),
        "--baseline",
        baseline.to_str().unwrap(),
        "--ignore-file",
        ignore.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let profile = tempfile::tempdir().unwrap();
    let out = headless(&browser, profile.path(), &["--dump-dom"], &page);
    let console = console_lines(&out.stderr);
    assert!(console.is_empty(), "console: {console:#?}");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("data-ready=\"ok\""));
    assert!(dom.contains("id=\"suppressed\"") && dom.contains("&lt;accepted&gt; &amp; reviewed"));
    assert!(dom.contains("expired on 2001-01-01"));
    assert!(dom.contains("id=\"baseline\""));
}

#[test]
fn a_broken_page_is_caught() {
    // The check above can fail: a page whose script throws and that tries the network.
    let Some(browser) = chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'\"></head>\
         <body><img src=\"http://198.51.100.1/x.png\"><script>null.x;document.body.setAttribute('data-ready','ok');</script></body></html>",
    )
    .unwrap();
    let out = headless(&browser, dir.path(), &["--dump-dom"], &page);
    let console = console_lines(&out.stderr);
    assert!(
        console.iter().any(|l| l.contains("Uncaught")),
        "{console:#?}"
    );
    assert!(
        console
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "{console:#?}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("data-ready=\"ok\""));
}

/// The page opens with the fix plan, before the paths, and lists its keys escaped.
#[test]
fn html_opens_with_the_fix_plan() {
    let a = crate::support::analyse(&crate::support::scenario_files("coder-shared-cluster"));
    assert!(!a.report.fix_plan.is_empty());
    let page = coder_sec_analyzer::present::html::render(&a.report);
    let plan = page
        .find("<section id=\"fix-plan\">")
        .expect("a fix plan section");
    let paths = page
        .find("<section id=\"paths\">")
        .expect("a paths section");
    assert!(plan < paths);
    let key = &a.report.fix_plan[0].key;
    assert!(
        page.contains(&key.replace('&', "&amp;").replace('<', "&lt;")),
        "{key}"
    );
}

/// The fix plan's rows name objects and fields from the snapshot: text, Markdown and HTML show a
/// terminal escape in them escaped.
#[test]
fn fix_plan_rows_show_escapes_escaped() {
    use coder_sec_analyzer::present::{Format, render};
    let mut a = crate::support::analyse(&crate::support::scenario_files("coder-shared-cluster"));
    let fix = &mut a.report.fix_plan[0];
    fix.title.push_str(" \u{1b}[2J");
    fix.key.push_str("\u{1b}]0;x\u{7}");
    for format in [Format::Text, Format::Markdown, Format::Html] {
        let out = render(&a.report, format, false);
        assert!(!out.contains('\u{1b}'), "{format:?}: raw escape");
        assert!(out.contains("\\u{1b}[2J"), "{format:?}");
    }
}
