#!/usr/bin/env bash
# Install what this project needs and run one of its jobs. Needs only Python 3.11 and Node.js 20 on PATH.
#
#   ./project.sh synth   install runtime dependencies, synthesize every config/*.tfvars into cdktf.out/
#   ./project.sh test    install everything the tests need (dev packages, cdktf-cli, checkov), run the fast suite
#   ./project.sh test-integration   the slower tier: real terraform + AWS provider against moto, fresh-clone installs
#   ./project.sh lint    ruff + mypy
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
    say "running the integration tier (markers: terraform, fresh_clone)"
    status=0
    # loadgroup: each test goes to the next free worker (the applies and plans spread over both), except tests of
    # one xdist_group (quick-deploy's two runs share one deployment), which stay together.
    pipenv run pytest -m "terraform or fresh_clone" --dist loadgroup || status=$?
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
    sed -n '2,8p' "$0" >&2
    exit 2
    ;;
esac
