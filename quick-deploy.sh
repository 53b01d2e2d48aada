#!/usr/bin/env bash
# StackKit Atlantis deploy tool: a thin wrapper over the Python package deploy/ (see ./quick-deploy.sh --help).
# It runs with the project's virtualenv when there is one, so boto3 and python-hcl2 come from the Pipfile.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PYTHONPATH="${ROOT}${PYTHONPATH:+:${PYTHONPATH}}"

if [[ -x "${ROOT}/.venv/bin/python" ]]; then
  exec "${ROOT}/.venv/bin/python" -m deploy "$@"
elif command -v pipenv >/dev/null 2>&1 && PIPENV_PIPFILE="${ROOT}/Pipfile" pipenv --venv >/dev/null 2>&1; then
  PIPENV_PIPFILE="${ROOT}/Pipfile" exec pipenv run python -m deploy "$@"
else
  exec python3 -m deploy "$@"
fi
