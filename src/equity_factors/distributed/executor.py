"""Run independent tasks on this machine's processes, a Ray cluster or a Dask cluster.

One entry point, :func:`run_tasks` (and :func:`map_tasks`, the same as an ordered iterator), so
walk-forward folds, backtest walks and model grids are sent to an existing engine instead of a
home-made pool. ``fn`` and the tasks are plain picklable in-memory objects (a module-level
function and frozen dataclasses / frames); they travel over the wire to the workers and their
results come back the same way: nothing is pickled to disk.

``"local"`` (default)
    Processes on this machine (joblib's loky: a reusable pool of spawned workers, each limited
    to one BLAS thread so ``workers`` processes use ``workers`` cores); ``workers=1`` (or a
    single task) runs serially in this process, so a progress callback and a debugger work.
``"ray"``
    ``ray.init(address=...)``: ``None`` starts a local Ray with ``workers`` CPUs (stopped again
    afterwards), ``"auto"``, ``"HOST:6379"`` or ``"ray://HOST:10001"`` joins a running
    cluster (its size decides the parallelism). An already initialized Ray is reused.
``"dask"``
    ``distributed.Client(address)``: ``None`` starts a ``LocalCluster(n_workers=workers,
    threads_per_worker=1)`` (closed afterwards), ``"tcp://HOST:8786"`` joins a scheduler. A
    client already current in this process is reused.

Results come back in task order whatever order the workers finish in. Ray and Dask import
lazily: a machine without them runs ``local`` unchanged.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from equity_factors.errors import UserError

T = TypeVar("T")
R = TypeVar("R")

Executor = Literal["local", "ray", "dask"]
#: The executors, in the order ``--executor`` lists them.
EXECUTORS: tuple[str, ...] = ("local", "ray", "dask")


def check_executor(executor: str, address: str | None = None, workers: int | None = None) -> str:
    """Normalize ``executor`` and refuse impossible combinations (one line each)."""
    key = str(executor).strip().lower()
    if key not in EXECUTORS:
        raise UserError(f"unknown executor {executor!r}; choose from: {', '.join(EXECUTORS)}")
    if workers is not None and int(workers) < 1:
        raise UserError("--workers must be at least 1")
    if key == "local" and address:
        raise UserError("--address joins a Ray or Dask cluster; pass --executor ray or "
                        "--executor dask with it (the local executor needs no address)")
    return key


def default_workers() -> int:
    """The CPUs this process may use (its affinity mask, else ``os.cpu_count()``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_tasks(fn: Callable[[T], R], tasks: Iterable[T], *, executor: str = "local",
              address: str | None = None, workers: int | None = None) -> list[R]:
    """Apply ``fn`` to every task on the chosen executor; the results in task order.

    Parameters
    ----------
    fn : callable(task) -> result
        A picklable (module-level) function.
    tasks : iterable
        Picklable task objects (each travels to a worker in memory).
    executor : {"local", "ray", "dask"}, default "local"
    address : str, optional
        The Ray or Dask cluster to join (``None`` starts a local one).
    workers : int, optional
        Processes (local), CPUs of a local Ray, workers of a local Dask cluster; default: the
        CPUs of this machine. Ignored when joining a cluster by ``address``.

    Returns
    -------
    list
        ``[fn(t) for t in tasks]``, computed in parallel.
    """
    return list(map_tasks(fn, tasks, executor=executor, address=address, workers=workers))


def map_tasks(fn: Callable[[T], R], tasks: Iterable[T], *, executor: str = "local",
              address: str | None = None, workers: int | None = None) -> Iterator[R]:
    """:func:`run_tasks` as an iterator: each result as soon as it and those before it are in
    (so a caller can record finished tasks while later ones still run)."""
    key = check_executor(executor, address, workers)
    items = list(tasks)
    n = int(workers) if workers else default_workers()
    if not items:
        return iter(())
    if key == "local":
        return _local(fn, items, n)
    if key == "ray":
        return _ray(fn, items, address, n)
    return _dask(fn, items, address, n)


def task_map(executor: str = "local", address: str | None = None, workers: int | None = None
             ) -> Callable[[Callable[[T], R], Iterable[T]], Iterator[R]]:
    """A ``map``-like function ``(fn, tasks) -> iterator`` bound to an executor, for pure code
    that takes a ``map_fn`` (e.g. :func:`equity_factors.optimize.walk_forward`)."""
    check_executor(executor, address, workers)

    def mapper(fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        return map_tasks(fn, tasks, executor=executor, address=address, workers=workers)

    return mapper


# ----------------------------------------------------------------------------------- engines


def _local(fn: Callable[[T], R], items: Sequence[T], n: int) -> Iterator[R]:
    if n == 1 or len(items) == 1:
        return map(fn, items)
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=min(n, len(items)), backend="loky", return_as="generator")
    return iter(parallel(delayed(fn)(t) for t in items))


def _ray(fn: Callable[[T], R], items: Sequence[T], address: str | None, n: int) -> Iterator[R]:
    from equity_factors._optional import require

    if address and (Path.home() / ".ray" / "auth_token").exists():
        # A cluster started by `ray start` uses token authentication when this token file
        # exists; a driver joining it must ask for that mode (read when Ray is imported).
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    ray = require("ray")
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"log_to_driver": False, "include_dashboard": False,
                                  "configure_logging": False}
        if address:
            kwargs["address"] = address
        else:  # a new local cluster, even when one started by `ray start` runs here
            kwargs.update(address="local", num_cpus=n)
        try:
            ray.init(**kwargs)
        except Exception as exc:  # ConnectionError, RuntimeError, ValueError...
            raise UserError(f"cannot start or join Ray at {address or 'a local cluster'} "
                            f"({_first_line(exc)}); check --address (ray://HOST:10001 or "
                            "HOST:6379) and that `ray start --head` runs there") from None
        started = True

    def results() -> Iterator[R]:
        try:
            remote = ray.remote(num_cpus=1)(_call)
            fn_ref = ray.put(fn)
            refs = [remote.remote(fn_ref, t) for t in items]
            for ref in refs:
                yield ray.get(ref)
        finally:
            if started:
                ray.shutdown()

    return results()


def _dask(fn: Callable[[T], R], items: Sequence[T], address: str | None, n: int) -> Iterator[R]:
    from equity_factors._optional import require

    distributed = require("distributed")
    client = None
    with contextlib.suppress(ValueError):
        client = distributed.get_client() if not address else None
    owned: list[Any] = []
    if client is None:
        try:
            if address:
                client = distributed.Client(address, timeout="10s")
            else:
                cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1,
                                                   processes=True, dashboard_address=None,
                                                   scheduler_kwargs={"dashboard": False},
                                                   host="127.0.0.1")
                owned.append(cluster)
                client = distributed.Client(cluster)
        except Exception as exc:  # OSError, TimeoutError...
            for c in owned:
                c.close()
            raise UserError(f"cannot start or join Dask at {address or 'a local cluster'} "
                            f"({_first_line(exc)}); check --address (tcp://HOST:8786) and that "
                            "`dask scheduler` runs there") from None
        owned.insert(0, client)

    def results() -> Iterator[R]:
        try:
            # one message for all the tasks (``client.map``), and the results as they finish
            # (``as_completed``, batched), held until those before them are in: a blocking
            # ``future.result()`` per task costs a round trip through the client's event
            # loop each (~10 ms a task measured, against ~1 ms this way)
            futures = client.map(fn, items, pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            done: dict[int, Any] = {}
            nxt = 0
            for batch in distributed.as_completed(futures, with_results=True).batches():
                for fut, value in batch:
                    done[index[fut.key]] = value
                while nxt in done:
                    yield done.pop(nxt)
                    nxt += 1
        finally:
            for c in owned:
                c.close()

    return results()


def _call(fn: Callable[[T], R], task: T) -> R:
    """``fn(task)`` on a Ray worker (a plain function: Ray wraps it; ``fn`` may be a builtin)."""
    return fn(task)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
