"""Executors for pyabc: one generation's particles spread over the workers, reproducibly.

pyabc's own parallel samplers (``MulticoreEvalParallelSampler``, ``DaskDistributedSampler``,
``ConcurrentFutureSampler``, ``MappingSampler``) reseed numpy's global generator from the
operating system in every worker (``np.random.seed()``) before drawing proposals, and the
dynamic ones keep whichever particles finish first: their posteriors cannot be re-made.

``SeededMappingSampler`` is pyabc's ``MappingSampler`` with one change: task i of generation t
seeds the global generator (numpy's and ``random``'s) from ``SeedSequence(seed, spawn_key=
(SAMPLER_STREAM, t + 1, i))`` instead of from the operating system.  Each task proposes,
simulates and accepts/rejects until it has one accepted particle; results are kept in task
order.  A task's outcome then depends only on the seed, the generation and its index, so the
posterior is identical with 1, 2 or 20 workers and with the serial, process and dask
executors.  Everything else (proposals, weights, epsilon, stopping) is pyabc's.

The main process's global generator is saved and restored around a calibration
(``global_rng_guard``), so nothing outside the calibration sees a changed global state.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import random
from typing import Any, Callable, Iterable, Iterator

import numpy as np
from pyabc.sampler import MappingSampler

from simulation.errors import UserError
from simulation.experiments.executors import CONNECT_TIMEOUT_S, SINGLE_THREAD_ENV, new_pool, single_thread_env, stop_pool

#: Child stream of the root seed used by the sampler's tasks (the model seeds use another path).
SAMPLER_STREAM = 7
#: Child stream seeding the main process's global generator during a calibration.
MAIN_STREAM = 8


def task_seeds(seed: int, t: int, n: int) -> list[int]:
    """Seeds (32-bit, as ``np.random.seed`` takes) of the n tasks of generation ``t``
    (``t = -1`` is the prior sample that calibrates the first epsilon)."""
    parent = np.random.SeedSequence(seed, spawn_key=(SAMPLER_STREAM, t + 1))
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in parent.spawn(n)]


class SeededMappingSampler(MappingSampler):
    """pyabc's ``MappingSampler`` with tasks seeded from the calibration seed (see module doc)."""

    def __init__(self, map_: Callable[..., Iterable[Any]], seed: int):
        super().__init__(map_=map_, mapper_pickles=False)
        self.seed = int(seed)
        self.max_task_evals: float = math.inf

    def __getstate__(self) -> Any:
        return (super().__getstate__(), self.seed, self.max_task_evals)

    def __setstate__(self, state: Any) -> None:
        base, self.seed, self.max_task_evals = state
        super().__setstate__(base)

    def map_function(self, simulate_one: Any, task_seed: int) -> tuple[Any, int]:
        """Sample until one particle is accepted (or the task's share of ``max_eval`` is used)."""
        simulate_one = self.unpickle(simulate_one)
        np.random.seed(task_seed)
        random.seed(task_seed)
        nr_simulations = 0
        sample = self._create_empty_sample()
        while nr_simulations < self.max_task_evals:
            new_sim = simulate_one()
            nr_simulations += 1
            sample.append(new_sim)
            if new_sim.accepted:
                break
        return sample, nr_simulations

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
        self.max_task_evals = math.ceil(max_eval / n) if math.isfinite(max_eval) else math.inf
        work = functools.partial(self.map_function, self.pickle(simulate_one))
        results = list(self.map_(work, task_seeds(self.seed, t, n)))
        sample = self._create_empty_sample()
        total = 0
        for part, evaluations in results:
            sample += part
            total += evaluations
        self.nr_evaluations_ = total
        if sample.n_accepted < n:
            sample.ok = False
        return sample


@contextlib.contextmanager
def global_rng_guard(seed: int) -> Iterator[None]:
    """Seed numpy's and ``random``'s global generators for the calibration, restore them after."""
    np_state, py_state = np.random.get_state(), random.getstate()
    main = int(np.random.SeedSequence(seed, spawn_key=(MAIN_STREAM,)).generate_state(1, dtype=np.uint32)[0])
    np.random.seed(main)
    random.seed(main)
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


#: The process pool of the calibration in progress (``terminate_workers`` ends its workers).
_ACTIVE_POOLS: list[Any] = []


def terminate_workers() -> bool:
    """End the running process pool's workers; return False if there is none.

    Safe in a signal handler: it only sends signals.  The pool then breaks, and ``map``
    raises ``BrokenProcessPool`` in the main thread at a point where unwinding is safe;
    raising from the handler instead could land inside the executor's own bookkeeping (a
    finaliser swallowed it, or a lock was left held and the command hung)."""
    if not _ACTIVE_POOLS:
        return False
    for process in list((getattr(_ACTIVE_POOLS[-1], "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()
    return True


@contextlib.contextmanager
def open_mapper(kind: str, workers: int, scheduler: str | None = None, scheduler_file: str | None = None) -> Iterator[tuple[Callable, dict]]:
    """A ``map`` for the executor (serial, processes or dask) and a description for the manifest.

    The pool or dask client lives for the whole calibration, so workers import pyabc and the
    model once."""
    if kind == "serial":
        yield map, {"executor": "serial", "workers": 1}
        return
    if kind == "processes":
        with single_thread_env(), new_pool(workers) as pool:  # the spawned workers inherit it; they end with the calibration
            _ACTIVE_POOLS.append(pool)
            try:
                yield (lambda fn, items: pool.map(fn, list(items))), {"executor": "processes", "workers": workers}
            except BaseException:
                # Ctrl-C or SIGTERM: end the workers now; the generation in progress is lost,
                # the finished ones are in abc.db, and no worker outlives the calibration
                stop_pool(pool)
                raise
            finally:
                _ACTIVE_POOLS.remove(pool)
        return
    if kind == "dask":
        from dask.distributed import Client, LocalCluster

        cluster = None
        try:
            if scheduler:
                client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
            elif scheduler_file:
                if not os.path.exists(scheduler_file):
                    raise UserError(f"scheduler file not found: {scheduler_file}; expected the file written by the dask scheduler")
                client = Client(scheduler_file=scheduler_file, timeout=f"{CONNECT_TIMEOUT_S}s")
            else:
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                                       host="127.0.0.1", env=SINGLE_THREAD_ENV)
                client = Client(cluster)
        except (OSError, TimeoutError) as exc:
            where = scheduler or scheduler_file or "a local cluster"
            raise UserError(f"cannot reach the dask scheduler ({exc}); expected a running scheduler at {where}") from None
        try:
            def dask_map(fn: Callable, items: Iterable[Any]) -> list[Any]:
                futures = client.map(fn, list(items), pure=False)
                return client.gather(futures)

            threads = sum(client.nthreads().values())
            yield dask_map, {"executor": "dask", "workers": threads, "scheduler": scheduler, "scheduler_file": scheduler_file}
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        return
    raise UserError(f"unknown executor {kind!r}; expected serial, processes or dask")
