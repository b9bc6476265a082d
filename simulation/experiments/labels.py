"""Human-readable names and units of metrics, for figure axes and report tables.

The metric names themselves belong to ``simulation.metrics`` (docs/ODD.md, "Observation"); this
table only says how to show them.  An unknown name is shown as it is, without a unit.
"""

from __future__ import annotations

from simulation.experiments.schema import SCOPE_SEPARATOR, STEPS_OPEN, WORLD

PER_1000_DYAD_YEARS = "per 1000 dyad-years"
PER_100_STATE_YEARS = "per 100 state-years"
UNIT_INTERVAL = "0-1"

#: metric -> (description, unit)
METRICS: dict[str, tuple[str, str]] = {
    "dispute_rate": ("militarised disputes", PER_1000_DYAD_YEARS),
    "conflict_rate": ("escalated conflicts", PER_1000_DYAD_YEARS),
    "dispute_rate_intra": ("disputes inside institutions", PER_1000_DYAD_YEARS),
    "dispute_rate_inter": ("disputes across institutions", PER_1000_DYAD_YEARS),
    "conflict_rate_intra": ("conflicts inside institutions", PER_1000_DYAD_YEARS),
    "conflict_rate_inter": ("conflicts across institutions", PER_1000_DYAD_YEARS),
    "settlement_rate": ("disputes settled by dialogue", PER_1000_DYAD_YEARS),
    "crisis_rate": ("internal crises", PER_100_STATE_YEARS),
    "mean_stability": ("mean internal stability h", UNIT_INTERVAL),
    "mean_tension": ("mean dyadic tension T", UNIT_INTERVAL),
    "mean_threat": ("mean transboundary threat", UNIT_INTERVAL),
    "mean_autonomy": ("mean measured autonomy (1 = nothing imposed)", UNIT_INTERVAL),
    "mean_grievance": ("mean grievance", "grievance units"),
    "hhi": ("capability concentration (HHI)", UNIT_INTERVAL),
    "concentration": ("Ray-Singer concentration CON", UNIT_INTERVAL),
    "aligned_share_hegemonic": ("states in a hegemonic alliance", "share of states"),
    "aligned_share_dialogue": ("states in a dialogue platform", "share of states"),
    "member_tension": ("mean tension between members", UNIT_INTERVAL),
    "cohesion": ("policy cohesion (mean S-score)", "S, -1 to 1"),
    "imposition": ("share of members' autonomy the leader's pulls took this year", "share per step"),
    "cohesion_vs_chance": ("policy cohesion above chance", "share of the way from chance to identical"),
    "world_cohesion": ("mean S-score of all pairs of states (chance level)", "S, -1 to 1"),
    "dispute_rate_unsettled": ("disputes not settled", PER_1000_DYAD_YEARS),
    "dispute_rate_within": ("disputes between states sharing an institution", PER_1000_DYAD_YEARS),
    "dispute_rate_across": ("disputes between members of different institutions", PER_1000_DYAD_YEARS),
    "dispute_rate_member_outsider": ("disputes between a member and an outsider", PER_1000_DYAD_YEARS),
    "dispute_rate_outsiders": ("disputes between outsiders", PER_1000_DYAD_YEARS),
    "conflict_rate_within": ("conflicts between states sharing an institution", PER_1000_DYAD_YEARS),
    "conflict_rate_across": ("conflicts between members of different institutions", PER_1000_DYAD_YEARS),
    "conflict_rate_member_outsider": ("conflicts between a member and an outsider", PER_1000_DYAD_YEARS),
    "conflict_rate_outsiders": ("conflicts between outsiders", PER_1000_DYAD_YEARS),
    "dyad_share_within": ("dyads sharing an institution", "share of dyads"),
    "dyad_share_across": ("dyads of members of different institutions", "share of dyads"),
    "dyad_share_member_outsider": ("member-outsider dyads", "share of dyads"),
    "dyad_share_outsiders": ("outsider-outsider dyads", "share of dyads"),
    "regime_heterogeneity": ("regime heterogeneity (sd of r)", "sd of regime r"),
    "regime_mean": ("mean member regime r", "0 autocracy - 1 democracy"),
    "size": ("members", "states"),
    "joins": ("accessions", "states per step"),
    "exits": ("exits", "states per step"),
    "survival": ("institution alive", "share of runs"),
    "autonomy": ("members' measured autonomy (1 = nothing imposed)", UNIT_INTERVAL),
    "leader_share": ("leader's capability share in the institution", "share"),
    "consensus_capacity": ("consensus capacity chi", UNIT_INTERVAL),
}


#: Metrics computed from counts alone (events, members, institutions alive): identical on any
#: machine as long as the discrete outcomes are, so ``reproduce`` requires them to be equal.
#: Everything else is continuous and compared within a relative tolerance.
COUNTS = frozenset({
    "dispute_rate", "conflict_rate", "dispute_rate_intra", "dispute_rate_inter", "conflict_rate_intra",
    "conflict_rate_inter", "settlement_rate", "crisis_rate", "aligned_share_hegemonic", "aligned_share_dialogue",
    "size", "joins", "exits", "survival",
})


def is_count(column: str) -> bool:
    """True for a count-derived metric (``crisis_rate``, ``size@Atlantic``, ...)."""
    return split(column)[0] in COUNTS


def split(column: str) -> tuple[str, str]:
    metric, _, scope = column.partition(STEPS_OPEN)[0].partition(SCOPE_SEPARATOR)
    return metric, scope or WORLD


def describe_metric(column: str) -> str:
    """E.g. ``escalated conflicts (world)`` or ``policy cohesion (mean S-score), Atlantic``
    (``, steps 51-100`` after it for a metric summarised over its own steps)."""
    metric, scope = split(column)
    text = METRICS.get(metric, (metric, ""))[0]
    text = text if scope == WORLD else f"{text}, {scope}"
    steps = column.partition(STEPS_OPEN)[2].rstrip("]")
    return f"{text}, steps {steps}" if steps else text


#: Units of per-step counts end with this; their sum over a window is a plain count.
PER_STEP = " per step"


def unit(column: str, statistic: str | None = None) -> str:
    """The metric's unit; with ``statistic="sum"`` a per-step count becomes a count
    (``states per step`` summed over the window is ``states``)."""
    u = METRICS.get(split(column)[0], ("", ""))[1]
    if statistic == "sum" and u.endswith(PER_STEP):
        u = u[: -len(PER_STEP)]
    return u


def axis_label(column: str, *, prefix: str = "", statistic: str | None = None) -> str:
    """Axis text with the metric name (as in the files) and its unit."""
    u = unit(column, statistic)
    return f"{prefix}{column}" + (f" ({u})" if u else "")


def parameter_label(path: str, label: str | None = None, unit_text: str = "") -> str:
    name = label or path.rsplit(".", 1)[-1]
    return f"{name} ({unit_text})" if unit_text else name
