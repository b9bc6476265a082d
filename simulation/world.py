"""Building the initial world: state arrays, proximity, rivalries, name resolution.

The model keeps its state as arrays (one entry per state, or N x N for dyads) so that the
dyadic work can be vectorised; ``State`` agents are views onto these arrays.  This module
turns a validated ``Scenario`` into those arrays.  It is the only place that reads a file
the scenario refers to (``world.distance_file``), once, before the run starts.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from dataclasses import dataclass

import numpy as np

from simulation.errors import ScenarioError, data_file_text, file_problem
from simulation.forcing import Forcing, read_forcing_file
from simulation.scenario import Beta, EnterEvent, LogNormal, Pareto, Scenario, Uniform

GENERATED_NAME = "S{:03d}"


@dataclass
class WorldArrays:
    """Initial values of every state variable (see docs/ODD.md, 'State variables')."""

    names: list[str]
    capability: np.ndarray  # p > 0
    regime: np.ndarray  # r in [0, 1]
    sovereignty: np.ndarray  # sigma in [0, 1]
    governance: np.ndarray  # g in [0, 1]
    stability: np.ndarray  # h in [0, 1]
    policy: np.ndarray  # f, N x K in [0, 1]
    location: np.ndarray  # N x 2 (km); NaN when distances come from a file
    proximity: np.ndarray  # N x N float32, exp(-d / lambda), zero diagonal
    rivalry_pairs: tuple[np.ndarray, np.ndarray, np.ndarray]  # (i, j, intensity), i < j
    active: np.ndarray = None  # bool: False for the slots of states that enter later
    enter_policy: dict[int, np.ndarray] = None  # event number -> policy on entry
    forcing: Forcing | None = None  # yearly capability and regime (history.forcing_file)
    region: list[str | None] = None  # eligibility region (simulation/regions.py); None for generated states
    growth_trend: np.ndarray = None  # own yearly log-growth relative to the world; 0 where none is given

    @property
    def n(self) -> int:
        return len(self.names)


def draw(dist: Beta | Uniform | LogNormal | Pareto, rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw ``n`` values from one of the schema's distributions."""
    if isinstance(dist, Beta):
        return rng.beta(dist.a, dist.b, n)
    if isinstance(dist, Uniform):
        return rng.uniform(dist.low, dist.high, n)
    if isinstance(dist, LogNormal):
        with np.errstate(over="ignore"):  # an overflow to inf is reported by build_world
            return np.exp(rng.normal(dist.mean, dist.sd, n))
    if isinstance(dist, Pareto):
        with np.errstate(over="ignore"):
            return dist.scale * (1.0 + rng.pareto(dist.shape, n))
    raise TypeError(f"unknown distribution {dist!r}")


def build_world(scenario: Scenario, rng: np.random.Generator) -> WorldArrays:
    """Listed states first, then generated ones; every draw comes from ``rng``."""
    w = scenario.world
    g = w.generate
    k = w.policy_dims
    listed = w.states
    n_gen = g.count

    names = [s.name for s in listed] + [GENERATED_NAME.format(i + 1) for i in range(n_gen)]
    clash = sorted(set(s.name for s in listed) & set(names[len(listed):]))
    if clash:
        raise ScenarioError(f"listed state names clash with generated names: {clash}; rename them", path="world.states")

    # Draw generated attributes in a fixed order so adding a listed state never changes them.
    gen_cap = draw(g.capability, rng, n_gen)
    bad = gen_cap[~(np.isfinite(gen_cap) & (gen_cap > 0))]
    if len(bad):
        raise ScenarioError(
            f"the distribution drew capabilities that are not finite positive numbers (e.g. {float(bad[0])!r}); choose a smaller mean, sd or tail",
            path="world.generate.capability",
        )
    gen_reg = draw(g.regime, rng, n_gen)
    gen_sov = draw(g.sovereignty, rng, n_gen)
    gen_gov = draw(g.governance, rng, n_gen)
    gen_loc = rng.uniform(0.0, g.map_size, (n_gen, 2))
    gen_policy_noise = rng.uniform(0.0, 1.0, (n_gen, k))
    listed_policy_noise = rng.uniform(0.0, 1.0, (len(listed), k))
    policy_noise = np.concatenate([listed_policy_noise, gen_policy_noise])

    cap = np.concatenate([[s.capability for s in listed], gen_cap])
    reg = np.clip(np.concatenate([[s.regime for s in listed], gen_reg]), 0.0, 1.0)
    sov = np.clip(np.concatenate([[s.sovereignty for s in listed], gen_sov]), 0.0, 1.0)
    gov = np.clip(np.concatenate([[s.governance for s in listed], gen_gov]), 0.0, 1.0)
    stab = gov.copy()
    for i, s in enumerate(listed):
        if s.stability is not None:
            stab[i] = s.stability

    policy = initial_policy(reg, policy_noise, w.policy_regime_loading)
    for i, s in enumerate(listed):
        if s.policy is not None:
            policy[i] = s.policy

    # States named only in enter events get slots after the listed and generated ones; every
    # draw for them comes after all the draws above, so a scenario without such events keeps
    # its exact numbers.
    enters = [(n, ev) for n, ev in enumerate(scenario.events) if isinstance(ev, EnterEvent)]
    for n, ev in enters:
        if ev.policy is not None and len(ev.policy) != k:
            raise ScenarioError(f"expected policy with {k} values (world.policy_dims)", path=f"events.{n}.policy")
    enter_noise = rng.uniform(0.0, 1.0, (len(enters), k)) if enters else np.zeros((0, k))
    enter_policy = {}
    for (n, ev), noise in zip(enters, enter_noise):
        enter_policy[n] = np.array(ev.policy, dtype=float) if ev.policy is not None else initial_policy(np.array([ev.regime]), noise[None, :], w.policy_regime_loading)[0]
    first_entry: dict[str, tuple[int, EnterEvent]] = {}
    for n, ev in enters:
        if ev.state not in first_entry and ev.state not in names:
            first_entry[ev.state] = (n, ev)
    new = list(first_entry.values())
    names = names + [ev.state for _, ev in new]
    region = [s.region for s in listed] + [None] * n_gen + [_first_given(enters, ev.state, "region") for _, ev in new]
    trend = [s.growth_trend for s in listed] + [None] * n_gen + [_first_given(enters, ev.state, "growth_trend") for _, ev in new]
    growth_trend = np.array([0.0 if b is None else b for b in trend], dtype=float)
    active = np.ones(len(names), dtype=bool)
    active[len(names) - len(new):] = False
    if new:
        cap = np.concatenate([cap, [ev.capability for _, ev in new]])
        reg = np.concatenate([reg, [ev.regime for _, ev in new]])
        sov = np.concatenate([sov, [ev.sovereignty for _, ev in new]])
        gov = np.concatenate([gov, [ev.governance for _, ev in new]])
        stab = np.concatenate([stab, [ev.governance if ev.stability is None else ev.stability for _, ev in new]])
        policy = np.concatenate([policy, np.array([enter_policy[n] for n, _ in new])])

    if w.distance_file:
        location = np.full((len(names), 2), np.nan)
        dist = read_distance_file(w.distance_file, names)
    else:
        missing = [s.name for s in listed if s.location is None]
        if missing:
            raise ScenarioError(
                f"states {missing[:5]} have no location; give each a location [x, y] in km or set world.distance_file",
                path="world.states",
            )
        location = np.concatenate([np.array([s.location for s in listed], dtype=float).reshape(-1, 2), gen_loc])
        entering = []
        for n, ev in new:
            loc = next((e.location for _, e in enters if e.state == ev.state and e.location is not None), None)
            if loc is None:
                raise ScenarioError(f"the new state {ev.state} has no location; give it a location [x, y] in km or set world.distance_file", path=f"events.{n}.location")
            entering.append(loc)
        location = np.concatenate([location, np.array(entering, dtype=float).reshape(-1, 2)])
        diff = location[:, None, :] - location[None, :, :]
        dist = np.sqrt((diff**2).sum(axis=-1))

    forcing = None
    if scenario.history is not None and scenario.history.forcing_file:
        forcing = read_forcing_file(scenario.history.forcing_file, names)

    # Single precision: proximity is fixed, only read, and float32 halves the memory traffic
    # of the matrix-vector products over it.
    prox = np.exp(-dist / w.proximity_scale).astype(np.float32)
    np.fill_diagonal(prox, 0.0)

    return WorldArrays(
        names=names,
        capability=cap.astype(float),
        regime=reg,
        sovereignty=sov,
        governance=gov,
        stability=stab,
        policy=policy,
        location=location,
        proximity=prox,
        rivalry_pairs=rivalry_pairs(scenario, {n: i for i, n in enumerate(names)}),
        active=active,
        enter_policy=enter_policy,
        forcing=forcing,
        region=region,
        growth_trend=growth_trend,
    )


def _first_given(enters: list[tuple[int, EnterEvent]], state: str, key: str):
    """The first value of ``key`` that the enter events of ``state`` give (None if none does):
    a slot keeps one region and starts with one trend however often its state re-enters."""
    return next((getattr(ev, key) for _, ev in enters if ev.state == state and getattr(ev, key) is not None), None)


def initial_policy(regime: np.ndarray, noise: np.ndarray, loading: float) -> np.ndarray:
    """First dimension follows the regime (ideological axis); the others are drawn freely."""
    policy = noise.copy()
    policy[:, 0] = loading * regime + (1.0 - loading) * noise[:, 0]
    return policy


def rivalry_pairs(scenario: Scenario, index: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rivalries as sparse upper-triangle triples (i < j, intensity); later entries win."""
    pairs: dict[tuple[int, int], float] = {}
    for n, rv in enumerate(scenario.rivalries):
        i = resolve(rv.a, index, f"rivalries.{n}.a")
        j = resolve(rv.b, index, f"rivalries.{n}.b")
        if i == j:
            raise ScenarioError(f"a state cannot be its own rival ({rv.a})", path=f"rivalries.{n}")
        pairs[(min(i, j), max(i, j))] = rv.intensity
    return pairs_to_arrays(pairs)


def pairs_to_arrays(pairs: dict[tuple[int, int], float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """{(i, j): value} with i < j as sorted (i, j, value) arrays, the model's sparse dyad form."""
    keys = sorted(pairs)
    return (
        np.array([a for a, _ in keys], dtype=np.intp),
        np.array([b for _, b in keys], dtype=np.intp),
        np.array([pairs[k] for k in keys], dtype=float),
    )


def resolve(name: str, index: dict[str, int], path: str) -> int:
    """Index of a named state, or a ScenarioError naming the key path."""
    try:
        return index[name]
    except KeyError:
        import difflib

        sample = ", ".join(list(index)[:8])
        close = difflib.get_close_matches(str(name), list(index), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ScenarioError(f"unknown state {name!r}; expected a state name such as {sample}{hint}", path=path) from None


DISTANCE_COLUMNS = ("a", "b", "km")


def read_distance_file(path: str, names: list[str]) -> np.ndarray:
    """Symmetric distance matrix (km) from a CSV with columns a, b, km; every pair needed.

    The file is UTF-8 (a byte-order mark, as Excel writes, is fine); spaces around names and
    values are ignored, as are blank lines and rows naming states the scenario does not have.
    Every problem is a ``ScenarioError`` at ``world.distance_file`` naming the CSV and its line.
    The file is read every time; its parse is remembered by content (``_parse_distances``).
    """
    text, _ = data_file_text(path, "world.distance_file", "a,b,km")
    return _parse_distances(text, str(path), tuple(names)).copy()


@functools.lru_cache(maxsize=4)
def _parse_distances(text: str, path: str, names: tuple[str, ...]) -> np.ndarray:
    """Why cached: a calibration or sweep builds the same world thousands of times; parsing a
    historical world's distance and forcing files cost a quarter of a Cold War particle
    evaluation (docs/performance.md).  Keyed by the file's text (so an edited file is parsed
    afresh), the path its messages name and the names; errors are not cached."""
    problem = file_problem(path, "world.distance_file")
    index = {n: i for i, n in enumerate(names)}
    n = len(names)
    dist = np.full((n, n), np.nan)
    np.fill_diagonal(dist, 0.0)

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
        if header is None:
            raise problem("the file is empty; expected a header line a,b,km and one line per pair of states")
        columns = [c.strip() for c in header]
        if not set(DISTANCE_COLUMNS) <= set(columns):
            raise problem(f"expected columns a,b,km in the first line (got {','.join(columns)})", reader.line_num)
        ia, ib, ikm = (columns.index(c) for c in DISTANCE_COLUMNS)
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            if len(row) > len(columns) or len(row) <= max(ia, ib, ikm):
                raise problem(f"expected {len(columns)} values ({','.join(columns)}), got {len(row)}", line)
            a, b, km_text = row[ia].strip(), row[ib].strip(), row[ikm].strip()
            i, j = index.get(a), index.get(b)
            if i is None or j is None:
                continue  # states not in this scenario
            try:
                km = float(km_text)
            except ValueError:
                raise problem(f"expected a number of km, got {km_text!r}", line) from None
            if not math.isfinite(km) or km < 0:
                raise problem(f"expected a finite number of km >= 0, got {km_text!r}", line)
            if i == j and km != 0:
                raise problem(f"expected 0 km from {a} to itself, got {km_text!r}", line)
            dist[i, j] = dist[j, i] = km
    except csv.Error as exc:
        raise problem(f"not a valid CSV file: {exc}", reader.line_num) from None
    missing = np.argwhere(np.isnan(np.triu(dist, 1)) & np.triu(np.ones_like(dist, dtype=bool), 1))
    if len(missing):
        a, b = missing[0]
        raise problem(f"no distance for {len(missing)} pair{'s' if len(missing) > 1 else ''}, e.g. {names[a]}-{names[b]}; expected every pair of states")
    return dist


def select_founders(world: WorldArrays, founders, index: dict[str, int], path: str, active: np.ndarray | None = None) -> list[int]:
    """Founder indices from a list of names or a rank selector (ties broken by list order).

    Only ``active`` states (default: those present at step 0) can found; ``world`` may be any
    object with the state arrays (the model itself, for an institution founded later).
    """
    active = world.active if active is None else active
    if isinstance(founders, list):
        if not founders:
            raise ScenarioError("expected at least one founder", path=path)
        idx: list[int] = []
        for k, name in enumerate(founders):
            i = resolve(name, index, f"{path}.{k}")
            if i in idx:
                raise ScenarioError(f"{name} is listed twice among the founders (also as item {idx.index(i)}); list each founder once", path=f"{path}.{k}")
            if not active[i]:
                raise ScenarioError(f"{name} is not in the world when the institution is founded (it enters later or has exited); expected a state present then", path=f"{path}.{k}")
            idx.append(i)
        return sorted(idx)
    key = {
        "capability": world.capability,
        "regime": world.regime,
        "governance": world.governance,
        "sovereignty": world.sovereignty,
        "x": world.location[:, 0],
        "y": world.location[:, 1],
    }[founders.by]
    if np.isnan(key).any():
        raise ScenarioError(f"cannot select founders by {founders.by}: the world has no locations", path=f"{path}.by")
    present = int(active.sum())
    if founders.count > present:
        raise ScenarioError(f"expected count <= number of states ({present}), got {founders.count}", path=f"{path}.count")
    order = np.argsort(-key if founders.order == "highest" else key, kind="stable")
    order = order[active[order]]
    return sorted(int(i) for i in order[: founders.count])


__all__ = ["WorldArrays", "build_world", "draw", "pairs_to_arrays", "read_distance_file", "resolve", "select_founders"]
