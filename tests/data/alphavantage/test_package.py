"""The provider package loads its modules on first use (PEP 562)."""

import subprocess
import sys

import equity_factors.data.providers.alphavantage as av


def test_every_exported_name_resolves_to_its_module():
    assert sorted(av.__all__) == sorted(av._HOME)
    for name in av.__all__:
        value = getattr(av, name)
        assert value.__module__ == f"{av.__name__}.{av._HOME[name]}" or name == "Kind"


def test_unknown_name_is_an_attribute_error():
    try:
        av.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_resolving_a_universe_without_a_key_does_not_import_the_http_client(tmp_path):
    code = ("import sys\n"
            "from equity_factors.workflows.context import Context\n"
            "from equity_factors.workflows.factors import resolve\n"
            "from equity_factors.data.ingest import ingest_sample\n"
            f"ctx = Context.create({str(tmp_path)!r})\n"
            "ingest_sample(ctx.store)\n"
            "assert resolve(ctx, 'SAMPLE').symbols\n"
            "print('httpx' in sys.modules)\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    assert out.stdout.strip() == "False"
