"""An OpenAI-compatible chat-completions client (vLLM, llama.cpp server, OpenAI) with
JSON-schema constrained output, retries, a small thread pool and an on-disk response cache.
The endpoint may be a pool of servers (base URLs separated by commas): requests go to them
in turn, and one that cannot be reached or fails is set aside for a while (failover).

    client = LLMClient()                                    # from the settings
    data = client.chat_json(messages, schema)               # parsed and schema-checked JSON
    results = client.map_json([(msgs, schema), ...])        # in parallel; errors returned, not raised
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from cxrkg.config import Settings, get_settings

Message = dict[str, str]


class LLMError(RuntimeError):
    """The endpoint could not be reached or kept failing; the message says which and why."""


class LLMInvalidOutput(LLMError):
    """The model answered, but not with JSON that matches the schema."""

    def __init__(self, message: str, content: str = "") -> None:
        super().__init__(message)
        self.content = content


def _validate(data: Any, schema: dict[str, Any]) -> None:
    import jsonschema

    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise LLMInvalidOutput(
            f"model output does not match the schema at {where}: {exc.message}",
            json.dumps(data)[:2000],
        ) from None


def parse_json_reply(content: str) -> Any:
    """Parse a model reply as JSON, tolerating a ```json fence around it."""
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LLMInvalidOutput(
            f"model output is not JSON ({exc.msg} at char {exc.pos})", content[:2000]
        ) from None


def endpoint_pool(base_url: str) -> list[str]:
    """The base URLs of a setting that lists one or more, comma-separated."""
    urls = [u.strip().rstrip("/") for u in base_url.split(",") if u.strip()]
    if not urls:
        raise LLMError(
            "no LLM endpoint: set CXRKG_LLM_BASE_URL (one URL or several, comma-separated)"
        )
    return urls


class LLMClient:
    """Chat completions against `settings.llm_base_url` (one server or a pool); one instance
    is safe across threads. `start` picks the pool's first server (a worker's index spreads
    workers over the pool)."""

    DOWN_S = 30.0  # how long a server that failed is tried only after the others

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        timeout_s: float | None = None,
        retries: int | None = None,
        cache_dir: Path | None = None,
        use_cache: bool = True,
        max_workers: int = 4,
        temperature: float = 0.0,
        start: int = 0,
    ) -> None:
        settings = settings or get_settings()
        self.base_urls = endpoint_pool(base_url or settings.llm_base_url)
        self.base_url = ", ".join(self.base_urls)  # as messages name it
        self._turn = itertools.count(start)
        self._down: dict[str, float] = {}  # url -> monotonic time until which it is set aside
        self._pool_lock = threading.Lock()
        self.model = model or settings.llm_model
        self.retries = settings.llm_retries if retries is None else retries
        self.temperature = temperature
        self.max_workers = max(1, max_workers)
        self.cache_dir = (cache_dir or settings.cache_dir / "llm") if use_cache else None
        self._client = httpx.Client(
            timeout=timeout_s or settings.llm_timeout_s,
            headers={"Authorization": f"Bearer {api_key or settings.llm_api_key}"},
        )
        # Older vLLM servers reject `response_format: json_schema`; remember to use guided_json.
        self._use_guided_json = False
        self.stats = {"requests": 0, "cache_hits": 0, "retries": 0}

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- cache -----------------------------------------------------------------------------
    def cache_key(
        self, messages: Sequence[Message], schema: dict[str, Any] | None, max_tokens: int | None
    ) -> str:
        payload = json.dumps(
            {
                "model": self.model,
                "messages": list(messages),
                "schema": schema,
                "temperature": self.temperature,
                "max_tokens": max_tokens,
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def _cache_path(self, key: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / key[:2] / f"{key}.json"

    def _cache_get(self, key: str) -> str | None:
        path = self._cache_path(key)
        if path is None or not path.is_file():
            return None
        try:
            return json.loads(path.read_text("utf-8"))["content"]
        except (OSError, ValueError, KeyError):
            return None  # a damaged cache entry is simply asked again

    def _cache_put(self, key: str, content: str) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{random.randrange(1 << 30)}.tmp")
        tmp.write_text(json.dumps({"model": self.model, "content": content}), "utf-8")
        tmp.replace(path)

    # -- requests --------------------------------------------------------------------------
    def _body(
        self, messages: Sequence[Message], schema: dict[str, Any] | None, max_tokens: int | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "temperature": self.temperature,
        }
        if max_tokens:
            body["max_tokens"] = max_tokens
        if schema is not None:
            if self._use_guided_json:
                body["guided_json"] = schema
            else:
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "output", "schema": schema},
                }
        return body

    def _endpoints(self) -> list[str]:
        """The pool in this request's order: the next in turn first, set-aside ones last."""
        with self._pool_lock:
            turn = next(self._turn)
            now = time.monotonic()
            down = {u for u, until in self._down.items() if until > now}
        live = [u for u in self.base_urls if u not in down]
        k = turn % len(live) if live else 0
        return live[k:] + live[:k] + [u for u in self.base_urls if u in down]

    def _set_aside(self, url: str, failed: bool) -> None:
        with self._pool_lock:
            if failed:
                self._down[url] = time.monotonic() + self.DOWN_S
            else:
                self._down.pop(url, None)

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        """The first usable answer of the pool: every server in turn, then again after a
        back-off, `retries` times."""
        last: dict[str, str] = {}
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats["retries"] += 1
                time.sleep(min(8.0, 0.25 * 2 ** (attempt - 1)) * (1 + random.random() / 4))
            for base in self._endpoints():
                try:
                    resp = self._client.post(f"{base}/chat/completions", json=body)
                except httpx.HTTPError as exc:
                    last[base] = f"{type(exc).__name__}: {exc}"
                    self._set_aside(base, True)
                    continue
                if resp.status_code == 429 or resp.status_code >= 500:
                    last[base] = f"HTTP {resp.status_code}: {resp.text[:300]}"
                    self._set_aside(base, resp.status_code >= 500)
                    continue
                self._set_aside(base, False)
                return resp
        errors = "; ".join(f"{u}/chat/completions: {e}" for u, e in last.items())
        raise LLMError(f"LLM endpoint {errors} failed after {self.retries + 1} attempts")

    def chat(
        self,
        messages: Sequence[Message],
        *,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        use_cache: bool = True,
    ) -> str:
        """The assistant's reply text (constrained to `schema` where the server supports it)."""
        key = self.cache_key(messages, schema, max_tokens)
        if use_cache and (hit := self._cache_get(key)) is not None:
            self.stats["cache_hits"] += 1
            return hit
        self.stats["requests"] += 1
        resp = self._post(self._body(messages, schema, max_tokens))
        if (
            resp.status_code == 400
            and schema is not None
            and not self._use_guided_json
            and "response_format" in resp.text
        ):
            self._use_guided_json = True
            resp = self._post(self._body(messages, schema, max_tokens))
        server = str(resp.request.url).removesuffix("/chat/completions")
        if resp.status_code != 200:
            raise LLMError(
                f"LLM endpoint {server} answered HTTP {resp.status_code}: {resp.text[:500]}"
            )
        try:
            content = resp.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMError(
                f"LLM endpoint {server} sent no chat completion: {resp.text[:500]}"
            ) from None
        if not isinstance(content, str):
            raise LLMError(f"LLM endpoint {server} sent a completion without text content")
        return content

    def chat_json(
        self, messages: Sequence[Message], schema: dict[str, Any], *, max_tokens: int | None = None
    ) -> Any:
        """The reply parsed as JSON and checked against `schema`; only valid replies are cached,
        so a bad reply is asked again next time rather than replayed."""
        key = self.cache_key(messages, schema, max_tokens)
        cached = self._cache_get(key)
        if cached is not None:
            try:
                data = parse_json_reply(cached)
                _validate(data, schema)
                self.stats["cache_hits"] += 1
                return data
            except LLMInvalidOutput:
                pass
        content = self.chat(messages, schema=schema, max_tokens=max_tokens, use_cache=False)
        data = parse_json_reply(content)
        _validate(data, schema)
        self._cache_put(key, content)
        return data

    def map_json(
        self,
        requests: Sequence[tuple[Sequence[Message], dict[str, Any]]],
        *,
        max_tokens: int | None = None,
    ) -> list[Any | LLMError]:
        """Run many `chat_json` calls on a small thread pool; a failed item is its LLMError."""

        def one(req: tuple[Sequence[Message], dict[str, Any]]) -> Any | LLMError:
            try:
                return self.chat_json(req[0], req[1], max_tokens=max_tokens)
            except LLMError as exc:
                return exc

        return self.map(one, requests)

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        """`fn` over `items` on the client's thread pool, results in input order."""
        if len(items) <= 1 or self.max_workers == 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            return list(pool.map(fn, items))
