"""A fake OpenAI-compatible chat completions server on 127.0.0.1 for tests of the LLM namer.

Behaviours (one per request: queued ones first, then the default):

==============  =======================================================================
``valid``       a valid JSON answer (scripted, or derived from the request's rule-based
                suggestion: ``"<suggestion> (fake LLM)"``, confidence 0.77)
``malformed``   content that is not JSON
``invalid``     JSON with a confidence outside [0, 1]
``refusal``     a structured refusal (``message.refusal`` set, no content)
``http429``     HTTP 429 with ``Retry-After: 0``
``http500``     HTTP 500
``http401``     HTTP 401 (bad key)
``slow``        waits ``slow_seconds`` before a valid answer (beyond a short client timeout)
==============  =======================================================================

Every request is recorded (method, path, headers, body) so tests can count calls and check
where the key went. Run it by hand::

    python -m equity_factors.testing.fake_openai --port 8799 [--behaviour valid]
    OPENAI_BASE_URL=http://127.0.0.1:8799/v1 OPENAI_API_KEY=anything eqf discover ... \\
        --name-factors --namer llm
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from equity_factors.testing._server import BackgroundServer

BEHAVIOURS: tuple[str, ...] = ("valid", "malformed", "invalid", "refusal", "http429", "http500",
                               "http401", "slow")
CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it (header names in lower case)."""

    method: str
    path: str
    headers: dict[str, str]
    body: str
    behaviour: str

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except json.JSONDecodeError:
            return None


def _suggestion(payload: Any) -> str:
    """The rule-based suggestion's name inside the request's last user message."""
    try:
        messages = payload["messages"]
        user = next(m["content"] for m in reversed(messages) if m.get("role") == "user")
        data = json.loads(user[user.index("{"):])
        return str(data["rule_based_suggestion"]["name"])
    except (KeyError, TypeError, ValueError, StopIteration):
        return "Unnamed factor"


def derived_answer(payload: Any) -> dict[str, Any]:
    """The default valid answer: the request's suggestion marked as the fake LLM's."""
    return {"name": f"{_suggestion(payload)} (fake LLM)",
            "description": "Fake answer derived from the rule-based suggestion.",
            "confidence": 0.77}


class FakeOpenAI(BackgroundServer):
    """The server. Use as a context manager, or ``start()`` / ``stop()``.

    Parameters
    ----------
    behaviours : iterable of str
        Queued behaviours, one per request, consumed in order.
    default : str
        Behaviour once the queue is empty.
    answer : dict or callable(request JSON) -> dict, optional
        The valid answer (default :func:`derived_answer`).
    slow_seconds : float
        Delay of the ``slow`` behaviour.
    port : int
        0 = a free port.
    """

    thread_name = "fake-openai"

    def __init__(self, behaviours: Iterable[str] = (), default: str = "valid",
                 answer: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
                 slow_seconds: float = 2.0, port: int = 0) -> None:
        for b in (*behaviours, default):
            if b not in BEHAVIOURS:
                raise ValueError(f"unknown behaviour {b!r}; choose from {', '.join(BEHAVIOURS)}")
        self._queue: deque[str] = deque(behaviours)
        self.default = default
        self.answer = answer
        self.slow_seconds = float(slow_seconds)
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", int(port)), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path in CHAT_PATHS and r.method == "POST"]

    def queue(self, *behaviours: str) -> None:
        """Queue behaviours for the next requests."""
        for b in behaviours:
            if b not in BEHAVIOURS:
                raise ValueError(f"unknown behaviour {b!r}; choose from {', '.join(BEHAVIOURS)}")
        with self._lock:
            self._queue.extend(behaviours)

    def reset(self) -> None:
        """Forget recorded requests and queued behaviours."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    def _next_behaviour(self) -> str:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default


    # ------------------------------------------------------------------ responses
    def _completion(self, payload: Any, content: str | None, refusal: str | None = None
                    ) -> dict[str, Any]:
        model = payload.get("model", "fake-model") if isinstance(payload, dict) else "fake-model"
        return {
            "id": f"chatcmpl-fake-{len(self.requests)}", "object": "chat.completion",
            "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": content,
                                     "refusal": refusal}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
        }

    def _valid_content(self, payload: Any) -> str:
        answer = self.answer
        if answer is None:
            data = derived_answer(payload)
        elif callable(answer):
            data = dict(answer(payload))
        else:
            data = dict(answer)
        return json.dumps(data)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # headers and body leave in one segment (no delayed-ACK stall)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # quiet: tests capture output

            def _send(self, status: int, body: Mapping[str, Any],
                      headers: Mapping[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout)

            def do_GET(self) -> None:  # noqa: N802
                self._record("", "-")
                if self.path.rstrip("/") in ("/v1/models", "/models"):
                    self._send(200, {"object": "list", "data": [
                        {"id": "fake-model", "object": "model", "owned_by": "fake"}]})
                else:
                    self._send(404, {"error": {"message": "not found", "type": "not_found"}})

            def _record(self, body: str, behaviour: str) -> None:
                with fake._lock:
                    fake.requests.append(RecordedRequest(
                        self.command, self.path,
                        {k.lower(): v for k, v in self.headers.items()}, body, behaviour))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                if self.path.rstrip("/") == "/_fake/queue":
                    self._record(body, "-")
                    try:
                        fake.queue(*json.loads(body).get("behaviours", []))
                    except (ValueError, AttributeError) as exc:
                        self._send(400, {"error": {"message": str(exc)}})
                        return
                    self._send(200, {"queued": len(fake._queue)})
                    return
                if self.path.rstrip("/") not in CHAT_PATHS:
                    self._record(body, "-")
                    self._send(404, {"error": {"message": "not found", "type": "not_found"}})
                    return
                behaviour = fake._next_behaviour()
                self._record(body, behaviour)
                try:
                    payload = json.loads(body)
                except json.JSONDecodeError:
                    self._send(400, {"error": {"message": "body is not JSON",
                                               "type": "invalid_request_error"}})
                    return
                if behaviour == "valid":
                    self._send(200, fake._completion(payload, fake._valid_content(payload)))
                elif behaviour == "slow":
                    time.sleep(fake.slow_seconds)
                    self._send(200, fake._completion(payload, fake._valid_content(payload)))
                elif behaviour == "malformed":
                    self._send(200, fake._completion(
                        payload, '{"name": "Half an answer", "description": '))
                elif behaviour == "invalid":
                    self._send(200, fake._completion(payload, json.dumps(
                        {"name": "Overconfident", "description": "x", "confidence": 7})))
                elif behaviour == "refusal":
                    self._send(200, fake._completion(payload, None,
                                                     refusal="I can't help with that."))
                elif behaviour == "http429":
                    self._send(429, {"error": {"message": "Rate limit reached",
                                               "type": "rate_limit_exceeded",
                                               "code": "rate_limit_exceeded"}},
                               {"Retry-After": "0"})
                elif behaviour == "http401":
                    self._send(401, {"error": {"message": "Incorrect API key provided",
                                               "type": "invalid_request_error",
                                               "code": "invalid_api_key"}})
                else:  # http500
                    self._send(500, {"error": {"message": "The server had an error",
                                               "type": "server_error"}})

        return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m equity_factors.testing.fake_openai",
        description="Fake OpenAI-compatible chat completions server on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8799, help="port (0 = any free one)")
    parser.add_argument("--behaviour", default="valid", choices=BEHAVIOURS,
                        help="what every request gets (queue others with POST /_fake/queue "
                             '{"behaviours": [...]})')
    parser.add_argument("--slow-seconds", type=float, default=30.0,
                        help="delay of the slow behaviour")
    args = parser.parse_args(argv)
    server = FakeOpenAI(default=args.behaviour, slow_seconds=args.slow_seconds, port=args.port)
    print(f"fake OpenAI-compatible server on {server.base_url} (behaviour: {args.behaviour}); "
          "Ctrl-C stops it", flush=True)
    server.serve_until_interrupted()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
