"""Storage URLs shown to people: passwords never reach a terminal, a log or a run record."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

_PASSWORD = re.compile(r"(://[^:/@\s]+):[^@\s]*@")


def redact_url(url: Any) -> str | None:
    """``scheme://user:***@host/db`` for ``scheme://user:secret@host/db`` (None stays None; a
    storage object that is not a URL is shown as ``"custom"``)."""
    if url is None:
        return None
    if not isinstance(url, str):
        return "custom"
    return _PASSWORD.sub(r"\1:***@", url)


def redact_text(text: str, url: Any = None) -> str:
    """``text`` with any URL password hidden, and ``url``'s password (raw or percent-decoded,
    when 3 characters or more: shorter ones would blank out ordinary letters) replaced wherever
    it appears (a driver may quote it in an error message)."""
    out = _PASSWORD.sub(r"\1:***@", str(text))
    if isinstance(url, str):
        m = re.search(r"://[^:/@\s]+:([^@\s]*)@", url)
        if m and m.group(1):
            for secret in {m.group(1), unquote(m.group(1))}:
                if len(secret) >= 3:
                    out = out.replace(secret, "***")
    return out
