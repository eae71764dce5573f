#!/usr/bin/env bash
# Issue 16, real processes: N `fedmesh run` daemons (default 32) on loopback in gossip.mode = "neighbours" (the
# default), built-in byte model, each node one era of the shipped SOTU corpus (fedmesh-demo's split), privacy OFF
# (the figure is about the overlay and convergence, not DP utility), few rounds. Every node is scored on the global
# held-out addresses (every era, in no node's data) against its own local-only baseline trained on the same steps
# without exchange; bytes sent + received, peak RSS and the most sessions seen are taken per node.
#
# Usage: [NODES=32] [ROUNDS=6] [STEPS=5] [PERIOD=30] [OUT=DIR] tests/bench/overlay-daemons.sh
# Prints fedmesh-demo's --json summary (node_mesh_bpc, node_local_only_bpc, nodes_better_than_local_only, node_bytes,
# node_peak_rss_mb, node_max_peers) followed by one line: machine, load average before and after.
#
# Memory: each daemon is a TorchSharp process with one libtorch thread (learning.threads = 1, as in the demo):
# peak RSS 413-453 MB over 20 rounds (the learner trims glibc's heap after each round; measured 2026-12-05), part of
# it libtorch's shared pages: 32 daemons took ≈ 7 GiB (available memory 22 -> 15.7 GiB). Held-out
# evaluation is kept small (--node-eval-bytes 4096 per node and round, --eval-bytes 32768 for the final scores).
set -euo pipefail
cd "$(dirname "$0")/../.."
nodes=${NODES:-32}
rounds=${ROUNDS:-6}
steps=${STEPS:-5}
period=${PERIOD:-30}
out=${OUT:-$(mktemp -d /tmp/fedmesh-overlay-XXXXXX)}
dotnet build node/Demo -c Release -v q -nologo >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# Fanout 3 (the node default) and the default [membership] view: each node talks to a few view peers a round.
# The local-only baseline gets the nodes' own schedule (rounds × steps steps of the same batch and rate).
dotnet node/Demo/bin/Release/net10.0/fedmesh-demo.dll --nodes "$nodes" --rounds "$rounds" --steps "$steps" --batch 16 --lr 1e-2 \
  --fanout 3 --period "$period" --privacy off --local-only-steps $((rounds * steps)) --local-only-batch 16 \
  --eval-bytes 32768 --node-eval-bytes 4096 --out "$out" --json
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg); node folders and logs: $out"
