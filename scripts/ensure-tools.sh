#!/usr/bin/env bash
# Makes sure the external binaries used by the integration tests are present,
# installing the missing Debian packages when running as root.
#
# Idempotent and fast when everything is there: only bash builtins run on
# that path (it is the first step of `npm test`).
#
# ENSURE_TOOLS_PG_ROOT overrides /usr/lib/postgresql so the "missing" path
# can be exercised without uninstalling anything.
set -euo pipefail

pg_root="${ENSURE_TOOLS_PG_ROOT:-/usr/lib/postgresql}"

# tool -> Debian package, in a stable order
tools=(promtool vmagent vmalert amtool prometheus-postgres-exporter initdb)
declare -A package_of=(
  [promtool]=prometheus
  [vmagent]=victoria-metrics
  [vmalert]=victoria-metrics
  [amtool]=prometheus-alertmanager
  [prometheus-postgres-exporter]=prometheus-postgres-exporter
  [initdb]=postgresql
)

have_tool() {
  if [[ "$1" == initdb ]]; then
    # Debian keeps the server binaries off PATH, in /usr/lib/postgresql/<major>/bin.
    local candidate
    for candidate in "$pg_root"/*/bin/initdb; do
      [[ -x "$candidate" ]] && return 0
    done
  fi
  command -v "$1" >/dev/null 2>&1
}

missing_packages() {
  local tool pkg
  local -A seen=()
  for tool in "${tools[@]}"; do
    pkg="${package_of[$tool]}"
    if ! have_tool "$tool" && [[ -z "${seen[$pkg]:-}" ]]; then
      seen[$pkg]=1
      printf '%s\n' "$pkg"
    fi
  done
}

mapfile -t missing < <(missing_packages)

if ((${#missing[@]} == 0)); then
  echo "ensure-tools: all present (${tools[*]})"
  exit 0
fi

install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"

if ((EUID != 0)); then
  {
    echo "ensure-tools: missing Debian packages: ${missing[*]}"
    echo "ensure-tools: install them as root with:"
    echo "  $install_cmd"
    echo "ensure-tools: or run: sudo bash scripts/ensure-tools.sh"
  } >&2
  exit 1
fi

echo "ensure-tools: installing ${missing[*]}" >&2
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

# A package can install fine yet not provide the expected binary (renamed
# upstream, different distribution); fail here rather than in a test.
mapfile -t still_missing < <(missing_packages)
if ((${#still_missing[@]} > 0)); then
  echo "ensure-tools: still missing after install: ${still_missing[*]}" >&2
  exit 1
fi
echo "ensure-tools: installed ${missing[*]}"
