# Shared set-up steps for bin/up and bin/test. Sourced, not run.
# Every step is idempotent: a second run only checks what is already there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="${GONGJIAN_PYTHON:-}"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

# Debian packages, installed only when missing and only when we can (root + apt-get).
ensure_debs() {
  local missing=()
  for spec in "$@"; do
    local pkg="${spec%%:*}" probe="${spec#*:}"
    if [ "$probe" = "$spec" ]; then probe=""; fi
    if [ -n "$probe" ]; then
      command -v "$probe" >/dev/null 2>&1 || [ -e "$probe" ] || missing+=("$pkg")
    else
      dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing Debian packages: ${missing[*]}"
    # Try with the package lists we have; refresh them once if that fails (a fresh machine has none).
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }
  else
    echo "Missing Debian packages: ${missing[*]} (run as root or install them yourself)" >&2
    return 1
  fi
}

find_python() {
  if [ -n "$PY" ]; then echo "$PY"; return; fi
  for c in python3.11 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)'; then
      command -v "$c"; return
    fi
  done
  echo "Gongjian needs Python 3.11 (python3.11 not found)." >&2
  exit 1
}

ensure_venv() {
  local lock="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtual environment (.venv)"
    "$(find_python)" -m venv "$VENV"
  fi
  if [ ! -x "$VENV/bin/uv" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check uv
  fi
  say "Installing Python packages from $lock"
  "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" -r "$lock"
  "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" --no-deps -e .
}

ensure_npm() {
  ensure_debs nodejs:node npm:npm
  if [ ! -d node_modules/@tabler/core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "Installing front-end packages (npm ci)"
    npm ci --silent --no-audit --no-fund
  fi
}
