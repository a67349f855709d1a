"""Real components for the distributed tests, started here: a throwaway PostgreSQL 15 on
127.0.0.1, a local Ray and a local Dask cluster (one of each per test session and worker).

PostgreSQL that cannot start FAILS the tests that need it, with the reason: these tests run
in CI (``.ci/run``), and a silent skip would hide that the distributed storage is untested.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _dist_support import KW, PG_DB, PG_PASSWORD, PG_USER

from equity_factors.optimize import walk_forward


@pytest.fixture(scope="session")
def postgres():
    """The Optuna URL (with its password) of a PostgreSQL 15 server on 127.0.0.1 with a
    password-protected role, stopped and deleted after the session."""
    from equity_factors.testing.postgres import PostgresError, TemporaryPostgres

    server = TemporaryPostgres(PG_USER, PG_PASSWORD, PG_DB)
    try:
        server.start()
    except PostgresError as exc:
        pytest.fail(str(exc))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def ray_cluster():
    """A local Ray with 2 CPUs for the session (Ray starts slowly: once)."""
    import ray

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def dask_client():
    """A local Dask cluster of 2 single-threaded worker processes for the session."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None, scheduler_kwargs={"dashboard": False},
                           host="127.0.0.1")
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="session")
def factor_returns():
    rng = np.random.default_rng(3)
    n = 90 + 30 * 4 + 12
    return pd.DataFrame(rng.normal(0.0003, 0.01, (n, 4)),
                        index=pd.bdate_range("2020-01-01", periods=n),
                        columns=["F1", "F2", "F3", "F4"])


@pytest.fixture(scope="session")
def serial(factor_returns):
    return walk_forward(factor_returns, 90, 30, **KW)
