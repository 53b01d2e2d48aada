#!/usr/bin/env bash
# StackKit Atlantis deploy tool: a thin wrapper over the Python package deploy/ (see ./quick-deploy.sh --help).
# It runs with the project's virtualenv .venv/. On first use (and after Pipfile.lock changes) `./project.sh install`
# installs the locked runtime packages there, one progress line per step; otherwise that takes no time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

"${ROOT}/project.sh" install
export PYTHONPATH="${ROOT}${PYTHONPATH:+:${PYTHONPATH}}"
exec "${ROOT}/.venv/bin/python" -m deploy "$@"
