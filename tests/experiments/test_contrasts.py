"""Factorial contrasts: the paired arithmetic on a hand-made summary, the survive / reverse /
vanish classification, the factorial: block's checks, and the report section on a tiny sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.errors import UserError
from simulation.experiments import contrasts
from simulation.experiments.schema import Factorial, load_experiment
from simulation.experiments.store import ResultsFolder
from simulation.experiments.sweep import sweep

#: t quantile 0.975 with 3 degrees of freedom, from a printed table of Student's t.
T_975_3 = 3.18244630528

SPEC = Factorial(
    factors={"rule": ["none", "x", "y"], "coverage": ["free", "frozen"]},
    compare=("x", "y"),
    arms={"none": {"rule": "none"},
          "x_free": {"rule": "x", "coverage": "free"}, "x_frozen": {"rule": "x", "coverage": "frozen"},
          "y_free": {"rule": "y", "coverage": "free"}, "y_frozen": {"rule": "y", "coverage": "frozen"},
          "null_x": {"rule": "x", "null_arm": True}},
)


def _summary(values: dict[str, list[float]]) -> pd.DataFrame:
    """summary.csv rows: one per arm and replication (4 replications, shared seeds)."""
    rows = [{"scenario": arm, "point": 0, "replication": k, "seed": 100 + k, "status": "ok", "m": v}
            for arm, vs in values.items() for k, v in enumerate(vs)]
    return pd.DataFrame(rows)


VALUES = {"none": [0, 0, 1, 1], "x_free": [1, 2, 3, 4], "x_frozen": [1, 2, 3, 4], "y_free": [0, 0, 1, 1],
          "y_frozen": [2, 3, 4, 5], "null_x": [1, 1, 1, 1]}


def test_paired_difference_and_interval_match_a_hand_computation():
    """x_free - y_free pairs to [1, 2, 2, 3]: mean 2, sd sqrt(2/3), half-width t * sd / 2."""
    table = contrasts.contrasts(_summary(VALUES), SPEC, ["m"], 0.95)
    row = table[(table["kind"] == "difference") & (table["control"] == "uncontrolled")].iloc[0]
    half = T_975_3 * np.sqrt(2 / 3) / 2
    assert (row["a"], row["b"], row["n"]) == ("x_free", "y_free", 4)
    assert row["mean"] == pytest.approx(2.0)
    assert row["sd"] == pytest.approx(np.sqrt(2 / 3))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((2 - half, 2 + half), rel=1e-9)
    assert row["sign"] == 1


def test_pairs_are_matched_by_replication_not_by_row_order():
    shuffled = _summary(VALUES).sample(frac=1.0, random_state=3)
    table = contrasts.contrasts(shuffled, SPEC, ["m"], 0.95)
    row = table[(table["kind"] == "difference") & (table["control"] == "uncontrolled")].iloc[0]
    assert row["mean"] == pytest.approx(2.0) and row["sd"] == pytest.approx(np.sqrt(2 / 3))


def test_each_control_gets_a_verdict_against_the_uncontrolled_difference():
    """Frozen: x_frozen - y_frozen = [-1, -1, -1, -1], a constant: sd 0, so the interval is
    the point -1, which excludes 0 with the other sign: the difference reverses."""
    table = contrasts.contrasts(_summary(VALUES), SPEC, ["m"], 0.95)
    frozen = table[(table["kind"] == "difference") & (table["control"] == "coverage frozen")].iloc[0]
    assert (frozen["mean"], frozen["ci_low"], frozen["ci_high"]) == (-1.0, -1.0, -1.0)
    assert frozen["verdict"] == "reverses"
    assert table.loc[(table["kind"] == "difference") & (table["control"] == "uncontrolled"), "verdict"].tolist() == [""]


def test_arms_are_compared_with_the_reference_and_with_their_null_arm():
    table = contrasts.contrasts(_summary(VALUES), SPEC, ["m"], 0.95)
    ref = table[(table["kind"] == "vs_reference") & (table["a"] == "x_free")].iloc[0]
    assert ref["b"] == "none" and ref["mean"] == pytest.approx(2.0)  # [1, 2, 2, 3]
    nulls = table[table["kind"] == "vs_null"]
    assert set(nulls["a"]) == {"x_free", "x_frozen"}  # the null arm names no coverage: it serves both
    assert nulls[nulls["a"] == "x_free"]["mean"].iloc[0] == pytest.approx(1.5)  # [0, 1, 2, 3]
    assert "y_free" not in set(nulls["a"])  # y has no null arm
    assert contrasts.null_arm(SPEC, "y_free") is None and contrasts.null_arm(SPEC, "x_frozen") == "null_x"


def test_failed_runs_and_blank_cells_drop_out_of_the_pairs():
    data = _summary(VALUES)
    data.loc[(data["scenario"] == "y_free") & (data["replication"] == 0), "m"] = np.nan
    table = contrasts.contrasts(data, SPEC, ["m"], 0.95)
    row = table[(table["kind"] == "difference") & (table["control"] == "uncontrolled")].iloc[0]
    assert row["n"] == 3 and row["mean"] == pytest.approx(7 / 3)  # [2, 2, 3]


@pytest.mark.parametrize("before, after, verdict", [
    (1, 1, "survives"), (-1, -1, "survives"), (1, -1, "reverses"), (-1, 1, "reverses"), (1, 0, "vanishes"),
    (-1, 0, "vanishes"), (0, 1, "appears"), (0, -1, "appears"), (0, 0, "absent"), (None, 1, "–"), (1, None, "–")])
def test_change_classifies_every_pair_of_signs(before, after, verdict):
    assert contrasts.change(before, after) == verdict


def test_sign_reads_which_side_of_zero_the_interval_lies():
    assert contrasts.sign(0.1, 0.3) == 1 and contrasts.sign(-0.3, -0.1) == -1 and contrasts.sign(-0.1, 0.2) == 0
    assert contrasts.sign(0.0, 0.2) == 0  # touching 0 does not exclude it
    assert contrasts.sign(np.nan, np.nan) is None


def test_control_combinations_start_uncontrolled_and_are_named_by_what_moved():
    spec = Factorial(factors={"rule": ["none", "a", "b"], "coverage": ["free", "frozen"], "bundle": ["defaults", "equal"]},
                     compare=("a", "b"), arms={"r": {"rule": "none"}})
    names = [contrasts.control_name(spec, c) for c in contrasts.control_combinations(spec)]
    assert names == ["uncontrolled", "coverage frozen", "bundle equal", "coverage frozen, bundle equal"]


@pytest.mark.parametrize("factorial, path", [
    ({"factors": {"rule": ["none", "a", "b"]}, "compare": ["a", "c"], "arms": {"tiny_a": {"rule": "a"}}}, "factorial.compare.1"),
    ({"factors": {"rule": ["none", "a", "b"]}, "compare": ["none", "a"], "arms": {"tiny_a": {"rule": "a"}}}, "factorial.compare.0"),
    ({"factors": {"rule": ["none", "a", "b"]}, "compare": ["a", "b"], "arms": {"tiny_c": {"rule": "a"}}}, "factorial.arms.tiny_c"),
    ({"factors": {"rule": ["none", "a", "b"]}, "compare": ["a", "b"], "arms": {"tiny_a": {"rule": "q"}}}, "factorial.arms.tiny_a.rule"),
    ({"factors": {"rule": ["none", "a", "b"], "cov": ["f", "z"]}, "compare": ["a", "b"], "arms": {"tiny_a": {"rule": "a"}}},
     "factorial.arms.tiny_a"),
    ({"factors": {"rule": ["none", "a", "b"]}, "compare": ["a", "b"], "arms": {"tiny_a": {"rule": "a"}, "tiny_b": {"rule": "a"}}},
     "factorial.arms.tiny_b"),
    ({"factors": {"rule": ["none"]}, "compare": ["a", "b"], "arms": {"tiny_a": {"rule": "none"}}}, "factorial.factors.rule"),
])
def test_a_wrong_factorial_block_is_one_message_at_its_key(make_experiment, factorial, path):
    with pytest.raises(UserError) as err:
        load_experiment(make_experiment(factorial=factorial))
    assert err.value.path == path and err.value.line is not None


def test_experiments_without_a_factorial_block_store_no_such_key(make_experiment):
    exp = load_experiment(make_experiment()).experiment
    assert "factorial" not in exp.model_dump(mode="json")


def test_the_shipped_factorial_declares_every_arm_and_its_contrasts():
    exp = load_experiment("experiments/headline_factorial.yaml").experiment
    assert set(exp.factorial.arms) == set(exp.labels)
    assert exp.factorial.compare == ("hegemonic", "dialogue")
    assert contrasts.null_arm(exp.factorial, "heg_frozen_equalised") == "null_heg_frozen"
    names = [contrasts.control_name(exp.factorial, c) for c in contrasts.control_combinations(exp.factorial)]
    assert names == ["uncontrolled", "coverage frozen", "bundle equalised", "coverage frozen, bundle equalised"]


TINY_FACTORIAL = {
    "factors": {"rule": ["none", "heg", "dia"], "coverage": ["free", "frozen"]},
    "compare": ["heg", "dia"],
    "arms": {"none": {"rule": "none"}, "heg_free": {"rule": "heg", "coverage": "free"},
             "heg_frozen": {"rule": "heg", "coverage": "frozen"}, "dia_free": {"rule": "dia", "coverage": "free"},
             "dia_frozen": {"rule": "dia", "coverage": "frozen"}, "null_heg": {"rule": "heg", "null_arm": True}},
}


def test_report_of_a_tiny_factorial_has_the_sections_and_contrasts_csv(make_experiment, tmp_path):
    from tests.experiments.conftest import SCENARIOS

    a, b = str(SCENARIOS / "tiny_a.yaml"), str(SCENARIOS / "tiny_b.yaml")
    frozen = {"mechanisms.membership": False}
    scenarios = [{"file": a, "label": "none", "overrides": {"institutions.Atlantic.params.interference": 0.0,
                                                             "institutions.Atlantic.params.umbrella": 0.0}},
                 {"file": a, "label": "heg_free"}, {"file": a, "label": "heg_frozen", "overrides": frozen},
                 {"file": b, "label": "dia_free"}, {"file": b, "label": "dia_frozen", "overrides": frozen},
                 {"file": a, "label": "null_heg", "overrides": {"institutions.Atlantic.params.interference": 0.0}}]
    out = tmp_path / "r"
    sweep(make_experiment(scenarios=scenarios, factorial=TINY_FACTORIAL), out=out, executor="serial")
    report = (out / "report.md").read_text()
    for heading in ("## Factorial contrasts", "### Which heg − dia differences survive each control",
                    "### heg − dia under each control", "### Each arm against `none` and against its null arm",
                    "**Could these conclusions depend on the horizon?**"):
        assert heading in report
    assert report.index("### Which heg") < report.index("### heg − dia under each control")  # compact table first
    table = pd.read_csv(out / "contrasts.csv")
    summary = pd.read_csv(out / "summary.csv")
    row = table[(table["kind"] == "difference") & (table["control"] == "coverage frozen") & (table["metric"] == "mean_tension")].iloc[0]
    x = summary[summary["scenario"] == "heg_frozen"].sort_values("replication")["mean_tension"].to_numpy()
    y = summary[summary["scenario"] == "dia_frozen"].sort_values("replication")["mean_tension"].to_numpy()
    assert row["mean"] == pytest.approx((x - y).mean(), rel=1e-12) and row["n"] == 3
    assert row["verdict"] in ("survives", "reverses", "vanishes", "appears", "absent")
    assert set(table["kind"]) == {"difference", "vs_reference", "vs_null"}
    folder = ResultsFolder(out)
    assert folder.foreign_entries(folder.read_manifest()) == []  # contrasts.csv is the tool's own
    assert "contrasts.csv" in {p.name for p in folder.planned_removal(folder.read_manifest())}
