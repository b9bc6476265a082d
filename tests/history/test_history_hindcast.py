"""The hindcast path end to end: the ``observed:`` block refused before any run, and a tiny
sweep whose runs leave membership records scored into scores.csv, figures and the report."""

from __future__ import annotations

import builtins
import math
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from history_helpers import CASE_A_OBSERVED, CASE_A_RUN1, CASE_A_RUN2, observed, record
from simulation.cli import main
from simulation.experiments import worker
from simulation.experiments.sweep import sweep
from simulation.history.record import MEMBERSHIPS_DIR
from simulation.history.testing import membership_table, write_membership_file

BLOC = Path(__file__).resolve().parent / "scenarios" / "bloc.yaml"
RUN_FUNCTION = "simulation.history.testing:synthetic_run"
#: The membership record each (scenario label, replication) writes: 'free' has case A's two
#: different runs, 'forced' two copies of its second run.
RECORDS = {("free", 0): CASE_A_RUN1, ("free", 1): CASE_A_RUN2, ("forced", 0): CASE_A_RUN2, ("forced", 1): CASE_A_RUN2}


def experiment(tmp_path: Path, observed_block: str | None, record_table: pd.DataFrame | None = None) -> Path:
    if record_table is not None:
        record_table.to_csv(tmp_path / "observed.csv", index=False)
    text = textwrap.dedent(f"""\
        name: hind
        replications: 2
        seed: 3
        summary:
          metrics: [mean_tension]
        scenarios:
          - {{file: {BLOC}, label: free}}
          - {{file: {BLOC}, label: forced}}
        """) + (textwrap.dedent(observed_block) if observed_block else "")
    path = tmp_path / "hind.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def writes_memberships(monkeypatch):
    """Runs that also write their membership record in the interface's layout, as the
    model's run function will (serial executor: the worker runs in this process)."""
    real = worker.execute_run

    def execute(batch, run, function):
        out = real(batch, run, function)
        rows = record(RECORDS[(run.scenario, run.replication)])
        table = membership_table(rows, run_id=run.run_id, scenario=run.scenario, point=run.point, replication=run.replication, seed=run.seed)
        write_membership_file(Path(batch.out_dir) / MEMBERSHIPS_DIR / f"{run.run_id}.parquet", table)
        return out

    monkeypatch.setattr(worker, "execute_run", execute)


OBSERVED = """\
observed:
  memberships: observed.csv
"""


def test_a_tiny_hindcast_is_scored_end_to_end(tmp_path, writes_memberships, read_bytes, monkeypatch):
    out = tmp_path / "r"
    result = sweep(experiment(tmp_path, OBSERVED, observed(CASE_A_OBSERVED)), out=out, executor="serial", run_function=RUN_FUNCTION)
    assert result.ok == 4
    table = pd.read_csv(out / "scores.csv")
    assert list(table.columns[:7]) == ["scenario", "institution", "score", "model", "baseline_persistence", "baseline_logistic",
                                       "better_than_baselines"]
    got = {(r.scenario, r.score): r for r in table.itertuples()}
    # 'free' is case A of test_history_scores (worked by hand there)
    assert got[("free", "size_rmse")].model == pytest.approx(math.sqrt(0.375))
    assert got[("free", "size_rmse")].baseline_persistence == pytest.approx(math.sqrt(1.5))
    assert got[("free", "size_coverage90")].model == pytest.approx(0.25)
    assert got[("free", "exits_per_decade")].model == pytest.approx(1.25)
    assert got[("free", "join_auc")].model == 1.0 and got[("free", "join_auc")].baseline_persistence == 0.5
    assert got[("free", "join_brier")].model == pytest.approx(0.25 / 3)
    assert got[("free", "timing_mae_years")].model == pytest.approx(5 / 3)
    # 'forced': both runs equal case A's run 2
    assert got[("forced", "size_coverage90")].model == pytest.approx(0.75)
    assert got[("forced", "timing_mae_years")].model == pytest.approx(2.5)
    # the in-sample logistic baseline is fitted from the scenario's states (V far and autocratic, W and Z join)
    assert 0.0 <= got[("free", "join_auc")].baseline_logistic <= 1.0
    assert got[("free", "timing_mae_years")].better_than_baselines == "undefined"
    first = read_bytes(out, "report.md", "scores.csv", "figures/history-*")
    assert {f"figures/history-{k}.{e}" for k in ("sizes", "accession") for e in ("png", "svg")} <= set(first)
    report = first["report.md"].decode()
    assert "## Against the record" in report and "**A** (`free`)" in report and "in-sample" in report
    # rebuilt from the stored files alone, with the model made unimportable: identical bytes
    for name in [m for m in sys.modules if m in ("simulation.model", "simulation.runner")]:
        monkeypatch.delitem(sys.modules, name)
    real_import = builtins.__import__

    def guarded(name, *args, **kwargs):
        if name in ("simulation.model", "simulation.runner"):
            raise ImportError(f"{name} must not be imported by report")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", guarded)
    assert main(["report", str(out)]) == 0
    assert read_bytes(out, "report.md", "scores.csv", "figures/history-*") == first


def test_runs_without_membership_records_are_reported_not_scored(tmp_path):
    out = tmp_path / "r"
    sweep(experiment(tmp_path, OBSERVED, observed(CASE_A_OBSERVED)), out=out, executor="serial", run_function=RUN_FUNCTION)
    table = pd.read_csv(out / "scores.csv")
    assert set(table["better_than_baselines"]) == {"undefined"} and table["model"].isna().all()
    assert table["note"].str.contains("no membership records").all()
    assert "not scored" in (out / "report.md").read_text()


def test_an_experiment_without_observed_writes_no_scores(tmp_path):
    out = tmp_path / "r"
    sweep(experiment(tmp_path, None), out=out, executor="serial", run_function=RUN_FUNCTION)
    assert not (out / "scores.csv").exists() and "Against the record" not in (out / "report.md").read_text()


BAD = {
    "missing file": ("observed:\n  memberships: nowhere.csv\n", "observed.memberships: observed memberships file not found"),
    "empty record": ("observed:\n  memberships: empty.csv\n", "observed.memberships: the record"),
    "not in the record": ("observed:\n  memberships: observed.csv\n  institutions: [A, SCO]\n",
                          "observed.institutions.1: 'SCO' is not in the record"),
    "not in the scenarios": ("observed:\n  memberships: other.csv\n  institutions: [B]\n",
                             "observed.institutions.0: no scenario has an institution 'B'"),
    "none in common": ("observed:\n  memberships: other.csv\n", "observed: no institution of the scenarios (A) is in the record"),
    "unknown key": ("observed:\n  memberships: observed.csv\n  institution: [A]\n", "observed.institution: unknown key"),
    "empty list": ("observed:\n  memberships: observed.csv\n  institutions: []\n", "observed.institutions: expected at least one item"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_observed_block_exits_2_before_any_run(tmp_path, capsys, case):
    block, message = BAD[case]
    observed(CASE_A_OBSERVED).to_csv(tmp_path / "observed.csv", index=False)
    observed({2000: ["X"]}, institution="B").to_csv(tmp_path / "other.csv", index=False)
    (tmp_path / "empty.csv").write_text("institution,year,state,ccode\n")
    path = experiment(tmp_path, block)
    out = tmp_path / "r"
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial"]) == 2
    err = capsys.readouterr().err
    line = path.read_text().splitlines().index(block.splitlines()[0]) + 1
    assert err.startswith(f"error: {path}:") and message in err, err
    assert f"{path}:{line}:" in err or f"{path}:{line + 1}:" in err or f"{path}:{line + 2}:" in err, err
    assert not out.exists()  # nothing written, nothing run


def test_a_bad_row_in_the_record_is_named_with_its_line(tmp_path, capsys):
    (tmp_path / "observed.csv").write_text("institution,year,state,ccode\nA,2000,X,2\nA,twenty,Y,3\n")
    path = experiment(tmp_path, OBSERVED)
    assert main(["sweep", str(path), "--out", str(tmp_path / "r"), "--executor", "serial"]) == 2
    err = capsys.readouterr().err
    assert "observed.csv:3: year: expected a whole number (got 'twenty')" in err and "observed.memberships" in err
