"""The Mesa model that SolaraViz drives: an ``AllianceModel`` built from a scenario text and
the app's controls, stepped in lockstep with an optional paired run (``swap``).

Its constructor has its own parameter names, none called ``scenario``: ``mesa.Model`` keeps a
Mesa ``Scenario`` in ``self.scenario``, and on Reset SolaraViz passes such an object as the
keyword ``scenario`` to any constructor that accepts it.  SolaraViz re-creates this class on
Reset (a subclass per scenario, ``for_source``) with the current value of every control (``**controls``, keyed by
override path, see ``controls``); the ``scenario`` keyword it adds is Mesa's and is dropped.
The app reads the ``AllianceModel`` and never changes it: the only thing done to it is
``step()``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import mesa
from threadpoolctl import ThreadpoolController

from simulation.app import controls as ctl
from simulation.app.frame import Frame, draw as draw_frame
from simulation.app import swap as swap_rules
from simulation.app.source import ScenarioText
from simulation.errors import UserError
from simulation.model import AllianceModel
from simulation.scenario import Scenario

#: BLAS held to one thread while stepping, as ``simulation.runner`` does, so the numbers are
#: those of ``alliance-sim run``.
_THREADS = ThreadpoolController()


#: Longest wait, while stepping, for the page to show the current step (seconds): a page that
#: stops answering (closed, asleep) slows play to about one step per FRAME_WAIT_S.
FRAME_WAIT_S = 1.0


class Shown:
    """The step the page shows, as the page reports it (``shown.vue``), so play can wait for
    each frame before the next step: without it the model outruns the page, which then shows
    only the latest of several frames (a few per second at full speed).  Until the first report
    (no browser: ``solara.render`` in the tests) nothing waits."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self.step: int | None = None
        self._reporter: int | None = None  # the thread that delivers the page's reports

    def report(self, step: int) -> None:
        with self._cond:
            self.step = int(step)
            self._reporter = threading.get_ident()
            self._cond.notify_all()

    def wait_for(self, step: int, timeout: float | None = None) -> bool:
        """True once the page shows ``step`` (or has never reported), False after ``timeout``
        (default ``FRAME_WAIT_S``)."""
        with self._cond:
            if self.step is None or threading.get_ident() == self._reporter:
                # never wait in the thread that delivers the reports (a Step click is handled
                # there): the report waited for would queue behind the wait
                return self.step is None or self.step == step
            return self._cond.wait_for(lambda: self.step == step, FRAME_WAIT_S if timeout is None else timeout)


class AppModel(mesa.Model):
    """One run in the app, and optionally its pair under other rules.

    Args:
        source: the scenario text (``ScenarioText``), fixed for the life of the page.
        seed: the seed field's text; empty means the scenario's own seed.
        **controls: slider and switch values keyed by override path.
    """

    #: The scenario a page's subclass is for (``for_source``): SolaraViz re-creates the model
    #: as ``type(model)(**controls)``, and after the page switches scenario its parameter
    #: dictionary can be empty, so the source must not depend on it.
    default_source: ScenarioText | None = None

    #: The page's report of the step it shows (``for_source``; None: step without waiting).
    shown: Shown | None = None

    @classmethod
    def for_source(cls, source: ScenarioText, shown: Shown | None = None) -> type["AppModel"]:
        """A subclass whose models are built from ``source`` unless told otherwise, and whose
        steps wait for the page to show the previous one (``shown``)."""
        return type(cls.__name__, (cls,), {"default_source": source, "shown": shown, "__module__": cls.__module__})

    def __init__(self, *, source: ScenarioText | None = None, seed: str | int | None = None, **controls: Any):
        controls.pop("scenario", None)  # Mesa's own Scenario object, added by SolaraViz on Reset
        source = source or self.default_source
        if source is None:
            raise TypeError("AppModel needs a source (or use AppModel.for_source)")
        self.source = source
        self.controls = dict(controls)
        self.problem: str | None = None
        base, _ = source.load()
        run_seed, self.problem = ctl.seed_of(seed, base.seed)
        try:
            scenario, _ = source.load(ctl.overrides(self.controls))
        except UserError as exc:  # controls outside what the file allows: run the file as written
            scenario, self.problem = base, str(exc)
        self.run = scenario.model_copy(update={"seed": run_seed})
        super().__init__(rng=run_seed)
        self.sim = AllianceModel(self.run)
        self.partner: AllianceModel | None = None
        self.partner_variant: str | None = None
        self.swap_problem: str | None = None
        self.model_seconds = 0.0  # time spent stepping the model(s), for the performance figures
        self.model_steps = 0
        self.frame: Frame | None = None  # what the page shows: the last frame published (simulation.app.frame)
        self.draw_seconds = 0.0  # time spent drawing frames (added by simulation.app.frame)
        self.frames = 0  # frames drawn
        self.wait_seconds = 0.0  # time spent waiting for the page to show a step
        self.frames_missed = 0  # steps shown without the page reporting the previous one within FRAME_WAIT_S

    # ------------------------------------------------------------------ stepping
    @property
    def step_count(self) -> int:
        return self.sim.steps

    @property
    def year(self) -> int | None:
        return None if self.sim.start_year is None else self.sim.start_year + self.sim.steps

    def step(self) -> None:
        """One year of the run (and of its pair); stops at the scenario's last step."""
        if self.sim.steps >= self.run.steps:
            self.running = False
            return
        started = time.perf_counter()
        with _THREADS.limit(limits=1, user_api="blas"):
            self.sim.step()
            if self.partner is not None:
                self.partner.step()
        self.model_seconds += time.perf_counter() - started
        self.model_steps += 1
        self.running = self.sim.steps < self.run.steps
        drawn = draw_frame(self)  # while the page paints the previous frame
        if self.shown is not None:  # every step painted: the page shows the previous one first
            waited = time.perf_counter()
            self.frames_missed += not self.shown.wait_for(self.sim.steps - 1)
            self.wait_seconds += time.perf_counter() - waited
        self.frame = drawn  # what the panels show from now on (simulation.app.frame)

    # ------------------------------------------------------------------ the paired run
    def start_swap(self, variant: str) -> None:
        """Build the paired run with ``variant`` rules and bring it to the current step."""
        try:
            other = swap_rules.swapped(self.run, variant)
            partner = AllianceModel(other)
        except UserError as exc:
            self.swap_problem = f"{variant}: {exc}"
            return
        with _THREADS.limit(limits=1, user_api="blas"):
            while partner.steps < self.sim.steps:
                partner.step()
        self.partner, self.partner_variant, self.swap_problem = partner, variant, None

    def stop_swap(self) -> None:
        self.partner = self.partner_variant = self.swap_problem = None

    # ------------------------------------------------------------------ reading
    def resolved(self) -> Scenario:
        """The scenario as run so far: controls applied, seed, and ``steps`` = steps done."""
        return self.run.model_copy(update={"steps": self.sim.steps})

    def changed_controls(self) -> dict[str, Any]:
        """Controls whose value differs from the file's (for the downloaded file's header)."""
        base = ctl.model_params(self.source.load()[0])
        return {k: v for k, v in sorted(self.controls.items()) if k in base and base[k]["value"] != v}
