#!/usr/bin/env bash
# Install what this project needs and run one of its jobs. Needs only Python 3.11 and Node.js 20 on PATH.
#
#   ./project.sh synth   install runtime dependencies, synthesize every config/*.tfvars into cdktf.out/
#   ./project.sh test    install everything the tests need (dev packages, cdktf-cli, checkov), run the fast suite
#   ./project.sh test-integration   the slower tier: real terraform + AWS provider against moto, fresh-clone installs
#   ./project.sh lint    ruff + mypy
#   STACKKIT_FRAMEWORK=cdktn ./project.sh ...   the same jobs on CDK Terrain instead of cdktf (README "Moving to CDK Terrain")
set -euo pipefail
cd "$(dirname "$0")"

export PIPENV_VENV_IN_PROJECT=1 PIPENV_VERBOSITY=-1 PIPENV_NOSPIN=1 PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '==> %s\n' "$*" >&2; }

ensure_pipenv() {
  if ! command -v pipenv >/dev/null 2>&1; then
    say "installing pipenv"
    python3 -m pip install --quiet --user pipenv 2>/dev/null || python3 -m pip install --quiet pipenv
    export PATH="$HOME/.local/bin:$PATH"
  fi
}

install_python() {  # $1: "--dev" for test tooling, empty for runtime only
  ensure_pipenv
  say "installing Python packages from Pipfile.lock ${1:-}"
  pipenv sync ${1:-} >/dev/null
}

install_node() {
  if [ ! -x node_modules/.bin/cdktf ]; then
    say "installing cdktf-cli from package-lock.json"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  fi
}

# checkov pins its own forks of hcl2 and detect-secrets (same module names as ours), so it gets its own venv.
install_checkov() {
  if [ ! -x .venv-checkov/bin/checkov ] || ! .venv-checkov/bin/pip freeze 2>/dev/null | grep -qxF -f tools/checkov-requirements.txt; then
    say "installing checkov into .venv-checkov"
    python3 -m venv .venv-checkov
    .venv-checkov/bin/pip install --quiet -r tools/checkov-requirements.txt
  fi
}

# --- CDK Terrain (STACKKIT_FRAMEWORK=cdktn) ------------------------------------------------------------------------
# Its Pipfile and package.json are in frameworks/cdktn/ (pipenv puts their venv in frameworks/cdktn/.venv, npm the
# cdktn CLI in frameworks/cdktn/node_modules). With PIPENV_PIPFILE pointing there, every job below installs and runs
# on CDK Terrain. `test-integration` installs both frameworks' runtime to compare their output (tests/test_cdktn_parity.py).
CDKTN_PIPFILE="$PWD/frameworks/cdktn/Pipfile"
install_cdktn_cli() {
  if [ ! -x frameworks/cdktn/node_modules/.bin/cdktn ]; then
    say "installing cdktn-cli from frameworks/cdktn/package-lock.json"
    npm ci --prefix frameworks/cdktn --no-audit --no-fund --loglevel=error >/dev/null
  fi
}
install_both_frameworks() {
  ensure_pipenv
  say "installing the runtime packages of both frameworks (Pipfile.lock, frameworks/cdktn/Pipfile.lock)"
  PIPENV_PIPFILE="$PWD/Pipfile" pipenv sync >/dev/null
  PIPENV_PIPFILE="$CDKTN_PIPFILE" pipenv sync >/dev/null
}
case "${STACKKIT_FRAMEWORK:-cdktf}" in
  cdktf) ;;
  cdktn) export PIPENV_PIPFILE="$CDKTN_PIPFILE"; [ "${1:-}" = lint ] || install_cdktn_cli ;;
  *) printf 'error: STACKKIT_FRAMEWORK=%s is not a framework; expected cdktf or cdktn\n' "$STACKKIT_FRAMEWORK" >&2; exit 2 ;;
esac
# -----------------------------------------------------------------------------------------------------------------

case "${1:-}" in
  synth)
    install_python ""
    install_node
    say "synthesizing"
    pipenv run python main.py
    ;;
  test)
    install_python --dev
    install_node
    install_checkov
    say "running the test suite"
    pipenv run pytest
    ;;
  test-integration)
    install_python --dev
    install_node
    install_both_frameworks
    say "running the integration tier (markers: terraform, fresh_clone, cdktn)"
    status=0
    pipenv run pytest -m "terraform or fresh_clone or cdktn" || status=$?
    [ "$status" -eq 5 ] && { say "the integration tier collected no test"; status=0; }
    exit "$status"
    ;;
  lint)
    install_python --dev
    pipenv run ruff check .
    pipenv run ruff format --check .
    pipenv run mypy stacks lambda deploy main.py
    ;;
  *)
    sed -n '2,9p' "$0" >&2
    exit 2
    ;;
esac
