"""How ``eqf dashboard`` starts Streamlit: the command line (usage statistics off, headless,
bound to one address) and the port check made before it starts."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from equity_factors.errors import UserError

APP = Path(__file__).with_name("app.py")
LOCALHOST = "127.0.0.1"

#: Streamlit settings passed on its command line (they win over any config.toml): no usage
#: statistics (on by default, they fetch an outside URL), no browser opened, no file watcher.
SETTINGS = {
    "browser.gatherUsageStats": "false",
    "server.headless": "true",
    "server.fileWatcherType": "none",
    "server.runOnSave": "false",
    "global.developmentMode": "false",
    "client.toolbarMode": "viewer",
}


def check_port(host: str, port: int) -> None:
    """Refuse a port out of range or in use on ``host`` (one line saying how to fix it)."""
    if not 1 <= port <= 65535:
        raise UserError(f"--port {port} is not a port number; give one in 1..65535")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except socket.gaierror:
            raise UserError(f"--host {host} is not an address of this machine; use "
                            f"{LOCALHOST}") from None
        except OSError as exc:
            raise UserError(f"port {port} on {host} is in use or not allowed ({exc.strerror}); "
                            "pass --port with a free port, e.g. --port 8502") from None


def streamlit_command(host: str, port: int) -> list[str]:
    """``streamlit run app.py`` with :data:`SETTINGS` and the address (through
    :mod:`equity_factors.dashboard.serve`, which imports the pages' modules first)."""
    flags = [f"--{k}={v}" for k, v in {**SETTINGS, "server.address": host,
                                         "server.port": str(port)}.items()]
    return [sys.executable, "-m", "equity_factors.dashboard.serve", "run", str(APP), *flags]


def streamlit_env(data_dir: str | os.PathLike[str]) -> dict[str, str]:
    """The server's environment: the data directory and the statistics switch off again."""
    env = dict(os.environ)
    env["EQF_HOME"] = str(data_dir)
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    return env
