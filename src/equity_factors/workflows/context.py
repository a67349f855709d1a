"""What every workflow needs: the data directory, the store, and a progress callback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from equity_factors.data.paths import DataDir, resolve_data_dir
from equity_factors.data.store import Store

ProgressFactory = Callable[[str, int | None], Callable[..., None]]


def _no_progress(label: str, total: int | None) -> Callable[..., None]:
    return lambda *args, **kwargs: None


@dataclass(frozen=True)
class Context:
    """Data directory + store + how to report progress (the CLI passes a rich progress bar)."""

    data_dir: DataDir
    store: Store
    progress: ProgressFactory = field(default=_no_progress)

    @classmethod
    def create(cls, data_dir: str | None = None,
               progress: ProgressFactory | None = None) -> Context:
        resolved = resolve_data_dir(data_dir)
        store = Store(resolved.store_path)
        store.ensure_ready()
        return cls(resolved, store, progress or _no_progress)
