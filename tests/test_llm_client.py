"""The OpenAI-compatible client against a real local chat-completions server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from llm_server import ChatServer, last_user_message  # noqa: E402

from cxrkg.llm import LLMClient, LLMError, LLMInvalidOutput  # noqa: E402

SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string"}},
    "required": ["answer"],
    "additionalProperties": False,
}


def _client(server: ChatServer, tmp_path: Path, **kw: object) -> LLMClient:
    return LLMClient(
        base_url=server.base_url,
        model="m",
        api_key="k",
        timeout_s=5,
        retries=kw.pop("retries", 2),
        cache_dir=tmp_path / "llm",
        **kw,
    )


def test_chat_json_sends_schema_and_parses_reply(tmp_path: Path) -> None:
    with ChatServer(lambda b: json.dumps({"answer": last_user_message(b).upper()})) as server:
        client = _client(server, tmp_path)
        assert client.chat_json([{"role": "user", "content": "yes"}], SCHEMA) == {"answer": "YES"}
        body = server.requests[0]
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["schema"] == SCHEMA
        assert body["model"] == "m"


def test_valid_replies_are_cached_by_content_hash(tmp_path: Path) -> None:
    with ChatServer(lambda b: '{"answer": "a"}') as server:
        client = _client(server, tmp_path)
        msgs = [{"role": "user", "content": "q"}]
        client.chat_json(msgs, SCHEMA)
        client.chat_json(msgs, SCHEMA)
        assert len(server.requests) == 1
        assert client.stats["cache_hits"] == 1
        client.chat_json([{"role": "user", "content": "other"}], SCHEMA)
        assert len(server.requests) == 2
    # A new client with the same cache folder needs no server at all.
    fresh = LLMClient(
        base_url="http://127.0.0.1:9/v1", model="m", retries=0, cache_dir=tmp_path / "llm"
    )
    assert fresh.chat_json(msgs, SCHEMA) == {"answer": "a"}


def test_invalid_json_reply_raises_invalid_output_and_is_not_cached(tmp_path: Path) -> None:
    replies = iter(["this is not json {", '{"answer": 3}', '{"answer": "ok"}'])
    with ChatServer(lambda b: next(replies)) as server:
        client = _client(server, tmp_path)
        msgs = [{"role": "user", "content": "q"}]
        with pytest.raises(LLMInvalidOutput, match="not JSON"):
            client.chat_json(msgs, SCHEMA)
        with pytest.raises(LLMInvalidOutput, match="schema"):
            client.chat_json(msgs, SCHEMA)
        assert client.chat_json(msgs, SCHEMA) == {"answer": "ok"}


def test_server_errors_are_retried_then_succeed(tmp_path: Path) -> None:
    calls = {"n": 0}

    def flaky(body: dict) -> object:
        calls["n"] += 1
        return (503, {"error": "busy"}) if calls["n"] < 3 else '{"answer": "late"}'

    with ChatServer(flaky) as server:
        client = _client(server, tmp_path, retries=3)
        assert client.chat_json([{"role": "user", "content": "q"}], SCHEMA) == {"answer": "late"}
        assert client.stats["retries"] == 2


def test_unreachable_endpoint_gives_clear_error() -> None:
    client = LLMClient(base_url="http://127.0.0.1:9/v1", retries=1, use_cache=False, timeout_s=1)
    with pytest.raises(LLMError, match="127.0.0.1:9.*failed after 2 attempts"):
        client.chat([{"role": "user", "content": "q"}])


def test_falls_back_to_guided_json_when_response_format_rejected(tmp_path: Path) -> None:
    def old_vllm(body: dict) -> object:
        if "response_format" in body:
            return (400, {"error": {"message": "response_format json_schema not supported"}})
        assert body["guided_json"] == SCHEMA
        return '{"answer": "guided"}'

    with ChatServer(old_vllm) as server:
        client = _client(server, tmp_path)
        assert client.chat_json([{"role": "user", "content": "q"}], SCHEMA) == {"answer": "guided"}
        assert "guided_json" in server.requests[-1]


def test_map_json_runs_in_parallel_and_returns_errors_in_place(tmp_path: Path) -> None:
    def handler(body: dict) -> str:
        q = last_user_message(body)
        return "broken" if q == "bad" else json.dumps({"answer": q})

    with ChatServer(handler) as server:
        client = _client(server, tmp_path, max_workers=3)
        reqs = [([{"role": "user", "content": q}], SCHEMA) for q in ("a", "bad", "c", "d")]
        out = client.map_json(reqs)
    assert out[0] == {"answer": "a"} and out[2] == {"answer": "c"} and out[3] == {"answer": "d"}
    assert isinstance(out[1], LLMInvalidOutput)


def test_a_pool_of_servers_shares_the_requests_and_sets_a_dead_one_aside(tmp_path: Path) -> None:
    reply = lambda b: json.dumps({"answer": last_user_message(b)})  # noqa: E731
    with ChatServer(reply) as one, ChatServer(reply) as two:
        dead = "http://127.0.0.1:9/v1"  # nothing listens on the discard port
        client = LLMClient(
            base_url=f"{one.base_url}, {dead} ,{two.base_url}",
            model="m",
            retries=0,
            timeout_s=5,
            use_cache=False,
        )
        answers = [
            client.chat_json([{"role": "user", "content": f"q{i}"}], SCHEMA) for i in range(8)
        ]
        assert answers == [{"answer": f"q{i}"} for i in range(8)]
        # Every request answered at once (no retries), by the two live servers in turn.
        assert client.stats["retries"] == 0
        assert len(one.requests) == 4 and len(two.requests) == 4
    with pytest.raises(LLMError, match="no LLM endpoint"):
        LLMClient(base_url=" , ", use_cache=False)
