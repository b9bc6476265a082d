"""Where batches run: in this process, in a local process pool, or on a dask cluster.

Every executor calls the same ``worker.run_batch`` on the same batches, and every run's
numbers depend only on its scenario, overrides and seed, so results never depend on the
executor, the number of workers or the order in which batches finish.  Only a bounded
number of batches is in flight at once, so the parent's memory does not grow with the
number of runs.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from simulation.errors import UserError
from simulation.experiments.worker import Batch, pool_worker_init, run_batch, warm_up

#: Batches per worker in the queue: enough to balance uneven run times, few enough that
#: per-batch overhead (pickling, scheduling) stays negligible.
BATCHES_PER_WORKER = 4
#: Upper bound on runs per batch, so progress and crash losses stay fine-grained.
MAX_RUNS_PER_BATCH = 25
#: Batches in flight per worker (queued ahead so workers never idle).
IN_FLIGHT_PER_WORKER = 2
#: Environment set for worker processes: numerical libraries use one thread each.
SINGLE_THREAD_ENV = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")}

#: Workers allowed per core (``--workers``; docs/limits.md): above the core count is a
#: warning, above this many per core an error.
MAX_WORKERS_PER_CORE = 4
#: Seconds to wait for a dask scheduler (checked before the results folder is created).
CONNECT_TIMEOUT_S = 10.0
#: Largest dask scheduler file read (it holds an address and a few settings).
MAX_SCHEDULER_FILE_BYTES = 1024 * 1024
#: Address schemes dask's comms understand.
DASK_SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")

OnDone = Callable[[Batch, list[dict[str, Any]]], None]
OnError = Callable[[Batch, BaseException], None]


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def max_workers(cores: int) -> int:
    """The most ``--workers`` accepted on ``cores`` cores."""
    return MAX_WORKERS_PER_CORE * max(1, cores)


class SchedulerLost(Exception):
    """The dask scheduler went away during the sweep."""


def scheduler_address(spec: ExecutorSpec) -> str | None:
    """The scheduler address the options name (from ``--scheduler`` or the scheduler file),
    checked for form; ``UserError`` for a bad address or an unreadable or malformed file."""
    import json

    from simulation.scenario_io import read_bounded

    if spec.scheduler_file:
        raw = read_bounded(Path(spec.scheduler_file), spec.scheduler_file, MAX_SCHEDULER_FILE_BYTES, "a dask scheduler")
        try:
            info = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            info = None
        if not isinstance(info, dict) or not isinstance(info.get("address"), str):
            raise UserError("expected a dask scheduler file: JSON with the scheduler's \"address\" "
                            "(as written by dask-scheduler --scheduler-file)", file=spec.scheduler_file)
        address, origin = info["address"], f"the address in {spec.scheduler_file}"
    elif spec.scheduler:
        address, origin = spec.scheduler, "--scheduler"
    else:
        return None
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    if scheme not in DASK_SCHEMES or not rest or any(c.isspace() or ord(c) < 32 for c in address):
        raise UserError(f"{origin}: {address[:80]!r} is not a dask scheduler address; expected e.g. tcp://host:8786 "
                        f"(schemes: {', '.join(DASK_SCHEMES)})")
    return address


def check_scheduler(spec: ExecutorSpec, timeout: float | None = None) -> None:
    """Connect to the dask scheduler the options name and disconnect: a bad address, a bad
    scheduler file or a scheduler that does not answer is a ``UserError`` before anything
    is written.  Nothing to do for the other executors or a local cluster."""
    if spec.kind != "dask":
        return
    address = scheduler_address(spec)
    if address is None:
        return
    from dask.distributed import Client

    timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
    try:
        client = Client(address, timeout=f"{timeout}s", set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - dask raises OSError, TimeoutError, ValueError, ... for a bad scheduler
        raise UserError(f"cannot reach the dask scheduler at {address} within {timeout:g} s ({type(exc).__name__}: "
                        f"{str(exc).strip()[:200]}); expected a running scheduler (nothing was written)") from None
    client.close()


def runs_per_batch(n_runs: int, workers: int) -> int:
    """Batch size giving about ``BATCHES_PER_WORKER`` batches per worker."""
    if workers <= 1:
        return 1
    return max(1, min(MAX_RUNS_PER_BATCH, math.ceil(n_runs / (workers * BATCHES_PER_WORKER))))


@dataclass(frozen=True)
class ExecutorSpec:
    """Which executor to use and how to reach it."""

    kind: str = "processes"
    workers: int = 1
    scheduler: str | None = None
    scheduler_file: str | None = None

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "workers": self.workers, "scheduler": self.scheduler, "scheduler_file": self.scheduler_file}


def execute(batches: Sequence[Batch], spec: ExecutorSpec, on_done: OnDone, on_error: OnError,
            pool: ProcessPoolExecutor | None = None) -> None:
    """Run ``batches``; call ``on_done`` with each batch's records, ``on_error`` if a batch
    as a whole could not run (a crashed worker, a lost connection).  ``pool``: a process
    pool already started (``WorkerPool.take``), used and shut down here."""
    if spec.kind == "serial":
        _serial(batches, on_done, on_error)
    elif spec.kind == "processes":
        _processes(batches, spec.workers, on_done, on_error, pool)
    elif spec.kind == "dask":
        _dask(batches, spec, on_done, on_error)
    else:  # pragma: no cover - argparse restricts the choice
        raise UserError(f"unknown executor {spec.kind!r}; expected serial, processes or dask")


def _serial(batches: Sequence[Batch], on_done: OnDone, on_error: OnError) -> None:
    for batch in batches:
        on_done(batch, run_batch(batch))


def _pool_context() -> multiprocessing.context.BaseContext:
    """``spawn``: each worker starts a fresh interpreter that inherits ``SINGLE_THREAD_ENV``,
    so OpenBLAS/OpenMP create no thread pools at all.  (Forked workers inherit pools sized for
    every core; their idle threads then compete with the other workers, which on a 2-core
    machine made 2 workers barely faster than 1.)  Safe whatever threads the parent runs."""
    return multiprocessing.get_context("spawn")


@contextlib.contextmanager
def single_thread_env() -> Iterator[None]:
    """``SINGLE_THREAD_ENV`` set in this process while workers are spawned (they inherit it)."""
    saved = {k: os.environ.get(k) for k in SINGLE_THREAD_ENV}
    os.environ.update(SINGLE_THREAD_ENV)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def new_pool(workers: int) -> ProcessPoolExecutor:
    """A spawned process pool whose workers ignore idle Ctrl-C and end with their parent (``worker.pool_worker_init``)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(), initializer=pool_worker_init, initargs=(os.getpid(),))


class WorkerPool:
    """A process pool started before the batches are known.  Each spawned worker is a fresh
    interpreter that imports the model (Mesa brings networkx, scipy.spatial and pandas:
    about a second), so the sweep starts its workers first and plans and checks the
    experiment meanwhile; a no-op task per worker (``worker.warm_up``) makes each import
    then, not when its first batch arrives.  ``take`` hands the pool to ``execute``;
    ``close`` stops it if the sweep ends without running (a refused input, a signal)."""

    def __init__(self, workers: int, run_function: str):
        self.workers = workers
        with single_thread_env():
            self._pool: ProcessPoolExecutor | None = new_pool(workers)
            # One task per worker: with spawn, each submit starts a worker while none is idle.
            self._warming = [self._pool.submit(warm_up, run_function) for _ in range(workers)]

    def take(self) -> ProcessPoolExecutor | None:
        """The pool, now the caller's to shut down (None if closed, or broken while starting:
        ``execute`` then starts a new one)."""
        pool, self._pool = self._pool, None
        if pool is not None and any(f.done() and isinstance(f.exception(), BrokenProcessPool) for f in self._warming):
            stop_pool(pool)
            return None
        return pool

    def close(self) -> None:
        """Stop the workers at once unless ``take`` handed the pool over (idempotent)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            stop_pool(pool)


def _processes(batches: Sequence[Batch], workers: int, on_done: OnDone, on_error: OnError,
               warm: ProcessPoolExecutor | None = None) -> None:
    if not batches:  # nothing to run (a resumed sweep already complete): no need to wait for the workers
        if warm is not None:
            stop_pool(warm)
        return
    pending = iter(batches)
    window = max(1, workers * IN_FLIGHT_PER_WORKER)
    broken = False
    with single_thread_env():  # inherited by the workers the pool spawns
        while True:  # a new pool after a crash, for the batches not yet submitted
            pool, warm = warm or new_pool(workers), None
            with pool:
                in_flight: dict[Future, Batch] = {}
                broken = False
                _fill(pool, pending, in_flight, window)
                try:
                    broken = _drain(pool, pending, in_flight, window, on_done, on_error)
                except BaseException:
                    # Ctrl-C, SIGTERM, a full disk: drop queued batches, stop the workers at
                    # once (a run cut short leaves only a temporary file, removed on resume)
                    # and wait for them, so that no record is written after the manifest and
                    # no worker outlives the sweep.
                    stop_pool(pool)
                    raise
            if not broken:
                return


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued, terminate the workers and wait for them to end."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle on the workers
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)
    for process in processes:
        process.join(timeout=5)


def _drain(pool: Any, pending: Iterator[Batch], in_flight: dict, window: int, on_done: OnDone, on_error: OnError) -> bool:
    """Collect results and keep the window full; return True if the pool broke."""
    broken = False
    while in_flight:
        done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
        for future in done:
            batch = in_flight.pop(future)
            exc = future.exception()
            if exc is None:
                on_done(batch, future.result())
            else:
                broken = broken or isinstance(exc, BrokenProcessPool)
                on_error(batch, exc)
        if not broken:
            _fill(pool, pending, in_flight, window)
    return broken


def _fill(pool: Any, pending: Iterator[Batch], in_flight: dict, window: int) -> None:
    while len(in_flight) < window:
        batch = next(pending, None)
        if batch is None:
            return
        in_flight[pool.submit(run_batch, batch)] = batch


#: Client-side dask loggers silenced while a sweep runs: a lost scheduler is reported once,
#: as the sweep's own message with the resume command, not also as dask's log lines.
DASK_CLIENT_LOGGERS = ("distributed.client", "distributed.core", "distributed.comm", "distributed.batched",
                       "distributed.utils")


def _cause(exc: BaseException | None) -> str:
    """`` (Type: text)`` for an exception, nothing when dask gave none (a cancelled future)."""
    if exc is None:
        return " (it stopped answering)"
    text = str(exc).strip().splitlines()
    return f" ({type(exc).__name__}" + (f": {text[0][:200]})" if text else ")")


def _dask(batches: Sequence[Batch], spec: ExecutorSpec, on_done: OnDone, on_error: OnError) -> None:
    import logging

    loggers = [logging.getLogger(name) for name in DASK_CLIENT_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        _dask_run(batches, spec, on_done, on_error)
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _dask_run(batches: Sequence[Batch], spec: ExecutorSpec, on_done: OnDone, on_error: OnError) -> None:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    address = scheduler_address(spec)
    try:
        if address is not None:
            client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
        else:
            cluster = LocalCluster(n_workers=spec.workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, host="127.0.0.1", env=SINGLE_THREAD_ENV)
            client = Client(cluster)
    except (OSError, TimeoutError) as exc:
        where = address or "a local cluster"
        raise SchedulerLost(f"cannot reach the dask scheduler at {where}" + _cause(exc)) from None
    try:
        threads = sum(client.nthreads().values()) or 1
        window = max(1, threads * IN_FLIGHT_PER_WORKER)
        pending = iter(batches)
        owner: dict[Any, Batch] = {}
        queue = as_completed()
        token = f"{os.getpid()}-{time.monotonic_ns()}"

        def submit_next() -> bool:
            batch = next(pending, None)
            if batch is None:
                return False
            future = client.submit(run_batch, batch, pure=False, key=f"alliance-sim-batch-{batch.index}-{token}")
            owner[future.key] = batch
            queue.add(future)
            return True

        for _ in range(window):
            if not submit_next():
                break
        try:
            for future in queue:
                batch = owner.pop(future.key)
                if future.status == "finished":
                    on_done(batch, future.result())
                else:
                    try:
                        exc = future.exception()
                    except Exception as err:  # cancelled futures raise here
                        exc = err
                    if client.status in ("closed", "closing") or _is_connection_error(exc):
                        raise SchedulerLost("lost the connection to the dask scheduler" + _cause(exc))
                    on_error(batch, exc)
                future.release()
                submit_next()
        except (OSError, TimeoutError) as exc:
            raise SchedulerLost("lost the connection to the dask scheduler" + _cause(exc)) from None
        except Exception as exc:
            if _is_connection_error(exc):
                raise SchedulerLost("lost the connection to the dask scheduler" + _cause(exc)) from None
            raise
    finally:
        try:
            client.close()
        except Exception:  # noqa: BLE001 - a client whose scheduler is gone may fail to close; nothing is lost
            pass
        if cluster is not None:
            cluster.close()


def _is_connection_error(exc: BaseException | None) -> bool:
    """Whether dask failed because the scheduler is gone (closed client, closed comm)."""
    names = {cls.__name__ for cls in type(exc).__mro__} if exc is not None else set()
    return bool(names & {"ClosedClientError", "CommClosedError", "StreamClosedError", "CancelledError"})
