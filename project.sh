#!/usr/bin/env bash
# Install what this project needs and run one of its jobs. Needs only Python 3.11+ (with venv) and Node.js 20+.
#
#   ./project.sh synth     install runtime dependencies, synthesize every config/*.tfvars into cdktf.out/
#   ./project.sh test      install everything the tests need (dev packages, cdktf-cli, checkov), run the fast suite
#                          (arguments after `test` go to pytest: ./project.sh test tests/test_config.py)
#   ./project.sh test-integration   the slower tier: real terraform + AWS provider against moto, fresh-clone installs,
#                          CDK Terrain parity, cold synths (arguments go to pytest too)
#   ./project.sh lint      ruff + mypy
#   ./project.sh install   runtime dependencies only (./quick-deploy.sh runs this; it does nothing when up to date)
#   STACKKIT_FRAMEWORK=cdktn ./project.sh ...   the same jobs on CDK Terrain instead of cdktf (README "Moving to CDK Terrain")
#
# Everything is installed inside this folder, never with --user, --break-system-packages or sudo, so a
# distribution's "externally managed" Python (PEP 668) is fine: pipenv goes into .venv-pipenv/, the packages of
# Pipfile.lock into .venv/ (both made with `python3 -m venv`), cdktf-cli into node_modules/, checkov into
# .venv-checkov/. Each install step prints one line with its time; its own output is shown only when it fails.
set -euo pipefail
cd "$(dirname "$0")"

export PIPENV_VENV_IN_PROJECT=1 PIPENV_IGNORE_VIRTUALENVS=1 PIPENV_VERBOSITY=-1 PIPENV_NOSPIN=1
export PIP_DISABLE_PIP_VERSION_CHECK=1
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

say() { printf '==> %s\n' "$*" >&2; }
fail() { printf 'error: %s\n' "$*" >&2; exit 1; }

clock() { local now=${EPOCHREALTIME:-$SECONDS}; echo "${now/,/.}"; }  # EPOCHREALTIME follows the locale's decimal mark

# One line per install step, "==> <what> ... done in 12.3s"; the step's output is kept and shown only if it fails.
step() {  # $1: what the step does; the rest: its command
  local what=$1 started status
  shift
  started=$(clock)
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT  # also when interrupted
  printf '==> %s ... ' "$what" >&2
  if "$@" </dev/null >"$log" 2>&1; then status=0; else status=$?; fi
  printf '%s in %s\n' "$([ "$status" -eq 0 ] && echo done || echo failed)" \
    "$(awk -v from="$started" -v to="$(clock)" 'BEGIN { printf "%.1fs", to - from }')" >&2
  if [ "$status" -ne 0 ]; then
    cat "$log" >&2
    exit "$status"
  fi
  rm -f "$log"
}

# Debian and Ubuntu ship venv's ensurepip in a package of its own (python3.X-venv); without it `python3 -m venv`
# fails halfway, so check first.
check_python() {
  local version
  command -v python3 >/dev/null 2>&1 \
    || fail "python3 not found: install Python 3.11 or newer (Debian/Ubuntu: sudo apt install python3 python3-venv)"
  version=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || fail "python3 is Python $version; this project needs Python 3.11 or newer: install it and put it first on PATH"
  python3 -c 'import ensurepip, venv' 2>/dev/null \
    || fail "python3 (Python $version) cannot create virtual environments (no ensurepip): install the python$version-venv package (Debian/Ubuntu: sudo apt install python$version-venv)"
}

check_node() {  # jsii runs the cdktf and AWS provider libraries in Node.js
  command -v node >/dev/null 2>&1 \
    || fail "node not found: install Node.js 20 or newer (https://nodejs.org/, or Debian/Ubuntu: sudo apt install nodejs npm)"
  node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' \
    || fail "node is $(node --version); this project needs Node.js 20 or newer: install it and put it first on PATH"
}

make_venv() {  # $1: folder; a virtual environment of the python3 on PATH, made once
  if [ ! -x "$1/bin/python" ]; then
    check_python
    step "creating $1 with $(command -v python3) ($(python3 -V 2>&1))" python3 -m venv "$1"
  fi
}

# pipenv has a virtual environment of its own, so it never meets the packages it installs. It is linked into
# .venv/bin so that `pipenv run ...` (and cdktf.json's app) works once .venv is activated.
pipenv() {
  [ -x .venv-pipenv/bin/pipenv ] || ensure_pipenv
  .venv-pipenv/bin/pipenv "$@"
}

# Whether a venv has every pin of a requirements file. pip freeze's output is read whole first: pip writes it line by
# line, and `pip freeze | grep -q` stops reading at the match, so pip could fail on a broken pipe, which pipefail
# counts as a missing pin (a fresh clone reinstalled pipenv that way under load).
has_pins() {  # $1: venv folder, $2: requirements file
  local installed pin
  installed=$("$1/bin/pip" freeze 2>/dev/null) || return 1
  while read -r pin; do
    [[ -z "$pin" || "$pin" == \#* ]] && continue
    grep -qxF -- "$pin" <<<"$installed" || return 1
  done <"$2"
}

ensure_pipenv() {  # $1: the project venv to prepare (default .venv)
  local venv=${1:-.venv}
  if [ ! -x .venv-pipenv/bin/pipenv ] || ! has_pins .venv-pipenv tools/pipenv-requirements.txt; then
    make_venv .venv-pipenv
    step "installing pipenv into .venv-pipenv" .venv-pipenv/bin/python -m pip install -r tools/pipenv-requirements.txt
  fi
  make_venv "$venv"
  [ -e "$venv/bin/pipenv" ] || ln -s "$PWD/.venv-pipenv/bin/pipenv" "$venv/bin/pipenv"
}

# pipenv sync takes seconds even when nothing changed: remember which lock (by checksum) was synced how.
install_python() {  # $1: "--dev" for test tooling, empty for runtime only; the lock of PIPENV_PIPFILE (default ./Pipfile)
  local pipfile=${PIPENV_PIPFILE:-$PWD/Pipfile} venv sync=(pipenv sync ${1:-}) synced
  venv=$(dirname "$pipfile")/.venv  # PIPENV_VENV_IN_PROJECT: beside the Pipfile
  venv=${venv#"$PWD"/}
  synced="$(cksum <"$pipfile.lock") ${sync[*]}"
  if ! grep -qxF "$synced" "$venv/.synced" 2>/dev/null; then
    ensure_pipenv "$venv"
    step "installing the ${1:+dev and }runtime packages of ${pipfile#"$PWD"/}.lock into $venv" "${sync[@]}"
    echo "$synced" >>"$venv/.synced"
  fi
}

install_node() {
  if [ ! -x node_modules/.bin/cdktf ]; then
    command -v npm >/dev/null 2>&1 || fail "npm not found: install npm (Debian/Ubuntu: sudo apt install npm)"
    step "installing cdktf-cli from package-lock.json" npm ci --no-audit --no-fund
  fi
}

# checkov pins its own forks of hcl2 and detect-secrets (same module names as ours), so it gets its own venv.
install_checkov() {
  if [ ! -x .venv-checkov/bin/checkov ] || ! has_pins .venv-checkov tools/checkov-requirements.txt; then
    make_venv .venv-checkov
    step "installing checkov into .venv-checkov" .venv-checkov/bin/python -m pip install -r tools/checkov-requirements.txt
  fi
}

# --- CDK Terrain (STACKKIT_FRAMEWORK=cdktn) ------------------------------------------------------------------------
# Its Pipfile and package.json are in frameworks/cdktn/ (pipenv puts their venv in frameworks/cdktn/.venv, npm the
# cdktn CLI in frameworks/cdktn/node_modules). With PIPENV_PIPFILE pointing there, every job below installs and runs
# on CDK Terrain. `test-integration` installs both frameworks' runtime to compare their output (tests/test_cdktn_parity.py).
CDKTN_PIPFILE="$PWD/frameworks/cdktn/Pipfile"
install_cdktn_cli() {
  if [ ! -x frameworks/cdktn/node_modules/.bin/cdktn ]; then
    command -v npm >/dev/null 2>&1 || fail "npm not found: install npm (Debian/Ubuntu: sudo apt install npm)"
    step "installing cdktn-cli from frameworks/cdktn/package-lock.json" npm ci --prefix frameworks/cdktn --no-audit --no-fund
  fi
}
install_both_frameworks() {  # the runtime of the framework not selected, beside the selected one's dev install
  PIPENV_PIPFILE="$PWD/Pipfile" install_python ""
  PIPENV_PIPFILE="$CDKTN_PIPFILE" install_python ""
}
case "${STACKKIT_FRAMEWORK:-cdktf}" in
  cdktf) ;;
  cdktn) export PIPENV_PIPFILE="$CDKTN_PIPFILE"; [ "${1:-}" = lint ] || install_cdktn_cli ;;
  *) printf 'error: STACKKIT_FRAMEWORK=%s is not a framework; expected cdktf or cdktn\n' "$STACKKIT_FRAMEWORK" >&2; exit 2 ;;
esac
# -----------------------------------------------------------------------------------------------------------------

case "${1:-}" in
  install)
    check_node
    install_python ""
    ;;
  synth)
    check_node
    install_python ""
    install_node
    say "synthesizing"
    pipenv run python main.py
    ;;
  test)
    shift
    check_node
    install_python --dev
    install_node
    install_checkov
    say "running the test suite"
    pipenv run pytest "$@"
    ;;
  test-integration)
    shift
    check_node
    install_python --dev
    install_node
    install_both_frameworks
    say "running the integration tier (markers: terraform, fresh_clone, cdktn, machinery)"
    status=0
    # loadgroup: each test goes to the next free worker, except the tests of one xdist_group (quick-deploy's two runs
    # share one deployment, the fresh-clone tests one clone), which stay together. Four workers on two cores: most
    # of this tier waits (the AWS provider's waiters, downloads from PyPI), and --durations shows where it does not.
    pipenv run pytest -m integration -n 4 --dist loadgroup --durations=15 "$@" || status=$?
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
    sed -n '2,15p' "$0" >&2
    exit 2
    ;;
esac
