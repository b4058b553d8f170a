//! The command line: exactly one output, help with an example.

use std::process::Command;

fn synth() -> Command {
    Command::new(env!("CARGO_BIN_EXE_coder-sec-synth"))
}

#[test]
fn help_shows_the_interface_and_an_example() {
    let out = synth().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--size",
        "--seed",
        "--snapshot",
        "--scenario",
        "small",
        "kubehound",
        "large",
        "coder-sec-synth --size large --snapshot",
    ] {
        assert!(help.contains(needle), "help lacks `{needle}`:\n{help}");
    }
}

#[test]
fn exactly_one_output_is_required() {
    let none = synth().args(["--size", "small"]).output().unwrap();
    assert_eq!(none.status.code(), Some(2));
    let both = synth()
        .args([
            "--size",
            "small",
            "--snapshot",
            "a.tar.zst",
            "--scenario",
            "d",
        ])
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"));
}

#[test]
fn writes_a_snapshot_and_its_expectations() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("small.tar.zst");
    let run = synth()
        .args(["--size", "small", "--seed", "3", "--snapshot"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(out.is_file());
    assert!(coder_sec_synth::expected_path_for_snapshot(&out).is_file());
}
