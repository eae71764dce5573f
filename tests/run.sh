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
docker_started=""
cleanup() {
  rm -f "$log"
  if [ -n "$docker_started" ]; then tests/docker/dockerd-netns.sh stop || true; fi
}
trap cleanup EXIT
set +e
# Everything but the container suite, which needs a Docker daemon and runs below.
dotnet test FedMesh.sln -c Release --filter "Category!=Containers" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# The container suite (tests/FedMesh.Containers.Tests, issue 17): as root with docker.io, a private dockerd in its own
# network namespace (tests/docker/dockerd-netns.sh), the node image built with no registry pull, and the tests run
# inside that namespace (the containers' network is only there). Otherwise the suite runs and skips, saying why.
containers_env=()
containers_prefix=()
if [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null && command -v nsenter >/dev/null; then
  if docker_host=$(tests/docker/dockerd-netns.sh start); then
    docker_started=1
    export DOCKER_HOST="$docker_host" DOCKER_API_VERSION=1.41
    started=$(date +%s)
    built=$(node/deploy/docker/build-image.sh fedmesh:test 2>&1)
    built_status=$?
    echo "$built" | tee -a "$log"
    if [ "$built_status" = 0 ]; then
      echo "image built in $(( $(date +%s) - started )) s"
      containers_env=(DOCKER_HOST="$docker_host" DOCKER_API_VERSION=1.41 TESTCONTAINERS_RYUK_DISABLED=true FEDMESH_TEST_IMAGE=fedmesh:test)
      containers_prefix=(nsenter --net=/run/netns/"${FEDMESH_DOCKER_NETNS:-fedmesh-docker}")
    else
      echo "container suite: the image did not build; the suite will skip" | tee -a "$log"
    fi
  else
    echo "container suite: could not start dockerd in a network namespace; the suite will skip" | tee -a "$log"
  fi
else
  echo "container suite: needs root and dockerd (Debian package docker.io) to start a private Docker daemon; the suite will skip" | tee -a "$log"
fi
started=$(date +%s)
env "${containers_env[@]}" "${containers_prefix[@]}" dotnet test tests/FedMesh.Containers.Tests -c Release --no-build --filter "Category=Containers" 2>&1 | tee -a "$log"
containers_status=${PIPESTATUS[0]}
echo "container suite: $(( $(date +%s) - started )) s"
[ "$status" = 0 ] && status=$containers_status
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
