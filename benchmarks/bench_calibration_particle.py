"""CPU cost of one particle evaluation of a calibration file.  Not a test: it prints one line.

    python benchmarks/bench_calibration_particle.py [calibration/coldwar.yaml] [--particles 7]

Checks the calibration (pilot run included, untimed), then evaluates ``--particles`` parameter
sets drawn uniformly within the priors' ranges (log-uniform for loguniform priors), each with
the file's replications and distance terms, and reports CPU seconds per particle and per run.
Multiply by the expected number of simulations (docs/calibration.md, "The Cold War
calibration: cost") to size a calibration before running it.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from simulation.calibration.checks import check_calibration
from simulation.calibration.schema import load_calibration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("calibration", nargs="?", default="calibration/coldwar.yaml")
    parser.add_argument("--particles", type=int, default=7)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    plan = check_calibration(load_calibration(args.calibration))
    c = plan.source.calibration
    rng = np.random.default_rng(args.seed)

    def draw(prior) -> float:
        if prior.distribution == "loguniform":
            return float(np.exp(rng.uniform(np.log(prior.low), np.log(prior.high))))
        return float(rng.uniform(prior.low, prior.high))

    draws = [{path: draw(prior) for path, prior in c.priors.items()} for _ in range(args.particles)]
    cpu, wall = time.process_time(), time.perf_counter()
    for params in draws:
        plan.model(params)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    runs = c.replications * len(c.hindcasts)
    print(f"{args.calibration}: {args.particles} particles x {runs} runs: {cpu / args.particles:.3f} CPU s per particle, "
          f"{cpu / args.particles / runs:.3f} per run, {args.particles * runs / cpu:.2f} runs per CPU s (wall {wall / args.particles:.3f} s per particle)")


if __name__ == "__main__":
    main()
