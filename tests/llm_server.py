"""A real local HTTP server speaking OpenAI's `/v1/chat/completions` for tests.

    def handler(body: dict) -> str | dict | tuple[int, str | dict]:
        return '{"answer": "yes"}'          # the assistant's content
    with ChatServer(handler) as server:
        client = LLMClient(base_url=server.base_url, use_cache=False)

The handler receives the parsed request body; it returns the assistant's text, a full
response dict, or `(status, body)` for errors. Every request body is kept in `server.requests`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = str | dict[str, Any] | tuple[int, str | dict[str, Any]]
Handler = Callable[[dict[str, Any]], Reply]


def completion(content: str, model: str = "test-model") -> dict[str, Any]:
    """A chat-completions response with one choice holding `content`."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": content},
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def last_user_message(body: dict[str, Any]) -> str:
    return next(
        (m["content"] for m in reversed(body.get("messages", [])) if m.get("role") == "user"), ""
    )


class ChatServer:
    """Serves chat completions on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _send(self, status: int, payload: str | dict[str, Any]) -> None:
                data = (json.dumps(payload) if isinstance(payload, dict) else payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/") == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": "test-model"}]})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self._send(400, {"error": {"message": "request body is not JSON"}})
                    return
                with outer._lock:
                    outer.requests.append(body)
                try:
                    reply = outer.handler(body)
                except Exception as exc:  # a handler bug becomes a 500 the client must survive
                    self._send(500, {"error": {"message": f"{type(exc).__name__}: {exc}"}})
                    return
                if isinstance(reply, tuple):
                    self._send(reply[0], reply[1])
                elif isinstance(reply, dict):
                    self._send(200, reply)
                else:
                    self._send(200, completion(reply, body.get("model", "test-model")))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> ChatServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ChatServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
