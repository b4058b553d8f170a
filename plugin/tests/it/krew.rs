//! The krew manifest against krew-index's validation rules, and the linux/amd64 archive that
//! `krew/package.sh` builds from the plugin binary installed the way krew installs it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml_ng::Value;
use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The os/arch pairs krew supports.
const SUPPORTED: &[(&str, &str)] = &[
    ("linux", "386"),
    ("linux", "amd64"),
    ("linux", "arm"),
    ("linux", "arm64"),
    ("linux", "ppc64le"),
    ("darwin", "386"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "386"),
    ("windows", "amd64"),
    ("windows", "arm64"),
];

/// Whether a platform selector matches an os/arch (matchLabels and the `In`/`NotIn`/`Exists`
/// expressions krew supports).
fn selector_matches(selector: &Value, os: &str, arch: &str) -> bool {
    let label = |k: &str| match k {
        "os" => Some(os),
        "arch" => Some(arch),
        _ => None,
    };
    if let Some(labels) = selector["matchLabels"].as_mapping() {
        for (k, v) in labels {
            if label(k.as_str().unwrap()) != v.as_str() {
                return false;
            }
        }
    }
    if let Some(exprs) = selector["matchExpressions"].as_sequence() {
        for e in exprs {
            let value = label(e["key"].as_str().unwrap());
            let values: Vec<&str> = e["values"]
                .as_sequence()
                .map(|s| s.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let ok = match e["operator"].as_str().unwrap() {
                "In" => value.is_some_and(|v| values.contains(&v)),
                "NotIn" => value.is_none_or(|v| !values.contains(&v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                other => panic!("unknown selector operator {other}"),
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

/// krew-index's rules (kubernetes-sigs/krew `internal/index/validation`), as errors.
fn validate(manifest: &Value, file_stem: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let mut check = |ok: bool, msg: String| {
        if !ok {
            errors.push(msg);
        }
    };
    check(
        manifest["apiVersion"].as_str() == Some("krew.googlecontainertools.github.com/v1alpha2"),
        "apiVersion".into(),
    );
    check(manifest["kind"].as_str() == Some("Plugin"), "kind".into());
    let name = manifest["metadata"]["name"].as_str().unwrap_or("");
    check(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        format!("name `{name}` does not match ^[\\w-]+$"),
    );
    let reserved = ["con", "prn", "aux", "nul", "com1", "lpt1"];
    check(
        !reserved.contains(&name.to_lowercase().as_str()),
        "reserved name".into(),
    );
    check(
        name == file_stem,
        format!("name `{name}` differs from the file name `{file_stem}`"),
    );
    check(
        !name.starts_with("kube-"),
        "names must not start with kube-".into(),
    );
    let spec = &manifest["spec"];
    let version = spec["version"].as_str().unwrap_or("");
    let semver = version
        .strip_prefix('v')
        .map(|v| v.split('.').count() == 3 && v.split('.').all(|p| p.parse::<u64>().is_ok()));
    check(
        semver == Some(true),
        format!("spec.version `{version}` is not v-prefixed semver"),
    );
    check(
        spec["homepage"]
            .as_str()
            .is_some_and(|h| h.starts_with("https://")),
        "homepage".into(),
    );
    let short = spec["shortDescription"].as_str().unwrap_or("");
    check(
        !short.is_empty() && !short.contains('\n') && short.len() <= 70,
        format!("shortDescription `{short}`"),
    );
    let description = spec["description"].as_str().unwrap_or("");
    check(!description.is_empty(), "description is required".into());
    check(
        description.lines().all(|l| l.len() <= 80),
        "description lines over 80 characters".into(),
    );
    let platforms = spec["platforms"].as_sequence().cloned().unwrap_or_default();
    check(!platforms.is_empty(), "no platforms".into());
    for (i, p) in platforms.iter().enumerate() {
        let selector = &p["selector"];
        let has_labels = selector["matchLabels"]
            .as_mapping()
            .is_some_and(|m| !m.is_empty());
        let has_exprs = selector["matchExpressions"]
            .as_sequence()
            .is_some_and(|s| !s.is_empty());
        check(
            has_labels || has_exprs,
            format!("platform {i}: empty selector"),
        );
        let keys: BTreeSet<String> = selector["matchLabels"]
            .as_mapping()
            .map(|m| {
                m.keys()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        check(
            keys.iter().all(|k| k == "os" || k == "arch"),
            format!("platform {i}: keys {keys:?}"),
        );
        check(
            SUPPORTED
                .iter()
                .any(|(os, arch)| selector_matches(selector, os, arch)),
            format!("platform {i} matches no supported os/arch"),
        );
        let uri = p["uri"].as_str().unwrap_or("");
        check(
            uri.starts_with("https://") && (uri.ends_with(".tar.gz") || uri.ends_with(".zip")),
            format!("platform {i}: uri `{uri}`"),
        );
        check(
            uri.contains(&format!("/{version}/")),
            format!("platform {i}: uri lacks the version"),
        );
        let sha = p["sha256"].as_str().unwrap_or("");
        check(
            sha.len() == 64
                && sha
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
            format!("platform {i}: sha256 `{sha}`"),
        );
        check(
            p["bin"].as_str().is_some_and(|b| !b.is_empty()),
            format!("platform {i}: bin"),
        );
        if let Some(files) = p.get("files") {
            check(
                files.as_sequence().is_some_and(|f| !f.is_empty()),
                format!("platform {i}: empty files"),
            );
        }
    }
    for (os, arch) in SUPPORTED {
        let n = platforms
            .iter()
            .filter(|p| selector_matches(&p["selector"], os, arch))
            .count();
        check(n <= 1, format!("{n} platforms match {os}/{arch}"));
    }
    for (os, arch) in [
        ("linux", "amd64"),
        ("linux", "arm64"),
        ("darwin", "amd64"),
        ("darwin", "arm64"),
    ] {
        check(
            platforms
                .iter()
                .any(|p| selector_matches(&p["selector"], os, arch)),
            format!("no platform for {os}/{arch}"),
        );
    }
    errors
}

fn load(path: &Path) -> Value {
    serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn committed_manifest_follows_krew_index_rules() {
    let manifest = load(&root().join("krew/coder-sec.yaml"));
    let errors = validate(&manifest, "coder-sec");
    assert!(errors.is_empty(), "krew/coder-sec.yaml: {errors:#?}");
    assert_eq!(
        manifest["spec"]["version"].as_str().unwrap(),
        format!("v{}", env!("CARGO_PKG_VERSION")),
        "the manifest's version follows the workspace version"
    );
}

#[test]
fn validator_catches_broken_manifests() {
    let good = load(&root().join("krew/coder-sec.yaml"));
    let mut overlapping = good.clone();
    let first = overlapping["spec"]["platforms"][0].clone();
    overlapping["spec"]["platforms"]
        .as_sequence_mut()
        .unwrap()
        .push(first);
    assert!(
        validate(&overlapping, "coder-sec")
            .iter()
            .any(|e| e.contains("platforms match linux/amd64"))
    );
    let mut bad = good.clone();
    bad["metadata"]["name"] = Value::from("coder sec");
    bad["spec"]["version"] = Value::from("0.1.0");
    bad["spec"]["platforms"][1]["selector"]["matchLabels"]["flavour"] = Value::from("x");
    bad["spec"]["platforms"][2]["sha256"] = Value::from("ABC");
    let errors = validate(&bad, "coder-sec");
    for needle in ["^[\\w-]+$", "semver", "keys", "sha256 `ABC`"] {
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "no error with `{needle}`: {errors:#?}"
        );
    }
}

#[test]
fn package_script_builds_an_archive_krew_installs() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("coder-sec.yaml");
    std::fs::copy(root().join("krew/coder-sec.yaml"), &manifest).unwrap();
    let binary = env!("CARGO_BIN_EXE_kubectl-coder_sec");
    let out = dir.path().join("dist");
    let o = Command::new("bash")
        .arg(root().join("krew/package.sh"))
        .args(["--version", "v9.8.7", "--out"])
        .arg(&out)
        .arg("--manifest")
        .arg(&manifest)
        .arg(format!("linux/amd64={binary}"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The rendered manifest is still valid, carries the version, and names the archive's hash.
    let rendered = load(&manifest);
    assert!(validate(&rendered, "coder-sec").is_empty());
    assert_eq!(rendered["spec"]["version"].as_str(), Some("v9.8.7"));
    let platform = rendered["spec"]["platforms"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|p| selector_matches(&p["selector"], "linux", "amd64"))
        .unwrap()
        .clone();
    let uri = platform["uri"].as_str().unwrap();
    let archive_name = uri.rsplit('/').next().unwrap();
    assert_eq!(archive_name, "kubectl-coder_sec-v9.8.7-linux-amd64.tar.gz");
    let archive = out.join(archive_name);
    let bytes = std::fs::read(&archive).unwrap();
    assert_eq!(
        platform["sha256"].as_str().unwrap(),
        hex::encode(Sha256::digest(&bytes))
    );

    // Install as krew does: unpack everything (no `files` list), require a LICENSE, link `bin`.
    let install = dir.path().join("store");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    tar.unpack(&install).unwrap();
    assert!(
        install.join("LICENSE").is_file(),
        "krew-index refuses archives without a LICENSE"
    );
    let bin = install.join(platform["bin"].as_str().unwrap());
    use std::os::unix::fs::PermissionsExt as _;
    assert!(
        bin.metadata().unwrap().permissions().mode() & 0o111 != 0,
        "bin is not executable"
    );
    let bin_dir = dir.path().join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    std::os::unix::fs::symlink(&bin, bin_dir.join("kubectl-coder_sec")).unwrap();
    let o = Command::new(bin_dir.join("kubectl-coder_sec"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // Reproducible: packaging again gives the same bytes.
    let again = Command::new("bash")
        .arg(root().join("krew/package.sh"))
        .args(["--version", "v9.8.7", "--out"])
        .arg(dir.path().join("dist2"))
        .arg("--manifest")
        .arg(&manifest)
        .arg(format!("linux/amd64={binary}"))
        .output()
        .unwrap();
    assert!(again.status.success());
    assert_eq!(
        std::fs::read(dir.path().join("dist2").join(archive_name)).unwrap(),
        bytes
    );

    // Through kubectl's plugin mechanism, where kubectl is installed.
    if Path::new("/usr/bin/kubectl").exists() || which("kubectl").is_some() {
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let home = dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        let o = Command::new("kubectl")
            .args(["plugin", "list"])
            .env("PATH", &path)
            .env("HOME", &home)
            .output()
            .unwrap();
        let listed = String::from_utf8_lossy(&o.stdout);
        assert!(
            listed.contains("kubectl-coder_sec"),
            "kubectl plugin list: {listed}"
        );
    } else {
        coder_sec_model::testing::skip_unless_required(
            "kubectl not installed (plugin mechanism part)",
        );
    }
}

fn which(cmd: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(cmd))
        .find(|p| p.is_file())
}
