#!/usr/bin/env bash
# Issue 16: partition-heal, churn and byzantine-30 (seven attacks, attackers absent, plain mean without reputation)
# in neighbours and flood mode on the real runtime (netsim run). Figures are exact (virtual time), not timing.
# Usage: [OUT=DIR] tests/bench/netsim-modes.sh   -> one JSON summary + rounds.csv per run under DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-$(mktemp -d /tmp/fedmesh-netsim-modes-XXXXXX)}
dotnet build netsim -c Release -v q -nologo >&2
run() { dotnet netsim/bin/Release/net10.0/netsim.dll run "$@" --json --no-plots; }
for mode in neighbours flood; do
  run netsim/scenarios/partition-heal.toml --mode $mode --out "$out/ph-$mode" > "$out/ph-$mode.json"
  run netsim/scenarios/partition-heal.toml --mode $mode --no-events --out "$out/phx-$mode" > "$out/phx-$mode.json"
  run netsim/scenarios/churn.toml --mode $mode --out "$out/ch-$mode" > "$out/ch-$mode.json"
  run netsim/scenarios/byzantine-30.toml --mode $mode --attackers-absent --out "$out/bz-absent-$mode" > "$out/bz-absent-$mode.json"
  run netsim/scenarios/byzantine-30.toml --mode $mode --rule mean --no-reputation --out "$out/bz-meanonly-$mode" > "$out/bz-meanonly-$mode.json"
  for a in sign_flip scaling gaussian_noise alie ipm replay free_rider; do
    sed "s/^attack = .*/attack = \"$a\"/" netsim/scenarios/byzantine-30.toml > "$out/byz-$a.toml"
    run "$out/byz-$a.toml" --mode $mode --out "$out/bz-$a-$mode" > "$out/bz-$a-$mode.json"
  done
done
echo "results in $out (final_mean_distance_to_optimum per run; per-round mean_loss in each rounds.csv)"
