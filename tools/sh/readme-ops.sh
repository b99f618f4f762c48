#!/usr/bin/env bash
# The supported-ops block of README.md is generated from the op registry, through
# `convgraph --help`. Usage: readme-ops.sh CONVGRAPH README.md [--write]
# Without --write: exit 1 when README's block differs from the registry's list.
set -euo pipefail
convgraph=$1 readme=$2 mode=${3:-}
generated=$("$convgraph" --help | sed -n '/^supported ops/,$p' | sed '1d')
current=$(sed -n '/<!-- ops:begin -->/,/<!-- ops:end -->/p' "$readme" | sed '1d;$d')
if [ "$mode" = "--write" ]; then
  tmp=$(mktemp)
  awk -v block="$generated" '
    /<!-- ops:begin -->/ { print; print block; skip = 1; next }
    /<!-- ops:end -->/   { skip = 0 }
    !skip' "$readme" > "$tmp"
  mv "$tmp" "$readme"
  exit 0
fi
if [ "$generated" != "$current" ]; then
  echo "README.md's supported-ops block is stale; run: make readme-ops" >&2
  diff <(echo "$current") <(echo "$generated") >&2 || true
  exit 1
fi
echo "README.md lists the registry's ops"
