#!/usr/bin/env bash
# System packages that `nbv run` and the tests use: git (clones), bubblewrap (the sandbox),
# chromium (the HTML report test), python3 with venv (nbv setup) and lua5.4 (the Argo CD health
# check test, config/argocd/health.lua). Idempotent: quick when everything is there; installs
# with apt-get when it can (root or sudo), else says what to do.
set -euo pipefail
missing=()
command -v git >/dev/null 2>&1 || missing+=(git)
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v lua5.4 >/dev/null 2>&1 || missing+=(lua5.4)
if ! command -v python3 >/dev/null 2>&1; then missing+=(python3 python3-venv)
elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then missing+=(python3-venv); fi
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    echo "setup-system: missing ${missing[*]}; install them (e.g. apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: missing ${missing[*]} and no apt-get here; install them with your package manager" >&2
  exit 1
fi
echo "setup-system: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
