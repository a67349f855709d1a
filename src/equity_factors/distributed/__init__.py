"""Infrastructure for running work past one process: executors (local processes, Ray, Dask).

Not a computation package: pure code takes a ``map_fn`` and never imports this one; workflows
pass :func:`~equity_factors.distributed.executor.task_map` to it.
"""

from equity_factors.distributed.executor import (
    EXECUTORS,
    Executor,
    check_executor,
    map_tasks,
    run_tasks,
    task_map,
)

__all__ = ["EXECUTORS", "Executor", "check_executor", "map_tasks", "run_tasks", "task_map"]
