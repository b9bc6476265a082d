"""The institutions' record (NATO, the WTO, the SCO) and the scheduled events of a historical world.

Everything here follows the COW rule used for the state system: a state, an institution or a
membership counts in year y when it holds on 31 December of y.  Membership files give
accession years (NATO, SCO) or dates (WTO); a member is counted in every year from its
accession year up to the year before it left, so

    member(i, y)  <=>  join_year_i <= y < leave_year_i   (leave_year_i = infinity if it never left)

and an institution exists in y when founded_year <= y < dissolved_year.  Line numbers in
``source`` texts count the header as line 1 (what an editor shows).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

# Institutions the build knows, in order of founding.  ``founded``/``dissolved`` are checked
# against the membership files when they are read (``load_memberships``).
@dataclass(frozen=True)
class InstitutionInfo:
    name: str
    file: str
    kind: str
    leader: int | None  # COW ccode; None for a dialogue platform
    title: str
    founded: str        # ISO date
    dissolved: str | None = None

    @property
    def founded_year(self) -> int:
        return int(self.founded[:4])

    @property
    def dissolved_year(self) -> int | None:
        return int(self.dissolved[:4]) if self.dissolved else None

    def exists(self, year: int) -> bool:
        """On 31 December of ``year``."""
        return self.founded_year <= year and (self.dissolved_year is None or year < self.dissolved_year)


INSTITUTIONS = (
    InstitutionInfo("NATO", "nato_sco_membership.csv", "hegemonic", 2, "North Atlantic Treaty Organization", "1949-04-04"),
    InstitutionInfo("WTO", "warsaw_pact_membership.csv", "hegemonic", 365, "Warsaw Treaty Organization", "1955-05-14",
                    "1991-07-01"),
    InstitutionInfo("SCO", "nato_sco_membership.csv", "dialogue", None, "Shanghai Cooperation Organisation", "2001-06-15"),
)
BY_NAME = {i.name: i for i in INSTITUTIONS}

# A membership held by a state that has left the system is held by this state (the same seat):
# the German Federal Republic's NATO seat is unified Germany's from 1990-10-03.
PASS_ON = {260: 255}

# Exits from the system and who takes over the exiting state's memberships, in order (the
# model gives a membership to the first successor the limits allow; otherwise it lapses).
# Unions and splits only; every exit in the period of a world must have an entry here.
SUCCESSORS = {
    260: (255,),       # German Federal Republic -> Germany (unification 1990-10-03)
    265: (255,),       # German Democratic Republic -> Germany (its WTO seat ended 1990-09-24)
    315: (316, 317),   # Czechoslovakia -> Czech Republic, Slovakia (1993-01-01)
    652: (651,),       # Syria -> the United Arab Republic (COW: Egypt), 1958-1961
    511: (510,),       # Zanzibar -> Tanzania (1964)
    678: (679,),       # Yemen Arab Republic -> Yemen (1990-05-22)
    680: (679,),       # Yemen People's Republic -> Yemen
    817: (816,),       # Republic of Vietnam -> Vietnam (1975; formal reunification 1976-07-02)
}


def fail(msg: str) -> None:
    import sys

    print(f"build_world: error: {msg}", file=sys.stderr)
    raise SystemExit(2)


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax is a subset of it)."""
    return json.dumps(text, ensure_ascii=False)


# ---------------------------------------------------------------------------------------
# Memberships
# ---------------------------------------------------------------------------------------


def load_memberships(raw: Path) -> pd.DataFrame:
    """One row per membership spell: institution, ccode, stateabb, country, join_year, join_date,
    leave_year (NaN = never left), leave_date, file, line.  Checks the founding and dissolution
    dates of ``INSTITUTIONS`` against the files."""
    frames = []
    for fname in sorted({i.file for i in INSTITUTIONS}):
        m = pd.read_csv(raw / fname, dtype={"join_date": str, "leave_date": str})
        m["line"] = m.index + 2
        m["file"] = fname
        if "leave_year" not in m:
            m["leave_year"] = float("nan")
            m["leave_date"] = None
        frames.append(m.rename(columns={"org": "institution"}))
    m = pd.concat(frames, ignore_index=True)
    m["leave_year"] = m.leave_year.astype("float")
    unknown = sorted(set(m.institution) - set(BY_NAME))
    if unknown:
        fail(f"membership files name unknown institutions {unknown}")
    for info in INSTITUTIONS:
        rows = m[m.institution == info.name]
        first = rows[rows.join_year == rows.join_year.min()]
        if rows.join_year.min() != info.founded_year or set(first.join_date) != {info.founded}:
            fail(f"{info.file}: {info.name} founders do not all join on {info.founded}")
        if info.leader is not None and info.leader not in set(first.ccode):
            fail(f"{info.file}: the leader (ccode {info.leader}) is not a founder of {info.name}")
        if info.dissolved:
            if (rows.leave_date.isna() | (rows.leave_date > info.dissolved)).any():
                fail(f"{info.file}: a {info.name} member stays past the dissolution on {info.dissolved}")
            if rows[rows.ccode == info.leader].leave_date.item() != info.dissolved:
                fail(f"{info.file}: the leader's leaving date is not the dissolution date {info.dissolved}")
    return m


def members_on(m: pd.DataFrame, inst: str, year: int) -> pd.DataFrame:
    """The membership rows of ``inst`` that hold on 31 December of ``year`` (file order)."""
    if not BY_NAME[inst].exists(year):
        return m.iloc[0:0]
    r = m[m.institution == inst]
    left = r.leave_year.fillna(float("inf"))
    return r[(r.join_year <= year) & (year < left)]


def seat_holder(ccode: int, system: set[int]) -> int | None:
    """Who holds a membership of ``ccode`` in a system: itself, else its PASS_ON successor."""
    if ccode in system:
        return ccode
    nxt = PASS_ON.get(ccode)
    return nxt if nxt in system else None


def observed_record(m: pd.DataFrame, system_of, name_of: dict[int, str], last_year: int) -> pd.DataFrame:
    """``institution,year,state,ccode``: every member on 31 December of every year the
    institution exists, up to ``last_year``; memberships of a state that left the system are
    shown under the state that holds its seat (PASS_ON)."""
    rows = []
    for info in INSTITUTIONS:
        end = last_year if info.dissolved_year is None else info.dissolved_year - 1
        for year in range(info.founded_year, end + 1):
            system = system_of(year)
            now = members_on(m, info.name, year)
            for cc, line in zip(now.ccode, now.line):
                holder = seat_holder(int(cc), system)
                if holder is None:
                    fail(f"{info.file} line {line}: {info.name} member ccode {cc} is not in the system in {year}")
                rows.append((info.name, year, name_of[holder], holder))
    out = pd.DataFrame(rows, columns=["institution", "year", "state", "ccode"])
    if out.duplicated(["institution", "year", "state"]).any():
        fail("two membership rows give one state one seat twice")
    return out


# ---------------------------------------------------------------------------------------
# Events of a historical world
# ---------------------------------------------------------------------------------------


def build_events(*, start_year: int, end_year: int, spells: pd.DataFrame, present, entry_row, m: pd.DataFrame,
                 institutions: list[str], rivalries: list[tuple[str, str, float, str]],
                 fmt) -> tuple[list[str], dict[str, int]]:
    """The ``events:`` lines (YAML flow mappings) for steps 1 .. end_year - start_year.

    ``present(y)``: set of ccodes in the system on 31 Dec y; ``entry_row(y, cc)``: the data of
    state ``cc`` in year y (name, capability, regime, sovereignty, governance); ``spells``:
    the state list with its file lines; ``fmt``: the float formatter of the scenario writer.
    Order within a step: enter, exit, found, dissolve, join/leave (file order), rivalry.
    """
    name_of = dict(zip(spells.ccode, spells.stateabb))
    lines: list[str] = []
    counts = {"enter": 0, "exit": 0, "found": 0, "dissolve": 0, "join": 0, "leave": 0, "rivalry": 0}
    prev = present(start_year)
    riv_pending = [r for r in rivalries if not {r[0], r[1]} <= {name_of[c] for c in prev}]

    def spell_of(cc: int, year: int, entering: bool) -> pd.Series:
        """The spell that starts (entering) or ends (leaving) between 31 Dec year-1 and 31 Dec year."""
        s = spells[spells.ccode == cc]
        lo, hi = (year - 1) * 10000 + 1231, year * 10000 + 1231
        hit = s[(s.start > lo) & (s.start <= hi)] if entering else s[(s.end >= lo) & (s.end < hi)]
        if len(hit) != 1:
            fail(f"states2016.csv: no single spell of ccode {cc} {'starts' if entering else 'ends'} in {year}")
        return hit.iloc[0]

    def date(row: pd.Series, which: str) -> str:
        return f"{int(row[which + 'year']):04d}-{int(row[which + 'month']):02d}-{int(row[which + 'day']):02d}"

    def emit(step: int, kind: str, body: str, source: str) -> None:
        lines.append(f"  - {{step: {step}, kind: {kind}, {body}, source: {q(source)}}}")
        counts[kind] += 1

    for year in range(start_year + 1, end_year + 1):
        step = year - start_year
        cur = present(year)
        entering, exiting = sorted(cur - prev), sorted(prev - cur)
        exiting_names = {name_of[c] for c in exiting}
        for cc in entering:
            row = spell_of(cc, year, True)
            d = entry_row(year, cc)
            emit(step, "enter", f"state: {d['name']}, capability: {fmt(d['capability'])}, regime: {fmt(d['regime'])}, "
                 f"sovereignty: {fmt(d['sovereignty'])}, governance: {fmt(d['governance'])}, region: {d['region']}, "
                 f"growth_trend: {fmt(d['growth_trend'])}" + (f", lonlat: [{d['lonlat']}]" if d.get("lonlat") else ""),
                 f"states2016.csv line {int(row.line)}: {row.stateabb} ({row.statenme}, ccode {cc}) in the system "
                 f"from {date(row, 'st')}; data of {year}: {d['data']}")
        for cc in exiting:
            row = spell_of(cc, year, False)
            if cc not in SUCCESSORS:
                fail(f"{row.stateabb} (ccode {cc}) leaves the system in {year} and has no rule in SUCCESSORS")
            succ = [c for c in SUCCESSORS[cc]]
            missing = [name_of.get(c, str(c)) for c in succ if c not in cur]
            if missing:
                fail(f"successor(s) {missing} of {row.stateabb} are not in the system in {year}")
            src = f"states2016.csv line {int(row.line)}: {row.stateabb} ({row.statenme}) left the system {date(row, 'end')}"
            ended = m[(m.ccode == cc) & (m.leave_year == year)]
            for r in ended.itertuples():
                src += f"; {r.file} line {r.line}: left the {r.institution} {r.leave_date} (the exit ends it)"
            emit(step, "exit", f"state: {row.stateabb}, successors: [{', '.join(name_of[c] for c in succ)}]", src)
        for inst in institutions:
            info = BY_NAME[inst]
            if info.founded_year == year:
                f = m[(m.institution == inst) & (m.join_year == year)]
                absent = [a for a, c in zip(f.stateabb, f.ccode) if c not in cur]
                if absent:
                    fail(f"{inst} founders {absent} are not in the system in {year}")
                emit(step, "found", f"institution: {inst}",
                     f"{info.file} lines {f.line.min()}-{f.line.max()}: {inst} founded {info.founded} by "
                     f"{', '.join(name_of[c] for c in f.ccode)}")
        for inst in institutions:
            info = BY_NAME[inst]
            if info.dissolved_year == year:
                lead = m[(m.institution == inst) & (m.ccode == info.leader)].iloc[0]
                emit(step, "dissolve", f"institution: {inst}",
                     f"{info.file} line {lead.line}: {inst} dissolved {info.dissolved}")
        for r in m[m.institution.isin(institutions)].itertuples():
            info = BY_NAME[r.institution]
            if r.join_year == year and year != info.founded_year:
                if r.ccode not in cur:
                    fail(f"{r.file} line {r.line}: {r.stateabb} joins {r.institution} in {year} but is not in the system")
                when = r.join_date if isinstance(r.join_date, str) else str(year)
                emit(step, "join", f"state: {name_of[r.ccode]}, institution: {r.institution}, record: true",
                     f"{r.file} line {r.line}: {r.stateabb} joined {r.institution} {when}")
            if pd.notna(r.leave_year) and int(r.leave_year) == year and year != info.dissolved_year \
                    and name_of[r.ccode] not in exiting_names:
                emit(step, "leave", f"state: {name_of[r.ccode]}, institution: {r.institution}, record: true",
                     f"{r.file} line {r.line}: {r.stateabb} left {r.institution} {r.leave_date}")
        now = {name_of[c] for c in cur}
        for r in [r for r in riv_pending if {r[0], r[1]} <= now]:
            riv_pending.remove(r)
            emit(step, "rivalry", f"a: {r[0]}, b: {r[1]}, intensity: {fmt(r[2])}",
                 f"rivalries.csv: {r[0]}-{r[1]} ({r[3]}); both sides in the system from {year}")
        prev = cur
    counts["rivalries_never_together"] = len(riv_pending)
    return lines, counts
