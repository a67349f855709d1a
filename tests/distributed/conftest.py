"""Real components for the distributed tests, started here: a throwaway PostgreSQL 15 on
127.0.0.1, a local Ray and a local Dask cluster (one of each per test session and worker).

PostgreSQL that cannot start FAILS the tests that need it, with the reason: these tests run
in CI (``.ci/run``), and a silent skip would hide that the distributed storage is untested.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _dist_support import KW, PG_DB, PG_PASSWORD, PG_USER

from equity_factors.optimize import walk_forward

PG_BIN = Path(os.environ.get("EQF_PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(*cmd: str, **kw) -> subprocess.CompletedProcess:
    """Run a PostgreSQL binary as the ``postgres`` user (initdb refuses root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture(scope="session")
def postgres():
    """``(url, admin)``: a PostgreSQL 15 server on 127.0.0.1 with a password-protected role;
    ``url`` is the Optuna URL (with the password), stopped and deleted after the session."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL 15 is not installed here: no {PG_BIN / 'initdb'} (set "
                    "EQF_PG_BIN to its bin folder)")
    root = Path(tempfile.mkdtemp(prefix="eqf-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, port = root / "data", free_port()
    pwfile = root / "pw"
    pwfile.write_text(PG_PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(pwfile, "postgres")
    steps = [
        [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
         "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "--no-sync"],
        [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
         "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
               "-c max_connections=100", "start"],
        ["psql", "-h", str(root), "-p", str(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1",
         "-c", f"CREATE ROLE {PG_USER} LOGIN PASSWORD '{PG_PASSWORD}'",
         "-c", f"CREATE DATABASE {PG_DB} OWNER {PG_USER}"],
    ]
    started = False
    try:
        for step in steps:
            done = _as_postgres(*step)
            if done.returncode != 0:
                log = (root / "log").read_text()[-2000:] if (root / "log").exists() else ""
                pytest.fail(f"PostgreSQL could not start: {' '.join(step[:1])} exited "
                            f"{done.returncode}: {done.stderr.strip()[-1500:]} {log}")
            started = started or "start" in step
        yield f"postgresql+psycopg2://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{port}/{PG_DB}"
    finally:
        if started:
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                         "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def ray_cluster():
    """A local Ray with 2 CPUs for the session (Ray starts slowly: once)."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
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
