"""The historical worlds in the model: they validate, their step 0 equals the data, and the
membership record of a run follows history where it must.

  - ``alliance-sim validate`` accepts the three committed hindcast worlds;
  - the issue's acceptance run: a world built with ``--year 1991 --end-year 2024`` validates,
    and its membership record dissolves the WTO in 1991 and founds the SCO in 2001 with its six
    founders;
  - the model's step-0 metrics (world HHI and concentration of CINC, each institution's size and
    capability HHI) equal an independent computation from the raw files (tests/test_history_data.py);
  - in mode ``imposed`` the members of every institution at the end of every year equal the
    record (scenarios/data/observed_memberships.csv).
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from test_history_data import BUILD, HINDCASTS, ROOT, SCO_FOUNDERS, cinc, hhi, members, world_figures

RECORD = ROOT / "scenarios" / "data" / "observed_memberships.csv"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation", *args], capture_output=True, text=True, cwd=ROOT)


def scenario_path(span: tuple[int, int]) -> Path:
    return ROOT / "scenarios" / f"{HINDCASTS[span]}.yaml"


@pytest.mark.parametrize("span", list(HINDCASTS))
def test_hindcast_worlds_validate(span):
    res = cli("validate", str(scenario_path(span)))
    assert res.returncode == 0, res.stderr


def test_world_1991_run_dissolves_the_wto_in_1991_and_founds_the_sco_in_2001(tmp_path):
    from simulation.runner import run_with_memberships
    from simulation.scenario_io import load_scenario

    out = tmp_path / "world_1991.yaml"
    res = subprocess.run([sys.executable, str(BUILD), "--year", "1991", "--end-year", "2024", "--out-scenario", str(out),
                          "--out-data", str(tmp_path / "data")], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    assert cli("validate", str(out)).returncode == 0
    m = run_with_memberships(load_scenario(str(out)), seed=1).memberships
    assert m[(m.institution == "WTO") & (m.change == "dissolve")].year.tolist() == [1991]
    assert m[(m.institution == "SCO") & (m.change == "found")].year.tolist() == [2001]
    step = m[(m.institution == "SCO") & (m.change == "found")].step.item()
    # the founders' rows follow the found row in the same step, before any other SCO change
    sco = m[(m.institution == "SCO") & (m.step == step)]
    first = sco.iloc[1:1 + len(SCO_FOUNDERS)]
    assert list(first.change) == ["join"] * 6 and sorted(first.state) == sorted(SCO_FOUNDERS)


@pytest.mark.parametrize("span", list(HINDCASTS))
def test_model_step0_equals_the_data(span):
    from simulation.runner import run_scenario
    from simulation.scenario_io import load_scenario

    scenario = load_scenario(str(scenario_path(span)))
    start = scenario.history.start_year
    df = run_scenario(scenario, steps=0)
    got = {(s, k): float(v) for s, k, v in zip(df.scope, df.metric, df.value)}
    want = world_figures(start)
    assert got[("world", "hhi")] == pytest.approx(want["hhi"], rel=1e-9)
    assert got[("world", "concentration")] == pytest.approx(want["concentration"], rel=1e-9)
    cap = cinc(start)
    for org in scenario.institutions:
        mem = members(org, start)
        if mem:
            assert got[(org, "size")] == len(mem), org
            assert got[(org, "hhi")] == pytest.approx(hhi(cap[mem]), rel=1e-9), org
        else:  # founded later: no value before its founding
            assert (org, "size") not in got or math.isnan(got[(org, "size")]) or got[(org, "size")] == 0, org


@pytest.mark.parametrize("span", list(HINDCASTS))
def test_imposed_mode_follows_the_record_every_year(span):
    from simulation.runner import run_with_memberships
    from simulation.scenario_io import load_scenario

    scenario = load_scenario(str(scenario_path(span)), ["history.mode=imposed"])
    m = run_with_memberships(scenario, seed=3).memberships
    record = pd.read_csv(RECORD)
    now: dict[str, set[str]] = {}
    dissolved: set[str] = set()
    rows = list(zip(m.year, m.state, m.institution, m.change))
    k = 0
    for year in range(scenario.history.start_year, span[1] + 1):
        while k < len(rows) and rows[k][0] <= year:
            _, state, inst, change = rows[k]
            if change == "found":
                now[inst] = set()
            elif change == "dissolve":
                dissolved.add(inst)  # its members' leave rows follow
            elif change == "join":
                now[inst].add(state)
            elif change == "leave":
                now[inst].discard(state)
            k += 1
        want = {org: set(g.state) for org, g in record[record.year == year].groupby("institution")
                if org in scenario.institutions}
        assert all(not now[org] for org in dissolved), year
        assert {org: v for org, v in now.items() if v} == want, year
