"""What the fake servers share: serve an ``http.server`` in a daemon thread, as a context
manager."""

from __future__ import annotations

import threading
from typing import Any, TypeVar

T = TypeVar("T", bound="BackgroundServer")


class BackgroundServer:
    """Mixin: ``self._server`` (an http.server) runs in a thread between start() and stop()."""

    _server: Any
    _thread: threading.Thread | None = None
    thread_name = "fake-server"

    def start(self: T) -> T:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name=self.thread_name)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_until_interrupted(self) -> None:
        """Run in the foreground (``python -m ...``) until Ctrl-C, then stop."""
        import time

        if self._thread is None:
            self.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self: T) -> T:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
