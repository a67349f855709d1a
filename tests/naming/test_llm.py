"""The LLM namer against a fake OpenAI-compatible server, driven by the real ``openai`` client."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from equity_factors.data.ingest import ingest_sample
from equity_factors.data.llm import (
    DEFAULT_MODEL,
    LLMClient,
    LLMConfig,
    LLMFailure,
    load_llm_config,
)
from equity_factors.errors import UserError
from equity_factors.naming.offline import name_offline
from equity_factors.naming.prompt import parse_answer
from equity_factors.testing.fake_openai import FakeOpenAI
from equity_factors.workflows.context import Context
from equity_factors.workflows.factors import FactorRequest, fit_factors
from equity_factors.workflows.naming import fit_evidence, llm_names, name_factors

KEY = "sk-eqf-TEST-9c1f4e7a2b8d3f60a5e1c7b9d2f4a6e8"  # distinctive: found if it leaks anywhere


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    path = tmp_path_factory.mktemp("naming_llm_home")
    ctx = Context.create(str(path))
    ingest_sample(ctx.store)
    return path


@pytest.fixture(scope="module")
def fit(home):
    ctx = Context.create(str(home))
    return fit_factors(ctx, FactorRequest(universe="SAMPLE", method="pca", n_components=4,
                                          start="2015-01-01"))


@pytest.fixture(scope="module")
def evidence(home, fit):
    ev = fit_evidence(Context.create(str(home)), fit)
    return ev, name_offline(ev)


@pytest.fixture(scope="module")
def fake_server():
    with FakeOpenAI(slow_seconds=1.5) as server:
        yield server


@pytest.fixture
def fake(fake_server):
    fake_server.reset()
    fake_server.default = "valid"
    yield fake_server
    fake_server.reset()


def _config(fake: FakeOpenAI, attempts: int = 2, timeout: float = 0.5) -> LLMConfig:
    # A fresh model name per test: cached names of other tests never answer for this one.
    return LLMConfig(api_key=KEY, base_url=fake.base_url, model=f"fake-{uuid.uuid4().hex[:8]}",
                     timeout=timeout, max_attempts=attempts, backoff=0.0)


def test_valid_answers_are_used(home, fit, fake):
    cfg = _config(fake)
    names = name_factors(Context.create(str(home)), fit, "llm", llm_config=cfg)
    assert len(fake.chat_requests) == len(names) == 4
    assert (names["namer"] == f"llm:{cfg.model}").all()
    assert names["name"].str.endswith("(fake LLM)").all()
    assert (names["confidence"] == 0.77).all()
    body = fake.chat_requests[0].json
    assert body["model"] == cfg.model
    assert body["response_format"] == {"type": "json_object"}
    assert fake.chat_requests[0].headers["authorization"] == f"Bearer {KEY}"
    # the evidence columns are the offline table's
    assert {"theme", "top_holdings", "best_reference", "score_market"} <= set(names.columns)


@pytest.mark.parametrize("behaviour,reason,fatal", [
    ("malformed", "malformed JSON", False),
    ("invalid", "invalid answer: confidence not in [0, 1]", False),
    ("refusal", "refused", False),
    ("http500", "HTTP 500 server error", False),
    ("http429", "HTTP 429 rate limited", True),
    ("slow", "timeout after 0.5s", True),
])
def test_failures_are_retried_then_fall_back(evidence, fake, behaviour, reason, fatal):
    ev, offline = evidence
    fake.queue(behaviour, behaviour)  # the first factor fails twice (= every attempt)
    client = LLMClient(_config(fake, attempts=2))
    named = llm_names(client, ev, offline)
    first = named[0]
    assert [r.behaviour for r in fake.chat_requests[:2]] == [behaviour, behaviour]  # retried
    assert first.namer == f"offline (llm failed: {reason})"
    assert (first.name, first.description) == (offline[0].name, offline[0].description)
    rest = named[1:]
    if fatal:  # timeouts and rate limits stop the LLM for the run: no more waiting
        assert len(fake.chat_requests) == 2
        assert all("skipped after an earlier failure" in n.namer for n in rest)
        assert [n.name for n in rest] == [n.name for n in offline[1:]]
    else:
        assert len(fake.chat_requests) == 2 + len(rest)
        assert all(n.namer.startswith("llm:") for n in rest)


@pytest.mark.parametrize("behaviour", ["malformed", "refusal", "http429", "http500", "slow"])
def test_one_failure_then_a_valid_retry_is_used(evidence, fake, behaviour):
    ev, offline = evidence
    fake.queue(behaviour)
    named = llm_names(LLMClient(_config(fake, attempts=2)), ev[:1], offline[:1])
    assert named[0].name == f"{offline[0].name} (fake LLM)"
    assert len(fake.chat_requests) == 2


def test_unauthorized_is_not_retried(evidence, fake):
    ev, offline = evidence
    fake.queue("http401")
    named = llm_names(LLMClient(_config(fake, attempts=3)), ev, offline)
    assert len(fake.chat_requests) == 1
    assert named[0].namer.startswith("offline (llm failed: HTTP 401")


def test_the_cache_prevents_a_second_call(home, fit, fake):
    cfg = _config(fake)
    ctx = Context.create(str(home))
    first = name_factors(ctx, fit, "llm", llm_config=cfg)
    assert len(fake.chat_requests) == 4
    second = name_factors(Context.create(str(home)), fit, "llm", llm_config=cfg)
    assert len(fake.chat_requests) == 4  # nothing new was sent
    assert first.equals(second)
    other_model = LLMConfig(api_key=KEY, base_url=fake.base_url, model=cfg.model + "-b",
                            timeout=0.5, max_attempts=1, backoff=0.0)
    name_factors(ctx, fit, "llm", llm_config=other_model)
    assert len(fake.chat_requests) == 8  # the cache key includes the model


def test_failed_names_are_not_cached(home, fit, fake):
    cfg = _config(fake, attempts=1)
    fake.queue("malformed")
    first = name_factors(Context.create(str(home)), fit, "llm", llm_config=cfg)
    assert first["namer"].iloc[0] == "offline (llm failed: malformed JSON)"
    again = name_factors(Context.create(str(home)), fit, "llm", llm_config=cfg)
    assert len(fake.chat_requests) == 5  # only the failed factor is asked again
    assert again["namer"].iloc[0] == f"llm:{cfg.model}"


def test_kept_names_cost_no_request(home, fit, fake):
    cfg = _config(fake)
    ctx = Context.create(str(home))
    first = name_factors(ctx, fit, "llm", llm_config=cfg)
    fake.reset()
    cfg2 = LLMConfig(api_key=KEY, base_url=fake.base_url, model=cfg.model + "-new",
                     timeout=0.5, max_attempts=1, backoff=0.0)
    again = name_factors(ctx, fit, "llm", previous=first, llm_config=cfg2)
    assert again["kept_previous"].all() and fake.chat_requests == []
    assert list(again["name"]) == list(first["name"])


def test_auto_without_a_key_is_offline(home, fit, fake, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    names = name_factors(Context.create(str(home)), fit, "auto", environ={
        "OPENAI_BASE_URL": fake.base_url})
    assert (names["namer"] == "offline").all() and fake.requests == []
    with pytest.raises(UserError, match="OPENAI_API_KEY"):
        name_factors(Context.create(str(home)), fit, "llm", environ={})
    with pytest.raises(UserError, match="offline"):
        name_factors(Context.create(str(home)), fit, "chatgpt")


def test_the_key_appears_nowhere(home, fit, fake, monkeypatch, caplog, capsys):
    """Key from the environment, auto mode, a mix of failures: the key reaches the server in
    the Authorization header only, and is in no output, log record, file, frame or error."""
    caplog.set_level(logging.DEBUG)  # every logger, the openai and httpx ones included
    model = f"fake-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_MODEL", model)
    monkeypatch.setenv("EQF_LLM_TIMEOUT", "0.5")
    monkeypatch.setenv("EQF_LLM_ATTEMPTS", "2")
    monkeypatch.setenv("OPENAI_LOG", "debug")
    fake.queue("http500", "malformed", "refusal", "valid", "invalid", "invalid", "http429")
    ctx = Context.create(str(home))
    names = name_factors(ctx, fit, "auto")
    assert names["namer"].str.startswith("llm:").sum() >= 1
    assert names["namer"].str.startswith("offline (llm failed").sum() >= 1
    fake.queue("http401")
    cfg = load_llm_config()
    assert cfg.api_key == KEY and KEY not in repr(cfg)
    with pytest.raises(LLMFailure) as info:
        LLMClient(LLMConfig(**{**cfg.__dict__, "model": model + "-x"})).ask(
            [{"role": "user", "content": "hi"}], parse_answer)
    errors = [str(info.value), repr(info.value)]
    monkeypatch.setenv("OPENAI_API_KEY", KEY + " extra")
    with pytest.raises(UserError) as bad:
        load_llm_config()
    errors.append(str(bad.value))

    out = capsys.readouterr()
    texts = [out.out, out.err, caplog.text, names.to_csv(), *errors]
    texts += [r.getMessage() for r in caplog.records]
    assert caplog.records, "nothing was logged: the test would not see a leak"
    for text in texts:
        assert KEY not in text
    for path in Path(home).rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    for request in fake.requests:
        assert KEY not in request.body and KEY not in request.path
        assert [k for k, v in request.headers.items() if KEY in v] == ["authorization"]


def test_configuration_from_the_environment():
    cfg = load_llm_config({}, dotenv_path=False)
    assert (cfg.model, cfg.base_url, cfg.api_key, cfg.usable) == (DEFAULT_MODEL, None, None,
                                                                   False)
    cfg = load_llm_config({"OPENAI_BASE_URL": "http://localhost:11434/v1",
                           "OPENAI_MODEL": "llama3.1", "EQF_LLM_TIMEOUT": "5",
                           "EQF_LLM_ATTEMPTS": "1"}, dotenv_path=False)
    assert (cfg.model, cfg.timeout, cfg.max_attempts, cfg.usable) == ("llama3.1", 5.0, 1, True)
    for env, match in [({"EQF_LLM_TIMEOUT": "soon"}, "EQF_LLM_TIMEOUT"),
                       ({"EQF_LLM_ATTEMPTS": "0"}, "EQF_LLM_ATTEMPTS"),
                       ({"OPENAI_BASE_URL": "localhost:11434"}, "OPENAI_BASE_URL")]:
        with pytest.raises(UserError, match=match):
            load_llm_config(env, dotenv_path=False)


def test_local_server_without_a_key(evidence, fake):
    ev, offline = evidence
    cfg = LLMConfig(api_key=None, base_url=fake.base_url, model="local", timeout=1.0,
                    max_attempts=1, backoff=0.0)
    named = llm_names(LLMClient(cfg), ev[:1], offline[:1])
    assert named[0].namer == "llm:local"
    assert fake.chat_requests[0].headers["authorization"] == "Bearer no-key"


def test_fake_server_runs_as_a_module():
    proc = subprocess.Popen([sys.executable, "-m", "equity_factors.testing.fake_openai",
                             "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line.split(" on ", 1)[1].split(" ", 1)[0]
        request = urllib.request.Request(
            f"{url}/chat/completions", method="POST",
            data=json.dumps({"model": "m", "messages": [
                {"role": "user", "content": 'x\n{"rule_based_suggestion": {"name": "Value"}}'}]
            }).encode(), headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
        content = json.loads(answer["choices"][0]["message"]["content"])
        assert content["name"] == "Value (fake LLM)"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
