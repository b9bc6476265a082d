"""Report and figures: built from stored files only, deterministic, readable."""

from __future__ import annotations

import builtins
import sys

import pytest

from simulation.cli import main
from simulation.experiments.sweep import sweep

GRID = {"type": "grid", "parameters": {"dynamics.tension.noise": {"values": [0.01, 0.05], "unit": "sd per year"},
                                       "dynamics.threats.emergence": {"values": [0.02, 0.08]}}}


def test_report_and_figures_are_rebuilt_identically_without_the_model(make_experiment, tmp_path, read_bytes, monkeypatch, capsys):
    figures = [{"kind": "comparison"}, {"kind": "differences"}, {"kind": "heatmap", "metrics": ["mean_tension"]},
               {"kind": "timeseries", "metrics": ["mean_tension", "cohesion@Atlantic"]}]
    out = tmp_path / "r"
    sweep(make_experiment(design=GRID, figures=figures), out=out, executor="serial")
    first = read_bytes(out, "report.md", "figures/*", "summary.csv")
    assert {f"figures/{k}.{e}" for k in ("comparison", "differences", "heatmap", "timeseries") for e in ("png", "svg")} <= set(first)
    report = first["report.md"].decode()
    assert "![" in report and "## Paired differences from `tiny_a`" in report and "95% CI" in report
    # rebuild with the model made unimportable: analysis reads only stored files
    for name in [m for m in sys.modules if m in ("simulation.model", "simulation.runner")]:
        monkeypatch.delitem(sys.modules, name)
    real_import = builtins.__import__

    def guarded(name, *args, **kwargs):
        if name in ("simulation.model", "simulation.runner"):
            raise ImportError(f"{name} must not be imported by report")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", guarded)
    (out / "summary.csv").unlink()
    assert main(["report", str(out)]) == 0
    assert read_bytes(out, "report.md", "figures/*", "summary.csv") == first


def test_default_figures_fit_the_design(make_experiment, tmp_path):
    out = tmp_path / "r"
    sweep(make_experiment(), out=out, executor="serial")
    assert sorted(p.name for p in (out / "figures").glob("*.png")) == ["comparison.png", "differences.png"]


SAMPLED = {
    "lhs": ({"samples": 14}, 14),
    "sobol": ({"samples": 4, "second_order": False}, 4 * (2 + 2)),
    "morris": ({"samples": 5, "levels": 4}, 5 * (2 + 1)),
}


@pytest.mark.parametrize("kind", sorted(SAMPLED))
def test_sampled_designs_report(make_experiment, tmp_path, kind):
    extra, points = SAMPLED[kind]
    design = {"type": kind, **extra, "parameters": {"dynamics.tension.noise": {"low": 0.0, "high": 0.1, "label": "noise"},
                                                   "dynamics.threats.emergence": {"low": 0.0, "high": 0.1}}}
    out = tmp_path / "r"
    result = sweep(make_experiment(design=design, replications=1), out=out, executor="serial")
    assert result.ok == 2 * points
    report = (out / "report.md").read_text()
    assert f"pooled over {points} design points" in report
    if kind != "lhs":
        assert (out / "figures" / f"{kind}.png").exists() and (out / "figures" / f"{kind}.svg").exists()
