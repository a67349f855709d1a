"""Configuration from the environment and .env; symbol aliases."""

from __future__ import annotations

import pytest

from equity_factors.data.providers.alphavantage.config import DEFAULT_BASE_URL, load_config
from equity_factors.data.providers.alphavantage.symbols import (
    api_symbol,
    canonical_symbol,
    is_valid_symbol,
)
from equity_factors.errors import UserError

KEY = "ZQ7XKEYLEAKCANARY9"


def test_defaults_without_anything():
    cfg = load_config(environ={}, dotenv_path=False)
    assert cfg.api_key is None and not cfg.has_key
    assert cfg.base_url == DEFAULT_BASE_URL
    assert cfg.calls_per_minute == 75 and cfg.calls_per_day is None


def test_dotenv_and_environment_override(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"ALPHAVANTAGE_API_KEY={KEY}\nALPHAVANTAGE_CALLS_PER_MINUTE=150\n"
                        "ALPHAVANTAGE_CALLS_PER_DAY=25\n")
    cfg = load_config(environ={}, dotenv_path=env_file)
    assert cfg.api_key == KEY and cfg.calls_per_minute == 150 and cfg.calls_per_day == 25
    cfg = load_config(environ={"ALPHAVANTAGE_CALLS_PER_MINUTE": "600",
                               "ALPHAVANTAGE_CALLS_PER_DAY": "unlimited"}, dotenv_path=env_file)
    assert cfg.calls_per_minute == 600 and cfg.calls_per_day is None
    assert KEY not in repr(cfg)


def test_dotenv_found_from_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text(f"ALPHAVANTAGE_API_KEY={KEY}\n")
    monkeypatch.chdir(tmp_path)
    assert load_config(environ={}).api_key == KEY


@pytest.mark.parametrize(("name", "value"), [
    ("ALPHAVANTAGE_CALLS_PER_MINUTE", "fast"), ("ALPHAVANTAGE_CALLS_PER_MINUTE", "0"),
    ("ALPHAVANTAGE_CALLS_PER_MINUTE", "-5"), ("ALPHAVANTAGE_CALLS_PER_MINUTE", "nan"),
    ("ALPHAVANTAGE_CALLS_PER_DAY", "2.5"), ("ALPHAVANTAGE_CALLS_PER_DAY", "-1"),
    ("ALPHAVANTAGE_BASE_URL", "ftp://x"), ("ALPHAVANTAGE_BASE_URL", "http://x/query?apikey=1"),
    ("ALPHAVANTAGE_API_KEY", f"{KEY} extra"),
])
def test_bad_values_one_line_without_the_key(name, value):
    env = {"ALPHAVANTAGE_API_KEY": KEY, name: value}
    with pytest.raises(UserError) as info:
        load_config(environ=env, dotenv_path=False)
    text = str(info.value)
    assert "\n" not in text and name in text and KEY not in text


@pytest.mark.parametrize(("raw", "canonical"), [
    ("BRK.B", "BRK-B"), ("brk-b", "BRK-B"), ("BRK/B", "BRK-B"), ("BRK B", "BRK-B"),
    ("BF.B", "BF-B"), ("aapl", "AAPL"), ("TSCO.LON", "TSCO.LON"), ("SHOP.TRT", "SHOP.TRT"),
    ("BAC-P-M", "BAC-P-M"),
])
def test_share_class_aliases(raw, canonical):
    assert canonical_symbol(raw) == canonical
    assert api_symbol(canonical) == canonical
    assert is_valid_symbol(canonical)


def test_indices_are_not_symbols():
    assert not is_valid_symbol(canonical_symbol("^GSPC"))
