"""The scenario schema: everything that defines one simulated world.

Every default of the model lives here and nowhere else.  A scenario file is parsed once, at
the edge (``simulation.scenario_io``), into these frozen pydantic models; the model receives
the validated object and never reads files.  Unknown keys are errors (``extra="forbid"``), so
a misspelt parameter cannot be silently ignored.

Each field's ``description`` is its documentation; ``alliance-sim validate`` and the resolved
scenario written beside every run use them.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from simulation.regions import REGION_NAMES

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
#: Largest utility weight: one term already decides far below it, and sums of weighted
#: terms must stay finite (at 1e308 they overflowed to inf and then NaN).
MAX_WEIGHT = 1e6
UtilityWeight = Annotated[float, Field(ge=0.0, le=MAX_WEIGHT)]
#: Bounded so that a run never overflows; the reason is in each field's description.
TensionWeight = Annotated[float, Field(ge=0.0, le=100.0)]


def _printable_name(name: str) -> str:
    """Names are written into file names, result tables and the header of the resolved
    scenario: a control character (newline, NUL, tab, ...) would make them unreadable."""
    bad = next((c for c in name if ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029"), None)
    if bad is not None:
        raise ValueError(f"expected a name without control characters (found {bad!r})")
    return name


PrintableName = Annotated[str, AfterValidator(_printable_name)]


class Frozen(BaseModel):
    """Base for every schema block: immutable, unknown keys rejected, and every number finite
    (``.nan`` and ``.inf`` are refused: no setting of the model needs them)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Problem(ValueError):
    """A validator's complaint about a key *inside* the block it checks: ``at`` is the key
    path below the block (``("states", 2, "name")``), so the message can point at the line of
    the offending entry rather than at the block."""

    def __init__(self, message: str, at: tuple[str | int, ...] = ()):
        super().__init__(message)
        self.at = at


#: Result scopes other than institution names (the ``scope`` column of ``timeseries.csv``).
RESERVED_INSTITUTION_NAMES = frozenset({"world"})


def _institution_name(name: str) -> str:
    """An institution's name must be usable as a result scope and in ``--set`` key paths."""
    _printable_name(name)
    if not name.strip():
        raise ValueError("expected a non-empty institution name")
    if name != name.strip():
        raise ValueError("an institution name cannot start or end with a space")
    if "." in name:
        raise ValueError("an institution name cannot contain '.', which separates the keys of --set paths")
    if name.isdigit():
        raise ValueError("an institution name cannot be only digits, which --set paths read as a list item")
    if name in RESERVED_INSTITUTION_NAMES:
        raise ValueError("this name is reserved for the world-wide results (scope 'world' in timeseries.csv); choose another institution name")
    return name


InstitutionName = Annotated[str, AfterValidator(_institution_name)]


def _region_name(name: str) -> str:
    """A region must be one of simulation.regions.REGION_NAMES, so a misspelt region cannot
    silently exclude every state."""
    if name not in REGION_NAMES:
        raise ValueError(f"expected a region, one of {', '.join(REGION_NAMES)} (see simulation/regions.py)")
    return name


RegionName = Annotated[str, AfterValidator(_region_name)]


# --------------------------------------------------------------------------------------
# World: the states, generated from distributions and/or listed explicitly
# --------------------------------------------------------------------------------------


class Beta(Frozen):
    """A Beta(a, b) distribution on [0, 1]."""

    distribution: Literal["beta"] = "beta"
    a: Positive = 2.0
    b: Positive = 2.0


class Uniform(Frozen):
    """A uniform distribution on [low, high]."""

    distribution: Literal["uniform"] = "uniform"
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _ordered(self) -> "Uniform":
        if self.high < self.low:
            raise ValueError("expected high >= low")
        if not math.isfinite(self.high - self.low):
            raise ValueError("expected high - low to be a finite number (the bounds are too far apart)")
        return self


class LogNormal(Frozen):
    """A log-normal distribution: exp(N(mean, sd))."""

    distribution: Literal["lognormal"] = "lognormal"
    mean: float = 0.0
    sd: NonNeg = 1.0


class Pareto(Frozen):
    """A Pareto (type I) distribution with minimum ``scale`` and tail index ``shape``."""

    distribution: Literal["pareto"] = "pareto"
    shape: Positive = 1.5
    scale: Positive = 1.0


UnitDistribution = Annotated[Union[Beta, Uniform], Field(discriminator="distribution")]
PositiveDistribution = Annotated[Union[LogNormal, Pareto, Uniform], Field(discriminator="distribution")]


class Generate(Frozen):
    """States drawn at random (from the world's seed) in addition to any listed states."""

    count: Annotated[int, Field(ge=0, le=20000)] = Field(0, description="number of generated states, named S001, S002, ...")
    capability: PositiveDistribution = Field(default_factory=LogNormal, description="capability p")
    regime: UnitDistribution = Field(default_factory=lambda: Beta(a=1.5, b=1.5), description="regime position r (0 autocracy, 1 democracy)")
    sovereignty: UnitDistribution = Field(default_factory=Beta, description="sovereignty preference sigma")
    governance: UnitDistribution = Field(default_factory=lambda: Beta(a=3.0, b=2.0), description="governance quality g")
    map_size: Positive = Field(10000.0, description="side of the square (km) in which generated capitals are placed uniformly")

    @field_validator("capability")
    @classmethod
    def _positive_capability(cls, dist: LogNormal | Pareto | Uniform) -> LogNormal | Pareto | Uniform:
        if isinstance(dist, Uniform) and dist.low <= 0:
            raise Problem(f"expected a number > 0: capabilities are positive, so a uniform capability distribution needs low > 0 (got {dist.low!r})", at=("low",))
        return dist


#: A capital's (longitude, latitude) in degrees: display only (the browser app's map).
LonLat = tuple[Annotated[float, Field(ge=-180.0, le=180.0)], Annotated[float, Field(ge=-90.0, le=90.0)]]


class StateSpec(Frozen):
    """One explicitly listed state."""

    name: Annotated[PrintableName, Field(min_length=1)]
    capability: Positive = Field(description="capability p (any positive unit; only shares matter)")
    regime: Unit = Field(description="regime position r in [0,1] (0 autocracy, 1 democracy)")
    sovereignty: Unit = Field(0.5, description="sovereignty preference sigma in [0,1]")
    governance: Unit = Field(0.6, description="governance quality g in [0,1]")
    stability: Unit | None = Field(None, description="initial internal stability h; default: equal to governance")
    location: tuple[float, float] | None = Field(None, description="capital position (x, y) in km; needed unless the world has a distance file")
    lonlat: LonLat | None = Field(None, description="capital's longitude and latitude in degrees, for the browser app's map only (the model never reads it; distances come from location or the distance file)")
    policy: tuple[Unit, ...] | None = Field(None, description="initial foreign-policy position f (one value per policy dimension); default drawn")
    region: RegionName | None = Field(None, description="region for institutions' eligible_regions (simulation/regions.py; from the COW code); default none: outside every region")
    growth_trend: Annotated[float, Field(ge=-1.0, le=1.0)] | None = Field(None, description="own yearly log-growth relative to the world, added to growth_mean when mechanisms.growth_trends is on (fitted from NMC: simulation/mechanisms/capability_trends.py); default 0")


#: States generated when a scenario (or its ``world:`` block) lists none and gives no ``generate``.
DEFAULT_GENERATED_STATES = 60


class World(Frozen):
    """Who the states are and where they stand.

    A ``world:`` block that gives neither ``states`` nor ``generate`` (say only a seed, or
    ``--set world.seed=4``) keeps the default generation of 60 states rather than none.
    """

    seed: int | None = Field(None, ge=0, description="seed for drawing the world; default: derived from the run seed, so each replication draws a new world")
    generate: Generate = Field(default_factory=Generate)
    states: tuple[StateSpec, ...] = Field((), description="explicitly listed states (listed first, before generated ones)")
    distance_file: str | None = Field(None, description="CSV of capital distances with columns a,b,km (state names); replaces locations. Relative paths are relative to the scenario file")
    proximity_scale: Positive = Field(2000.0, description="lambda in prox_ij = exp(-d_ij / lambda), km")
    policy_dims: Annotated[int, Field(ge=1, le=10)] = Field(2, description="K, the number of foreign-policy dimensions")
    policy_regime_loading: Unit = Field(0.6, description="how much the drawn first policy dimension follows the regime: f_i0 = L*r_i + (1-L)*u_i")

    @model_validator(mode="before")
    @classmethod
    def _default_generation(cls, data: Any) -> Any:
        if isinstance(data, dict) and "states" not in data and "generate" not in data:
            return {**data, "generate": {"count": DEFAULT_GENERATED_STATES}}
        return data

    @model_validator(mode="after")
    def _has_states(self) -> "World":
        if self.generate.count + len(self.states) < 2:
            raise ValueError("expected at least 2 states (generate.count plus listed states)")
        first: dict[str, int] = {}
        for i, s in enumerate(self.states):
            if s.name in first:
                raise Problem(f"the state name {s.name!r} is used twice (first by world.states.{first[s.name]}); expected unique names", at=("states", i, "name"))
            first[s.name] = i
        for i, s in enumerate(self.states):
            if s.policy is not None and len(s.policy) != self.policy_dims:
                raise Problem(f"state {s.name}: expected policy with {self.policy_dims} values (policy_dims)", at=("states", i, "policy"))
        return self


class Rivalry(Frozen):
    """An enduring rivalry between two named states: raises their baseline antagonism."""

    a: str
    b: str
    intensity: Unit = 1.0


# --------------------------------------------------------------------------------------
# Institutions
# --------------------------------------------------------------------------------------


class FounderSelector(Frozen):
    """Founders chosen by rank instead of by name, e.g. the 8 most democratic states."""

    by: Literal["capability", "regime", "governance", "sovereignty", "x", "y"]
    order: Literal["highest", "lowest"] = "highest"
    count: Annotated[int, Field(ge=1)]


#: Years stored as real numbers (calibration priors are continuous), rounded half up where used;
#: at most a century, longer than any run of interest.
YearCount = Annotated[float, Field(ge=0.0, le=100.0)]
#: Staged candidacy defaults (docs/ODD.md, M.6): two years of candidacy (NATO's Membership Action
#: Plan and the SCO's observer years lasted several; two keeps an applicant with a persistent
#: view able to get through), unanimity (the treaty rule; the calibration explores power
#: weighting) and a two-year wait after a refusal (about one electoral cycle of the applicant).
CANDIDACY_YEARS, VETO_SHARE, REAPPLY_YEARS = 2.0, 0.0, 2.0
#: Enlargement rounds (docs/ODD.md, M.8): nearly neutral defaults, a round every year that may at
#: most double the membership; calibration/coldwar_rounds.yaml fits the alliances' own values.
ROUND_YEARS, ROUND_SHARE = 0.0, 1.0
#: Up to a thousand times the membership in one round: 1000 never binds in a world of fewer states.
RoundShare = Annotated[float, Field(ge=0.0, le=1000.0)]


class HegemonicParams(Frozen):
    """Rules of a hegemonic internal-control alliance (NATO-like)."""

    interference: Unit = Field(0.10, description="regime pull: r_i += interference * (r_leader - r_i) each step")
    planning: Unit = Field(0.15, description="planning pull: f_i += planning * (f_leader - f_i) each step")
    umbrella: Unit = Field(0.5, description="security umbrella: members' crisis hazard is multiplied by (1 - umbrella)")
    deterrence: Unit = Field(0.6, description="collective defence: outsiders' dispute onset against a member is multiplied by 1 - deterrence * P_bloc / (P_bloc + p_outsider)")
    suppression: NonNeg = Field(0.01, description="per-step fall of tension between members (absolute), the leader suppressing quarrels")
    dispute_control: Unit = Field(0.5, description="probability that the leader stops a dispute between members from escalating")
    polarisation: NonNeg = Field(0.02, description="per-step rise of tension between members and outsiders, times the bloc's share of world capability")
    counter_threat: Unit = Field(0.2, description="counter-threat cooperation: blocks threat spread between members and adds to threat decay")
    entrapment: Unit = Field(0.3, description="when a member fights, its allies' tension with the opponent rises by entrapment * (1 - T)")
    admission_distance: Unit = Field(0.35, description="only states with |r_i - r_leader| < admission_distance are admitted (0: nobody)")
    grievance_rate: NonNeg = Field(1.0, description="grievance accrual G_i += grievance_rate * sigma_i * |imposed change|")
    burden: Unit = Field(0.005, description="yearly capability cost of membership (fraction)")
    veto_threshold: float = Field(-0.25, description="accession by consent: a member objects to an applicant when its utility of admitting it is below this (any objection refuses: unanimity)")
    approval_threshold: float = Field(-0.25, description="accession by consent: the leader approves an applicant only when its utility of admitting it is at least this")
    reliability: Unit = Field(0.75, description="rho: probability that an ally honours a call when a member fights an outsider (Leeds, Long & Mitchell 2000: about 75%)")
    ally_loss: Unit = Field(0.1, description="capability lost by an ally that joins a member's conflict (and by the opponent), times the other side's share of the pair's capability")
    succession_ratio: Annotated[float, Field(ge=1.0)] = Field(1.0, description="kappa: leadership passes to the strongest other member once its capability exceeds kappa times the leader's")
    candidacy_years: YearCount = Field(CANDIDACY_YEARS, description="staged candidacy (mechanisms.candidacy): years an applicant must remain an unblocked candidate before it joins (a real number rounded half up to whole years, so calibration priors may be continuous; 0: joins in the year it applies)")
    veto_share: Unit = Field(VETO_SHARE, description="staged candidacy: a candidacy is refused in a year when the objecting members' share of the institution's capability exceeds this (0: any single objection blocks, unanimity/consensus; 1: nothing blocks)")
    reapply_years: YearCount = Field(REAPPLY_YEARS, description="staged candidacy: years a refused state waits before it may apply again (rounded half up to whole years)")
    round_years: YearCount = Field(ROUND_YEARS, description="enlargement rounds (mechanisms.enlargement_rounds): years from one round of admissions to the next (rounded half up; 0: a round every year)")
    round_share: RoundShare = Field(ROUND_SHARE, description="enlargement rounds: at most round_share times the members (at least 1) are admitted in one round, those the members support most")


class DialogueParams(Frozen):
    """Rules of a sovereign dialogue platform (SCO-like)."""

    dialogue_intensity: Unit = Field(0.03, description="delta: per-step fall of tension between members is delta * chi (at most 1: tension lies in [0, 1], and huge values overflowed to NaN)")
    consensus_cost: NonNeg = Field(2.0, description="lambda_c in chi = 1 / (1 + lambda_c * (n-1)/N0 * heterogeneity)")
    consensus_reference: Positive = Field(10.0, description="N0, the size at which (n-1) counts as one unit of consensus cost")
    settlement: Unit = Field(0.6, description="probability (times chi) that a dispute between members is settled by dialogue")
    convergence: Unit = Field(0.02, description="voluntary policy convergence: f_i += convergence * chi * (mean f of members - f_i)")
    counter_threat: Unit = Field(0.5, description="counter-threat cooperation (the platform's core task)")
    admission_distance: Unit = Field(1.0, description="admits states with |r_i - mean member r| < admission_distance (1: open to all)")
    burden: Unit = Field(0.001, description="yearly capability cost of membership (fraction)")
    veto_threshold: float = Field(-0.2, description="accession by consent: a member objects to an applicant when its utility of admitting it is below this (any objection refuses: consensus)")
    candidacy_years: YearCount = Field(CANDIDACY_YEARS, description="staged candidacy (mechanisms.candidacy): years an applicant must remain an unblocked candidate before it joins (a real number rounded half up to whole years, so calibration priors may be continuous; 0: joins in the year it applies)")
    veto_share: Unit = Field(VETO_SHARE, description="staged candidacy: a candidacy is refused in a year when the objecting members' share of the institution's capability exceeds this (0: any single objection blocks, unanimity/consensus; 1: nothing blocks)")
    reapply_years: YearCount = Field(REAPPLY_YEARS, description="staged candidacy: years a refused state waits before it may apply again (rounded half up to whole years)")
    round_years: YearCount = Field(ROUND_YEARS, description="enlargement rounds (mechanisms.enlargement_rounds): years from one round of admissions to the next (rounded half up; 0: a round every year)")
    round_share: RoundShare = Field(ROUND_SHARE, description="enlargement rounds: at most round_share times the members (at least 1) are admitted in one round, those the members support most")


class _InstitutionBase(Frozen):
    founders: list[str] | FounderSelector = Field(description="founding members: a list of state names or a selector")
    description: str = ""
    eligible_regions: tuple[RegionName, ...] | None = Field(None, description="regions whose states may join (simulation/regions.py), when mechanisms.eligibility_regions is on; default: open to every region")

    @field_validator("eligible_regions")
    @classmethod
    def _some_region(cls, regions: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if regions is not None and not regions:
            raise ValueError("expected at least one region, or null for no restriction")
        return regions


class Hegemonic(_InstitutionBase):
    kind: Literal["hegemonic"]
    leader: str | None = Field(None, description="leader's name; default: the strongest founder")
    params: HegemonicParams = Field(default_factory=HegemonicParams)


class Dialogue(_InstitutionBase):
    kind: Literal["dialogue"]
    leader: None = Field(None, description="dialogue platforms have no leader (null); the key exists so a hegemonic alliance can be recast as a platform by overriding kind and leader")
    params: DialogueParams = Field(default_factory=DialogueParams)


Institution = Annotated[Union[Hegemonic, Dialogue], Field(discriminator="kind")]


# --------------------------------------------------------------------------------------
# Dynamics: the world's rules, shared by all institutions
# --------------------------------------------------------------------------------------


class TensionParams(Frozen):
    relaxation: Unit = Field(0.1, description="alpha in T <- T + alpha (T* - T) + noise")
    baseline: Unit = Field(0.1, description="antagonism between identical states")
    regime_weight: TensionWeight = Field(0.6, description="weight of squared regime distance (r_i - r_j)^2 in T* (at most 100: T* is capped at 1, so larger weights change nothing, and huge ones overflowed to NaN)")
    policy_weight: TensionWeight = Field(0.5, description="weight of mean squared policy distance |f_i - f_j|^2 / K in T* (at most 100, as regime_weight)")
    rivalry_weight: TensionWeight = Field(0.5, description="weight of rivalry R_ij in T* (at most 100, as regime_weight)")
    noise: Annotated[float, Field(ge=0.0, le=10.0)] = Field(0.03, description="sd of each state's yearly mood shock e_i; dyad noise is (e_i + e_j) / sqrt(2) (at most 10: tension lies in [0, 1], so larger shocks only saturate it, and huge ones overflowed to NaN)")


class ThreatParams(Frozen):
    emergence: Unit = Field(0.03, description="yearly probability of a new transboundary threat is emergence * (1 - h_i)")
    size: Unit = Field(0.4, description="threat level added when a threat emerges")
    spread: Unit = Field(0.05, description="threat inflow: spread * proximity-weighted mean of others' threat (unblocked part)")
    decay: Unit = Field(0.1, description="yearly decay of threat")
    cooperation_decay: Unit = Field(0.3, description="extra decay per unit of counter-threat cooperation")
    erosion: NonNeg = Field(0.1, description="yearly fall of stability per unit of threat")


class InternalParams(Frozen):
    recovery: Unit = Field(0.1, description="h <- h + recovery (g - h) - erosion tau")
    crisis_base: Unit = Field(0.08, description="q0 in hazard q0 (1-g) (1 + k_tau tau) (1 + k_h (1-h)) (1 - umbrella)")
    crisis_threat_factor: NonNeg = Field(2.0, description="k_tau")
    crisis_stability_factor: NonNeg = Field(1.0, description="k_h: low stability raises the hazard")
    crisis_stability_drop: Unit = Field(0.3, description="stability lost in a crisis")
    crisis_regime_shock: NonNeg = Field(0.1, description="sd of the regime shift a crisis causes")
    crisis_policy_shock: NonNeg = Field(0.1, description="sd of the policy shift a crisis causes")


class ConflictParams(Frozen):
    dispute_base: Unit = Field(0.2, description="d0: dispute onset probability per dyad-year at T=1, proximity 1, no deterrence")
    tension_exponent: Positive = Field(1.5, description="gamma in onset d0 T^gamma prox (1 - D)")
    escalation: Unit = Field(0.15, description="an unsettled dispute escalates to conflict with probability escalation * T * (1 - dispute_control of a shared hegemonic alliance)")
    dispute_tension: Unit = Field(0.05, description="tension rise after a dispute: T += dispute_tension (1 - T)")
    conflict_tension: Unit = Field(0.3, description="tension rise after a conflict: T += conflict_tension (1 - T)")
    capability_loss: Unit = Field(0.1, description="capability lost in a conflict, times the opponent's relative strength")
    stability_loss: Unit = Field(0.2, description="stability lost by both sides in a conflict")


class CapabilityParams(Frozen):
    growth_mean: Annotated[float, Field(ge=-1.0, le=1.0)] = Field(0.02, description="mean yearly log-growth of capability (between -1 and 1: a factor e per year at most; larger values overflowed capability within a few steps)")
    growth_sd: Annotated[float, Field(ge=0.0, le=1.0)] = Field(0.03, description="sd of yearly log-growth (at most 1, as growth_mean)")


class MembershipParams(Frozen):
    review_rate: Unit = Field(0.2, description="yearly probability that a state reviews its memberships (a crisis forces a review)")
    utility_noise: UtilityWeight = Field(0.1, description="sd of each reviewing state's idiosyncratic view of each institution (a new government's judgement), added to its utility (at most 1e6: beyond it this term alone decides, and huge weights overflowed utilities to NaN)")
    join_threshold: float = Field(0.05, description="join the best institution whose utility exceeds this")
    leave_threshold: float = Field(-0.05, description="leave an institution whose utility falls below this")
    grievance_limit: Positive = Field(1.0, description="a member whose grievance exceeds this leaves a hegemonic alliance")
    grievance_decay: Unit = Field(0.1, description="yearly decay of grievance")
    max_memberships: Annotated[int, Field(ge=1, le=1000)] = Field(1, description="institutions a state may belong to at once (at most 1000; larger numbers overflowed the model's integer arithmetic)")
    umbrella_value: UtilityWeight = Field(1.0, description="utility weight of elite security: umbrella * (1 - g_i) (at most 1e6: beyond it this term alone decides, and huge weights overflowed utilities to NaN)")
    defence_value: UtilityWeight = Field(1.0, description="utility weight of collective defence: deterrence * z_i (z_i: worst proximate tension) (at most 1e6: beyond it this term alone decides, and huge weights overflowed utilities to NaN)")
    dialogue_value: UtilityWeight = Field(3.0, description="utility weight of dispute management: dialogue_intensity / relaxation * chi * z_i (at most 1e6: beyond it this term alone decides, and huge weights overflowed utilities to NaN)")
    threat_value: UtilityWeight = Field(1.0, description="utility weight of counter-threat work: counter_threat * tau_i (at most 1e6: beyond it this term alone decides, and huge weights overflowed utilities to NaN)")
    control_cost: UtilityWeight = Field(1.0, description="utility weight of lost sovereignty: sigma_i * control (at most 1e6: beyond it this term alone decides, and huge weights overflowed utilities to NaN)")
    adaptation_cost: UtilityWeight = Field(1.0, description="utility weight of regime adaptation: (r_i - r_leader)^2 (at most 1e6: beyond it this term alone decides, and huge weights overflowed utilities to NaN)")
    burden_cost: UtilityWeight = Field(10.0, description="utility weight of the yearly burden (at most 1e6: beyond it this term alone decides, and huge weights overflowed utilities to NaN)")
    view_persistence: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(0.8, description="phi: views follow v_t = phi v_(t-1) + sqrt(1 - phi^2) utility_noise eps_t when mechanisms.view_persistence is on (0: a fresh draw each year)")
    exit_cost: NonNeg = Field(0.1, description="c_max: utility a long-standing member gives up by leaving, c(t) = c_max (1 - exp(-t / exit_cost_years)) (mechanisms.exit_cost)")
    exit_cost_years: Positive = Field(10.0, description="t_c: years of membership over which the cost of leaving builds up")
    consent_entrapment_cost: UtilityWeight = Field(1.0, description="w_ent: an incumbent's weight on the risk of entrapment an applicant brings (entrapment * its worst outside quarrel)")
    consent_rivalry_cost: UtilityWeight = Field(1.0, description="w_riv: an incumbent's weight on its own tension with an applicant")
    consent_dilution_cost: UtilityWeight = Field(1.0, description="w_dil: an incumbent's weight on dilution (alliance: deterrence * max(0, 1/(n+1) - applicant share); platform: loss of consensus capacity)")
    leadership_value: UtilityWeight = Field(1.0, description="w_lead: a leader's utility of commanding its followers' share of the bloc's capability")
    protection_cost: UtilityWeight = Field(1.0, description="w_prot: a leader's cost of providing the umbrella, times its own share of the bloc's capability")
    trust_value: UtilityWeight = Field(1.0, description="w_trust: utility weight of trust in an alliance's word, w_trust (trust - 1) (mechanisms.commitments)")
    trust_recovery: Unit = Field(0.1, description="yearly recovery of trust toward 1")
    abandonment_loss: Unit = Field(0.5, description="x_ab: trust a member loses when all its allies stay out of its conflict (times the share that stayed out)")
    entrapment_loss: Unit = Field(0.1, description="x_ent: trust an ally loses when it joins a conflict, times 1 - its own tension with the opponent")


class Dynamics(Frozen):
    tension: TensionParams = Field(default_factory=TensionParams)
    threats: ThreatParams = Field(default_factory=ThreatParams)
    internal: InternalParams = Field(default_factory=InternalParams)
    conflict: ConflictParams = Field(default_factory=ConflictParams)
    capability: CapabilityParams = Field(default_factory=CapabilityParams)
    membership: MembershipParams = Field(default_factory=MembershipParams)


class Mechanisms(Frozen):
    """Switches: each turns one mechanism off entirely (its effect becomes zero)."""

    threat_emergence: bool = True
    threat_spread: bool = True
    counter_threat: bool = True
    crises: bool = True
    umbrella: bool = True
    regime_pull: bool = True
    planning_pull: bool = True
    grievance: bool = True
    suppression: bool = True
    polarisation: bool = True
    dialogue: bool = True
    consensus_capacity: bool = Field(True, description="off: chi = 1 whatever the size and heterogeneity")
    policy_convergence: bool = True
    settlement: bool = True
    deterrence: bool = True
    escalation: bool = True
    entrapment: bool = True
    capability_growth: bool = True
    burden: bool = True
    membership: bool = Field(True, description="off: states never choose to join or leave (scheduled join/leave events still apply)")
    # Issue "Membership that matches history": off by default until wired into the step.
    accession_consent: bool = Field(False, description="on: an applicant joins only if the incumbents consent (alliance: leader approves, no member objects; platform: consensus)")
    eligibility_regions: bool = Field(False, description="on: an institution with eligible_regions admits only states of those regions")
    view_persistence: bool = Field(False, description="on: views of institutions follow an AR(1) process (dynamics.membership.view_persistence) instead of a fresh draw each year")
    exit_cost: bool = Field(False, description="on: leaving costs a member more the longer it has belonged")
    commitments: bool = Field(False, description="on: allies honour calls with probability reliability, joiners fight and are entrapped, abandonment and entrapment lower trust, trust enters membership utility")
    growth_trends: bool = Field(False, description="on: each state's capability grows at growth_mean + its own growth_trend")
    leader_exit: bool = Field(False, description="on: a leader weighs its own alliance and may leave it; the strongest remaining member succeeds")
    leader_succession: bool = Field(False, description="on: leadership passes to a member whose capability exceeds succession_ratio times the leader's")
    candidacy: bool = Field(False, description="on: an application opens a candidacy judged every year by the incumbents' consent utilities; it is refused when the objectors' share of the institution's capability exceeds veto_share, and joins after candidacy_years unblocked years; a candidate withdraws when it no longer wants in (supersedes accession_consent's one-year decision)")
    threat_by_power: bool = Field(False, description="on: security demand weighs the tension with each state by that state's share of the pair's capability, z_i = max_j T_ij prox_ij p_j / (p_i + p_j) (balance of threat)")
    enlargement_rounds: bool = Field(False, description="on (needs candidacy): candidates that have served their candidacy join together in rounds, round_years apart, at most round_share times the members per round, those the members support most first")

    @model_validator(mode="after")
    def _rounds_need_candidacy(self) -> "Mechanisms":
        if self.enlargement_rounds and not self.candidacy:
            raise Problem("enlargement rounds admit candidates who have served a candidacy; expected mechanisms.candidacy: true as well", at=("enlargement_rounds",))
        return self


# --------------------------------------------------------------------------------------
# Scheduled events
# --------------------------------------------------------------------------------------


class _Event(Frozen):
    step: Annotated[int, Field(ge=1)] = Field(description="the step at whose start the event happens")
    source: str | None = Field(None, description="provenance of the event (a data file and row, a date); ignored by the model")


class ThreatEvent(_Event):
    kind: Literal["threat"]
    states: list[str] = Field(description="state names hit by a transboundary threat")
    level: Unit = Field(0.8, description="threat level set")


class CrisisEvent(_Event):
    kind: Literal["crisis"]
    states: list[str]


class RivalryEvent(_Event):
    kind: Literal["rivalry"]
    a: str
    b: str
    intensity: Unit


class JoinEvent(_Event):
    kind: Literal["join"]
    state: str
    institution: str
    record: bool = Field(False, description="part of the historical record: applied only in history.mode imposed (false: always applied)")


class LeaveEvent(_Event):
    kind: Literal["leave"]
    state: str
    institution: str
    record: bool = Field(False, description="part of the historical record: applied only in history.mode imposed (false: always applied)")


class ParamEvent(_Event):
    kind: Literal["set_param"]
    institution: str
    param: str
    value: float


class EnterEvent(_Event):
    """A state enters the system (independence, a new state from a breakup, a re-entry)."""

    kind: Literal["enter"]
    state: Annotated[str, Field(min_length=1)] = Field(description="the state's name: new (a slot is kept for it, inactive until now) or one that exited earlier")
    capability: Positive = Field(description="capability p on entry")
    regime: Unit = Field(description="regime position r on entry")
    sovereignty: Unit = Field(0.5, description="sovereignty preference sigma")
    governance: Unit = Field(0.6, description="governance quality g")
    stability: Unit | None = Field(None, description="internal stability h on entry; default: equal to governance")
    location: tuple[float, float] | None = Field(None, description="capital position (x, y) in km; needed for a new state unless the world has a distance file")
    lonlat: LonLat | None = Field(None, description="capital's longitude and latitude in degrees, for the browser app's map only (the model never reads it)")
    policy: tuple[Unit, ...] | None = Field(None, description="foreign-policy position f on entry; default drawn (after every other draw of the world)")
    region: RegionName | None = Field(None, description="region for institutions' eligible_regions (simulation/regions.py); a state keeps the region of its first entry that gives one; default none: outside every region")
    growth_trend: Annotated[float, Field(ge=-1.0, le=1.0)] | None = Field(None, description="own yearly log-growth relative to the world from entry on (mechanisms.growth_trends); default: the trend it had, 0 for a new state")


class ExitEvent(_Event):
    """A state leaves the system; its memberships pass to its successors where the limits allow."""

    kind: Literal["exit"]
    state: str
    successors: list[str] = Field([], description="states that take over its memberships, in order (each must be active then)")


class FoundEvent(_Event):
    """An institution declared under ``institutions:`` is founded now (dormant until then)."""

    kind: Literal["found"]
    institution: str


class DissolveEvent(_Event):
    """An institution ends: its members are released."""

    kind: Literal["dissolve"]
    institution: str


Event = Annotated[
    Union[ThreatEvent, CrisisEvent, RivalryEvent, JoinEvent, LeaveEvent, ParamEvent, EnterEvent, ExitEvent, FoundEvent, DissolveEvent],
    Field(discriminator="kind"),
]


# --------------------------------------------------------------------------------------
# History: a calendar, and how far the data drives the run
# --------------------------------------------------------------------------------------


class History(Frozen):
    """A historical world: step s is the calendar year start_year + s (docs/ODD.md, 'History').

    ``free``: data in the start year only. ``forced``: every active state's capability and
    regime are set from the forcing file at the start of each step. ``imposed``: forced, and
    memberships follow the events marked ``record: true`` (the model's own membership
    decisions are off).
    """

    start_year: int = Field(description="the calendar year of step 0 (step 0 is the world at the end of that year)")
    mode: Literal["free", "forced", "imposed"] = Field("free", description="free | forced | imposed")
    forcing_file: str | None = Field(None, description="CSV with columns year,state,capability,regime (needed in modes forced and imposed). Relative paths are relative to the scenario file")

    @model_validator(mode="after")
    def _forcing_needed(self) -> "History":
        if self.mode != "free" and self.forcing_file is None:
            raise Problem(f"mode {self.mode} sets capability and regime from data each year; expected history.forcing_file", at=("forcing_file",))
        return self


# --------------------------------------------------------------------------------------
# The scenario
# --------------------------------------------------------------------------------------


class Scenario(Frozen):
    """One world: states, rivalries, institutions, rules, events, length and seed.

    Names (of states, leaders, institutions in events) are resolved when the model is
    built, where generated state names are known; errors there carry the key path.
    """

    name: PrintableName = Field("scenario", description="short name, used in output folder names (no control characters)")
    description: str = ""
    seed: Annotated[int, Field(ge=0)] = Field(1, description="seed of the run's random number streams")
    steps: Annotated[int, Field(ge=0, le=100000)] = Field(100, description="steps (years) to simulate")
    world: World = Field(default_factory=lambda: World(generate=Generate(count=DEFAULT_GENERATED_STATES)))
    rivalries: tuple[Rivalry, ...] = ()
    institutions: dict[InstitutionName, Institution] = Field(default_factory=dict, description="institutions by name")
    dynamics: Dynamics = Field(default_factory=Dynamics)
    mechanisms: Mechanisms = Field(default_factory=Mechanisms)
    events: tuple[Event, ...] = ()
    history: History | None = Field(None, description="calendar and mode of a historical world; none for generated worlds")
