"""A throwaway PostgreSQL server on 127.0.0.1, for tests, benchmarks and trying ``--storage``.

``with TemporaryPostgres() as pg: pg.url`` runs ``initdb`` in a new temporary folder (as the
``postgres`` user when run as root: initdb refuses root), starts the server on a free port of
127.0.0.1 only, creates a role with a password and a database, and on exit stops the server and
deletes the folder. Binaries: ``EQF_PG_BIN`` or ``/usr/lib/postgresql/15/bin``. Durability is
off (``fsync=off``): the data is thrown away anyway.

Run ``python -m equity_factors.testing.postgres [--port 54329]`` to get one until Ctrl-C (it
prints the URL).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

DEFAULT_BIN = "/usr/lib/postgresql/15/bin"


class PostgresError(RuntimeError):
    """PostgreSQL could not be started (the message says which step failed and why)."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TemporaryPostgres:
    """A PostgreSQL server for the duration of a ``with`` block.

    Parameters
    ----------
    user, password, database : str
        The role (with this password: connections over TCP must give it) and its database.
    bin_dir : str, optional
        Folder of ``initdb`` and ``pg_ctl`` (default ``EQF_PG_BIN`` or PostgreSQL 15's).
    """

    def __init__(self, user: str = "eqf", password: str = "eqf-local", database: str = "optuna",
                 bin_dir: str | None = None, port: int | None = None) -> None:
        self.user, self.password, self.database = user, password, database
        self.bin = Path(bin_dir or os.environ.get("EQF_PG_BIN", DEFAULT_BIN))
        self.root: Path | None = None
        self.port = int(port or 0)
        self._started = False

    @property
    def url(self) -> str:
        """The Optuna/SQLAlchemy URL (with the password)."""
        return (f"postgresql+psycopg2://{self.user}:{self.password}@127.0.0.1:{self.port}/"
                f"{self.database}")

    def _run(self, *cmd: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120)

    def start(self) -> TemporaryPostgres:
        if not (self.bin / "initdb").exists():
            raise PostgresError(f"PostgreSQL is not installed here: no {self.bin / 'initdb'} "
                                "(install PostgreSQL 15 or set EQF_PG_BIN to its bin folder)")
        self.root = root = Path(tempfile.mkdtemp(prefix="eqf-pg-"))
        pwfile = root / "pw"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(pwfile, "postgres")
        self.port = self.port or free_port()
        data = root / "data"
        steps = [
            [str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
             "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "--no-sync"],
            [str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t",
             "60", "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} -k {root} "
                         "-c fsync=off -c max_connections=100", "start"],
            ["psql", "-h", str(root), "-p", str(self.port), "-U", "postgres", "-v",
             "ON_ERROR_STOP=1", "-q",
             "-c", f"CREATE ROLE {self.user} LOGIN PASSWORD '{self.password}'",
             "-c", f"CREATE DATABASE {self.database} OWNER {self.user}"],
        ]
        for step in steps:
            done = self._run(*step)
            if done.returncode != 0:
                log = (root / "log").read_text()[-1500:] if (root / "log").exists() else ""
                self.stop()
                raise PostgresError(f"PostgreSQL could not start: {Path(step[0]).name} exited "
                                    f"{done.returncode}: {done.stderr.strip()[-1500:]} {log}")
            self._started = self._started or step[-1] == "start"
        return self

    def stop(self) -> None:
        if self.root is None:
            return
        if self._started:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m",
                      "immediate", "-w", "stop")
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> TemporaryPostgres:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


if __name__ == "__main__":  # pragma: no cover - manual use
    import argparse
    import signal
    import time

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # a kill (SIGTERM) stops the server too

    signal.signal(signal.SIGTERM, _stop)

    parser = argparse.ArgumentParser(prog="python -m equity_factors.testing.postgres")
    parser.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    with TemporaryPostgres(port=parser.parse_args().port) as pg:
        print(pg.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
