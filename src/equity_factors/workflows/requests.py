"""What every workflow request shares: a frozen dataclass that goes to and from plain JSON.

A request is recorded whole (``run.json``, the results JSON) and read back into the same type,
so no consumer looks fields up by hand. Nested requests (``OptimizeRequest.factors``) and frozen
specs (``BasketSpec``) are rebuilt from their type hints; tuples come back as tuples.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T", bound="Request")


def _plain(value: Any) -> Any:
    if isinstance(value, Request):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _revive(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            if arg is not type(None):
                return _revive(arg, value)
    if origin is tuple:
        return tuple(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, Mapping):
        if issubclass(hint, Request):
            return hint.from_dict(value)
        names = {f.name for f in dataclasses.fields(hint)}
        return hint(**{k: v for k, v in value.items() if k in names})
    return value


class Request:
    """Mixin for frozen dataclass requests: :meth:`to_dict` and :meth:`from_dict`."""

    def to_dict(self) -> dict[str, Any]:
        """The request as JSON-ready values (nested requests as dicts, tuples as lists)."""
        assert dataclasses.is_dataclass(self)
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
        """The inverse of :meth:`to_dict`; keys that are not fields are ignored (a results
        file records dates beside the request)."""
        assert dataclasses.is_dataclass(cls)
        hints = typing.get_type_hints(cls)
        kwargs = {f.name: _revive(hints[f.name], data[f.name])
                  for f in dataclasses.fields(cls) if f.name in data}
        return cls(**kwargs)
