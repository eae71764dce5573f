#!/usr/bin/env python3
"""The table of tests/bench/netsim-modes.sh from its output folder: per mode, each figure per seed and the mean."""
import csv
import glob
import json
import os
import re
import statistics
import sys

ATTACKS = ["sign_flip", "scaling", "gaussian_noise", "alie", "ipm", "replay", "free_rider"]
HEAL_ROUND = 18  # partition-heal.toml's heal event
WINDOW = (20, 40)  # churn: rounds 21-40, the second half of churn.toml's 40 rounds
# byzantine-30's yardstick: the mean distance over rounds 21-40 (its 40 rounds' second half). After round ~15 the
# distance sits on a plateau that moves +-10 % from round to round, so the final round alone is a noisy sample (per-seed
# spread ~5 points against 1.2-1.7 on this mean; netsim/scenarios/README.md, "ALIE in neighbours mode").
PLATEAU = (21, 40)


def load(folder, name):
    with open(os.path.join(folder, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def rounds(folder, name):
    with open(os.path.join(folder, name, "rounds.csv"), encoding="utf-8") as f:
        return list(csv.DictReader(f))


def plateau(folder, name):
    return statistics.mean(float(r["mean_distance_to_optimum"]) for r in rounds(folder, name)
                           if PLATEAU[0] <= int(r["round"]) <= PLATEAU[1])


def mean_sd(xs):
    return statistics.mean(xs), (statistics.stdev(xs) if len(xs) > 1 else 0.0)


def main(folder):
    # Seed tags from either mode's runs (netsim-modes.sh MODES=flood writes no neighbours runs).
    tags = sorted({m.group(1) for p in glob.glob(os.path.join(folder, "ph-*.json"))
                   if (m := re.match(r"ph-(?:neighbours|flood)(.*)\.json$", os.path.basename(p)))})
    # The modes the folder holds (netsim-modes.sh MODES=...), in this order.
    for mode in [m for m in ["neighbours", "flood"] if glob.glob(os.path.join(folder, f"ph-{m}*.json"))]:
        print(f"== {mode} ({len(tags)} seed{'s' if len(tags) != 1 else ''}: {' '.join(t or 'file' for t in tags)})")
        heal, dist_ratio, final_ratio, churn, churn_bytes = [], [], [], [], []
        attacks = {a: [] for a in ATTACKS}
        plateaus = {a: [] for a in ATTACKS}
        absent, meanonly = [], []
        for t in tags:
            ph, phx = rounds(folder, f"ph-{mode}{t}"), rounds(folder, f"phx-{mode}{t}")
            rel = [abs(float(a["mean_loss"]) / float(b["mean_loss"]) - 1) for a, b in zip(ph, phx)]
            heal.append(next(i + 1 for i in range(len(rel)) if all(x <= 0.01 for x in rel[i:])) if rel[-1] <= 0.01 else None)
            d = [float(a["mean_distance_to_optimum"]) / float(b["mean_distance_to_optimum"]) for a, b in zip(ph, phx)]
            dist_ratio.append(statistics.mean(d[HEAL_ROUND:HEAL_ROUND + 3]))
            final_ratio.append(d[-1])
            ch = rounds(folder, f"ch-{mode}{t}")
            churn.append(statistics.mean(float(r["mean_distance_to_optimum"]) for r in ch[WINDOW[0]:WINDOW[1]]))
            churn_bytes.append(load(folder, f"ch-{mode}{t}")["bytes_delivered"])
            a0 = load(folder, f"bz-absent-{mode}{t}")["final_mean_distance_to_optimum"]
            absent.append(a0)
            p0 = plateau(folder, f"bz-absent-{mode}{t}")
            for a in ATTACKS:
                attacks[a].append(load(folder, f"bz-{a}-{mode}{t}")["final_mean_distance_to_optimum"] / a0 - 1)
                plateaus[a].append(plateau(folder, f"bz-{a}-{mode}{t}") / p0 - 1)
            meanonly.append(load(folder, f"bz-meanonly-{mode}{t}")["final_mean_distance_to_optimum"])
        print("partition-heal: first round from which mean loss stays within 1 % of --no-events (heal at 18): "
              + " / ".join(str(h) if h else "never" for h in heal))
        m, s = mean_sd(dist_ratio)
        print(f"partition-heal: distance to the optimum ÷ --no-events's, rounds 19-21: {m:.3f} ± {s:.3f}")
        m, s = mean_sd(final_ratio)
        print(f"partition-heal: the same ratio at the last round (the yardstick: the loss above swings ±10 % between two"
              f" runs' random histories): {m:.3f} ± {s:.3f}")
        m, s = mean_sd(churn)
        print(f"churn: mean distance to the optimum, rounds 21-40: {m:.6f} ± {s:.6f}; bytes delivered {statistics.mean(churn_bytes):,.0f}")
        m, s = mean_sd(absent)
        print(f"byzantine-30, attackers absent: final distance {m:.6f} ± {s:.6f}")
        print(f"  each attack vs the same seed's attackers-absent run: mean distance over rounds {PLATEAU[0]}-{PLATEAU[1]} (the yardstick); final round")
        for a in ATTACKS:
            m, s = mean_sd(plateaus[a])
            fm, fs = mean_sd(attacks[a])
            print(f"  {a:15} {m * 100:+6.1f} ± {s * 100:4.1f} %   ({' / '.join(f'{x * 100:+.1f}' for x in plateaus[a])});"
                  f" final round {fm * 100:+6.1f} ± {fs * 100:4.1f} %")
        print(f"  plain mean, no reputation (sign flip): {' / '.join(f'{x:.3f}' for x in meanonly)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
