#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (the zip is unpacked in
# $AUTOGRADER_ROOT/source). It installs the pinned course environment into $AUTOGRADER_ROOT/venv.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip
  # the strong sandbox; without it run_autograder gives no grade (AUTOGRADER_ISOLATION=process grades unisolated)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap || true
fi
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install -q --upgrade pip
"$ROOT/venv/bin/pip" install -q -c constraints.txt .
"$ROOT/venv/bin/python" -m autograder --version
