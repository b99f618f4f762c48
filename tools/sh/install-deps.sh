#!/usr/bin/env bash
# Installs the Debian packages named on the command line that dpkg says are
# missing. PKG:CMD means "PKG, unless the command CMD is already on PATH" (e.g.
# npm:npm: a Node.js from elsewhere may bring its own npm, which Debian's npm
# package would conflict with).
set -euo pipefail
missing=()
for spec in "$@"; do
  pkg=${spec%%:*}
  cmd=${spec#*:}
  if [ "$cmd" != "$spec" ] && command -v "$cmd" >/dev/null 2>&1; then
    continue
  fi
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
