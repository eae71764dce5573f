#!/usr/bin/env bash
# Runs every test of the solution, then prints one summary line "Tests: N passed, N failed, N skipped".
# Installs, when run as root on Debian, the system packages that some tests use (listed in tests/apt-packages.txt).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && [ -s tests/apt-packages.txt ]; then
  missing=()
  while read -r pkg; do
    [ -z "$pkg" ] || [ "${pkg#\#}" != "$pkg" ] && continue
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done < tests/apt-packages.txt
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing test prerequisites: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test FedMesh.sln -c Release 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# dotnet test prints one line per test assembly: "Passed!  - Failed: 0, Passed: 42, Skipped: 1, Total: 43, ..."
awk '/(Passed|Failed)! +- +Failed:/ {
       gsub(",", "");
       for (i = 1; i <= NF; i++) {
         if ($i == "Failed:") f += $(i+1);
         if ($i == "Passed:") p += $(i+1);
         if ($i == "Skipped:") s += $(i+1);
       }
     }
     END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
