#!/usr/bin/env bash
# Packages kubectl-coder_sec release archives for krew and fills their sha256 into the manifest.
#
#   krew/package.sh [--version vX.Y.Z] [--out DIR] [--manifest FILE] [OS/ARCH=BINARY ...]
#
# Each OS/ARCH=BINARY pair (e.g. linux/amd64=target/release/kubectl-coder_sec) becomes
# DIR/kubectl-coder_sec-VERSION-OS-ARCH.tar.gz holding the binary (as kubectl-coder_sec, mode 755),
# LICENSE, and kubectl_complete-coder_sec when it sits beside the binary; the manifest's
# spec.version, every URI's version and that platform's sha256 are rewritten in place. With no pair, it builds the host binary with `cargo build --release` and
# packages it for the host platform. Archives are reproducible (sorted, mtime 0, owner 0, gzip -n).
# Platforms not packaged keep the sha256 they had: run it where each target is built before a release.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version="v$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)"
out="$root/dist"
manifest="$root/krew/coder-sec.yaml"
pairs=()

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --manifest) manifest="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    */*=*) pairs+=("$1"); shift ;;
    *) echo "error: unknown argument \`$1\`" >&2; usage 2 >&2 ;;
  esac
done
case "$version" in v[0-9]*.[0-9]*.[0-9]*) ;; *) echo "error: --version \`$version\` is not semver with a leading v" >&2; exit 2 ;; esac
[ -f "$manifest" ] || { echo "error: manifest \`$manifest\` not found" >&2; exit 2; }

if [ ${#pairs[@]} -eq 0 ]; then
  case "$(uname -s)/$(uname -m)" in
    Linux/x86_64) host=linux/amd64 ;; Linux/aarch64) host=linux/arm64 ;;
    Darwin/x86_64) host=darwin/amd64 ;; Darwin/arm64) host=darwin/arm64 ;;
    *) echo "error: unsupported host $(uname -s)/$(uname -m)" >&2; exit 2 ;;
  esac
  (cd "$root" && cargo build --release --locked -p coder-sec-plugin --bins)
  pairs=("$host=$root/target/release/kubectl-coder_sec")
fi

mkdir -p "$out"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# Version everywhere first.
tmp="$manifest.tmp.$$"
sed -E "s|^(  version: ).*|\1$version|; s|/download/v[^/]+/kubectl-coder_sec-v[^-]+-|/download/$version/kubectl-coder_sec-$version-|" \
  "$manifest" > "$tmp" && mv "$tmp" "$manifest"

for pair in "${pairs[@]}"; do
  platform=${pair%%=*}; binary=${pair#*=}
  os=${platform%/*}; arch=${platform#*/}
  [ -x "$binary" ] || { echo "error: binary \`$binary\` for $platform is missing or not executable" >&2; exit 2; }
  name="kubectl-coder_sec-$version-$os-$arch.tar.gz"
  dir="$stage/$os-$arch"
  mkdir -p "$dir"
  install -m 0755 "$binary" "$dir/kubectl-coder_sec"
  install -m 0644 "$root/LICENSE" "$dir/LICENSE"
  files=(kubectl-coder_sec LICENSE)
  # kubectl's completion helper, when it was built beside the plugin (krew does not link it).
  if [ -x "$(dirname "$binary")/kubectl_complete-coder_sec" ]; then
    install -m 0755 "$(dirname "$binary")/kubectl_complete-coder_sec" "$dir/kubectl_complete-coder_sec"
    files+=(kubectl_complete-coder_sec)
  fi
  tar -C "$dir" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - "${files[@]}" \
    | gzip -n > "$out/$name"
  sum=$(sha256sum "$out/$name" | cut -d' ' -f1)
  # The sha256 line that follows this platform's uri line.
  awk -v file="$name" -v sum="$sum" '
    index($0, "uri:") && index($0, "/" file) { hit = 1 }
    hit && $1 == "sha256:" { sub(/sha256: .*/, "sha256: " sum); hit = 0 }
    { print }
  ' "$manifest" > "$tmp" && mv "$tmp" "$manifest"
  grep -q "$sum" "$manifest" || { echo "error: no platform in \`$manifest\` has the uri \`$name\`" >&2; exit 2; }
  echo "$out/$name $sum"
done
