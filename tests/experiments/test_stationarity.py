"""The burn-in check (two halves of the summary window) and metrics summarised over their
own steps (two windows in one experiment)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from simulation.experiments import stationarity
from simulation.experiments.analysis import StoredResults
from simulation.experiments.schema import MetricRef, load_experiment
from simulation.experiments.sweep import sweep
from simulation.errors import UserError


def test_window_steps_and_halves_follow_the_summary_rule():
    steps = np.arange(11)
    plain = MetricRef(metric="mean_tension")
    assert stationarity.window_steps(steps, plain, 6).tolist() == [5, 6, 7, 8, 9, 10]
    assert stationarity.window_steps(steps, MetricRef(metric="mean_tension", steps=(0, 4)), 6).tolist() == [1, 2, 3, 4]
    values = steps.astype(float)
    assert stationarity.halves(steps, values, np.array([5, 6, 7, 8, 9, 10])) == (6.0, 9.0)
    assert stationarity.halves(steps, values, np.array([4, 5, 6, 7, 8])) == (4.5, 7.5)  # middle step left out
    assert all(np.isnan(stationarity.halves(steps, values, np.array([3]))))


def test_report_flags_a_drifting_metric_and_passes_a_settled_one(make_experiment, tmp_path):
    """Measured autonomy is a stock that falls every year the leader imposes, so its halves
    differ in every run; an alliance that never dissolves has survival 1 in both halves."""
    out = tmp_path / "r"
    metrics = ["mean_autonomy", "survival@Atlantic", {"metric": "size", "scope": "Atlantic", "statistic": "final"}]
    sweep(make_experiment(summary={"metrics": metrics, "window": 8}), out=out, executor="serial")
    res = StoredResults.load(out)
    table = stationarity.check(res)
    assert set(table["metric"]) == {"mean_autonomy", "survival@Atlantic"}  # a final value has no halves
    autonomy = table[(table["metric"] == "mean_autonomy") & (table["scenario"] == "tiny_a")]  # tiny_a has the alliance
    assert len(autonomy) == 1 and (autonomy["drift"] < 0).all() and (autonomy["agree"] == False).all()  # noqa: E712
    survival = table[(table["metric"] == "survival@Atlantic") & (table["scenario"] == "tiny_a")]
    assert (survival["drift"] == 0).all() and (survival["agree"] == True).all()  # noqa: E712
    report = (out / "report.md").read_text()
    assert "## Burn-in check" in report and "**The halves do not agree**" in report and "`mean_autonomy`" in report
    assert "Not checked (not a window mean): `size@Atlantic`" in report


def test_own_steps_give_a_second_window_in_the_same_experiment(make_experiment, tmp_path):
    out = tmp_path / "r"
    metrics = ["mean_tension", {"metric": "mean_tension", "steps": [1, 4]}, {"metric": "cohesion", "scope": "Atlantic", "steps": [2, 3]}]
    sweep(make_experiment(summary={"metrics": metrics, "window": 5}), out=out, executor="serial")
    summary = pd.read_csv(out / "summary.csv")
    assert {"mean_tension", "mean_tension[1-4]", "cohesion@Atlantic[2-3]"} <= set(summary.columns)
    row = summary.iloc[0]
    series = pq.read_table(out / "runs" / f"{row['run_id']}.parquet").to_pandas()
    tension = series[(series["metric"] == "mean_tension") & (series["scope"] == "world")].set_index("step")["value"]
    cohesion = series[(series["metric"] == "cohesion") & (series["scope"] == "Atlantic")].set_index("step")["value"]
    assert row["mean_tension[1-4]"] == pytest.approx(tension.loc[1:4].mean())
    assert row["mean_tension"] == pytest.approx(tension.loc[6:10].mean())
    assert row["cohesion@Atlantic[2-3]"] == pytest.approx(cohesion.loc[2:3].mean())
    assert "mean dyadic tension T, steps 1-4" in (out / "report.md").read_text()


def test_steps_out_of_order_are_refused_at_their_line(make_experiment):
    path = make_experiment(summary={"metrics": [{"metric": "mean_tension", "steps": [9, 3]}]})
    with pytest.raises(UserError) as err:
        load_experiment(path)
    assert "last >= first" in str(err.value) and "summary.metrics.0.steps" in str(err.value)


# ---------------------------------------------------------------- seeds per point or trajectory
MORRIS = {"type": "morris", "samples": 3, "levels": 4,
          "parameters": {"dynamics.tension.noise": {"low": 0.0, "high": 0.1}, "dynamics.threats.emergence": {"low": 0.0, "high": 0.1}}}


def _plan(make_experiment, **design):
    from simulation.experiments.plan import build_plan

    return build_plan(load_experiment(make_experiment(design={**MORRIS, **design}, replications=2)))


def test_trajectories_get_worlds_of_their_own_and_share_them_inside(make_experiment):
    runs = _plan(make_experiment, seed_per="trajectory").runs
    seed = {(r.scenario, r.point, r.replication): r.seed for r in runs}
    per_trajectory = 3  # D + 1
    for (label, point, rep), s in seed.items():
        assert s == seed[("tiny_a", point, rep)]  # scenarios share seeds (common random numbers)
        assert s == seed[(label, point - point % per_trajectory, rep)]  # one world along a trajectory
    firsts = {seed[("tiny_a", t * per_trajectory, 0)] for t in range(3)}
    assert len(firsts) == 3  # a new world per trajectory
    assert len({seed[("tiny_a", 0, r)] for r in range(2)}) == 2


def test_seed_per_point_and_the_default(make_experiment):
    point = _plan(make_experiment, seed_per="point").runs
    assert len({r.seed for r in point if r.replication == 0}) == 9  # 3 trajectories x 3 points
    default = _plan(make_experiment).runs
    assert len({r.seed for r in default if r.replication == 0}) == 1  # replication k: one seed everywhere


def test_trajectory_seeds_need_a_morris_design(make_experiment):
    path = make_experiment(design={"type": "lhs", "samples": 4, "seed_per": "trajectory",
                                   "parameters": {"dynamics.tension.noise": {"low": 0.0, "high": 0.1}}})
    with pytest.raises(UserError) as err:
        load_experiment(path)
    assert "design.seed_per" in str(err.value) and "morris" in str(err.value)


# ---------------------------------------------------------------- Sobol: the world as one more factor
SOBOL = {"type": "sobol", "samples": 4, "second_order": False,
         "parameters": {"dynamics.tension.noise": {"low": 0.0, "high": 0.1}, "dynamics.threats.emergence": {"low": 0.0, "high": 0.1}}}


@pytest.mark.parametrize("second_order", [False, True])
def test_sobol_pairs_that_differ_in_one_parameter_share_their_world(make_experiment, second_order):
    from simulation.experiments.plan import build_plan

    plan = build_plan(load_experiment(make_experiment(design={**SOBOL, "seed_per": "sample", "second_order": second_order},
                                                      replications=2)))
    d = 2
    block = 2 * d + 2 if second_order else d + 2
    seed = {(r.scenario, r.point, r.replication): r.seed for r in plan.runs}
    for i in range(4):
        a = seed[("tiny_a", i * block, 0)]
        b = seed[("tiny_a", i * block + block - 1, 0)]
        assert a != b  # A and B: two worlds
        for j in range(1, d + 1):  # AB_j: A's world
            assert seed[("tiny_a", i * block + j, 0)] == a == seed[("tiny_b", i * block + j, 0)]
        for j in range(d + 1, block - 1):  # BA_j (second order): B's world
            assert seed[("tiny_a", i * block + j, 0)] == b
    assert len({seed[("tiny_a", i * block, 0)] for i in range(4)}) == 4  # a new world per base sample
    assert seed[("tiny_a", 0, 0)] != seed[("tiny_a", 0, 1)]


def test_sample_seeds_need_a_sobol_design(make_experiment):
    path = make_experiment(design={**MORRIS, "seed_per": "sample"})
    with pytest.raises(UserError) as err:
        load_experiment(path)
    assert "design.seed_per" in str(err.value) and "sobol" in str(err.value)


def test_an_inert_parameter_has_no_total_index_when_worlds_are_shared_in_pairs():
    """Metamorphic: with a noisy model y = x1 + world noise and an inert x2, seeds shared along
    the A/AB pairs give x2 a total index of exactly 0; a new world at every point gives it the
    noise's share (what experiments/sobol_top10.yaml measured before this scheme)."""
    import numpy as np
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    from simulation.experiments.seeds import group_seeds, seed_groups

    problem = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[0, 1], [0, 1]]}
    x = sobol_sample.sample(problem, 256, calc_second_order=False, seed=3)

    def model(groups):
        worlds = [group_seeds(7, g, 1)[0] for g in groups]
        noise = np.array([np.random.default_rng(w).normal(0, 0.5) for w in worlds])
        return x[:, 0] + noise

    shared = sobol_analyze.analyze(problem, model(seed_groups("sample", len(x), 3, sobol_block=4)), calc_second_order=False,
                                   num_resamples=50, seed=1)
    fresh = sobol_analyze.analyze(problem, model(seed_groups("point", len(x), 3)), calc_second_order=False,
                                  num_resamples=50, seed=1)
    assert shared["ST"][1] == pytest.approx(0.0, abs=1e-12)
    assert fresh["ST"][1] > 0.3  # the noise, 0.25 / (1/12 + 0.25) = 0.75 of the variance, counted for x2
    assert shared["S1"][0] == pytest.approx(1 / 12 / (1 / 12 + 0.25), abs=0.15)
