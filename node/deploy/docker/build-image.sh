#!/usr/bin/env bash
# Builds the FedMesh node image without pulling anything from a registry (README.md, "Run with Docker"):
#   node/deploy/docker/build-image.sh [TAG]        (default fedmesh:latest; uses DOCKER_HOST like docker does)
# 1. self-contained publish of the fedmesh CLI for linux-x64 (the .NET runtime included, no base image needed);
# 2. trimmed of what a node never loads (libtorch_python, libtorch's test and mobile backends, debugger and tracing
#    libraries, the plotting libraries of `fedmesh bench`);
# 3. the native libraries it does load, found with ldd (glibc, libstdc++, libgcc_s) plus OpenSSL (SHA-256 and
#    the other hashes of System.Security.Cryptography), copied at their paths into a rootfs with /etc/passwd, /tmp,
#    the state directory owned by uid 10001 and a default /etc/fedmesh/fedmesh.toml written by `fedmesh init --system`;
# 4. `docker build` of Dockerfile (FROM scratch + that rootfs as one tar layer).
# Prints the image size. Needs: the .NET SDK, ldd, tar, docker (root or the docker group).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
tag=${1:-fedmesh:latest}
# The fedmesh CLI project (Program + CLI only: no demo, bench or test-kit code in the image).
project=${FEDMESH_CLI_PROJECT:-$repo/node/Cli/fedmesh.csproj}

work=$(mktemp -d "${TMPDIR:-/tmp}/fedmesh-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
app="$rootfs/opt/fedmesh"

echo "publishing $project"
dotnet publish "$project" -c Release -r linux-x64 --self-contained -p:DebugType=none -p:DebugSymbols=false -o "$app" >"$work/publish.log" 2>&1 \
  || { tail -30 "$work/publish.log" >&2; exit 1; }

# Not loaded by a node: Python bindings and libtorch's own test/mobile backends; the debugger (DAC/DBI) and LTTng
# tracing libraries; createdump; SkiaSharp/HarfBuzz (ScottPlot charts of `fedmesh bench`, not served in the image).
( cd "$app" && rm -f libtorch_python.so libtorchbind_test.so libjitbackend_test.so libbackend_with_compiler.so \
    libaoti_custom_ops.so libnnapi_backend.so libshm.so torch_shm_manager libmscordbi.so libmscordaccore.so \
    libcoreclrtraceptprovider.so createdump libSkiaSharp.so libHarfBuzzSharp.so )

# Native dependencies at their host paths (the dynamic loader searches the same multiarch folders in the image).
copy_lib() {
  local lib=$1
  [ -e "$rootfs$lib" ] && return
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
}
libs=$( { find "$app" -type f \( -name '*.so' -o -name '*.so.*' -o -name fedmesh \) -exec ldd {} \; 2>/dev/null || true; \
          ldd /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3; } \
        | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' | grep -v "^$app" | sort -u)
for lib in $libs /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3; do copy_lib "$lib"; done
# The program interpreter named in every ELF header.
copy_lib /lib64/ld-linux-x86-64.so.2

mkdir -p "$rootfs/etc/fedmesh" "$rootfs/tmp" "$rootfs/var/lib/fedmesh" "$rootfs/data"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nfedmesh:x:10001:10001:FedMesh node:/var/lib/fedmesh:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nfedmesh:x:10001:\n' >"$rootfs/etc/group"
# Peers by name (docker networks' embedded DNS): files first, then DNS.
printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"

# The default configuration: the service layout, listening on all addresses, metrics open to the container network
# (the admin API stays on loopback: `docker exec NODE fedmesh status`), data mounted read-only at /data.
# The identity key init makes is thrown away: each container makes its own on first start, in its volume.
"$app/fedmesh" init --system --root "$work/init" --name node --listen-address "::" --metrics-listen "0.0.0.0:9464" \
  --admin-listen "127.0.0.1:9465" --data /data >"$work/init.log"
cp "$work/init/etc/fedmesh/fedmesh.toml" "$rootfs/etc/fedmesh/fedmesh.toml"
chmod 0644 "$rootfs/etc/fedmesh/fedmesh.toml"
chown 10001:10001 "$rootfs/var/lib/fedmesh"
chmod 0700 "$rootfs/var/lib/fedmesh"

tar -C "$rootfs" --numeric-owner -cf "$work/rootfs.tar" .
cp "$here/Dockerfile" "$work/Dockerfile"
revision=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
# The legacy builder (docker.io 20.10) is enough for FROM scratch + ADD; its output is shown only if it fails.
docker build --build-arg "REVISION=$revision" -t "$tag" -f "$work/Dockerfile" "$work" >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 1; }
size=$(docker image inspect "$tag" --format '{{.Size}}')
echo "built $tag ($revision): $((size / 1024 / 1024)) MiB"
