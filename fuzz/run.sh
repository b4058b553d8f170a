#!/usr/bin/env bash
# Runs each fuzz target of coder-sec for MINUTES minutes (default 5), one after the other.
#
#   fuzz/run.sh [MINUTES] [TARGET...]     TARGET: archive tar manifest import redact (default: all)
#
# The targets live in model/tests/it/fuzz.rs (stable Rust, proptest). `cargo test` runs a few dozen
# cases of each on every run; here each gets fresh random inputs until its time is up. A failure
# prints the shrunk input: save its bytes under testdata/fuzz/<target>/ (the `regressions` test
# replays them on every run), fix the code, and commit both.
#
# Set CODER_SEC_FUZZ_RELEASE=1 to fuzz an optimised build (more cases a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-5}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(archive tar manifest import redact)
declare -A test_of=(
  [archive]=fuzz_archive_reader
  [tar]=fuzz_archive_tar_layer
  [manifest]=fuzz_manifest_parser
  [import]=fuzz_importer
  [redact]=fuzz_redaction
)
profile=()
[ "${CODER_SEC_FUZZ_RELEASE:-}" = 1 ] && profile=(--release)
status=0
for t in "${targets[@]}"; do
  name="${test_of[$t]:-}"
  if [ -z "$name" ]; then
    echo "unknown target \`$t\` (archive tar manifest import redact)" >&2
    exit 2
  fi
  echo "== $t: $minutes min" >&2
  if ! CODER_SEC_FUZZ_SECONDS=$((minutes * 60)) CODER_SEC_FUZZ_CASES="${CODER_SEC_FUZZ_CASES:-500}" \
    cargo test -q "${profile[@]}" -p coder-sec-model --test it "fuzz::$name" -- --exact --nocapture; then
    status=1
  fi
done
exit $status
