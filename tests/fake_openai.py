"""A scripted OpenAI-compatible HTTP server for the client's happy path and its faults.

It serves /v1/models and streams /v1/chat/completions the way vLLM does (SSE chunks, a usage
chunk, `data: [DONE]`), or fails on purpose: a status code, a slow answer, a dropped connection,
a stream with no finish, a malformed chunk. It records every request it received.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "scripted-server-model"


@dataclass
class Script:
    """What the next completions do: `fault` is None (answer), or one of the names below."""

    text: str = "<think>a car hits a pole</think><answer>Anomaly</answer><glue>[2.0, 4.0]</glue>"
    fault: str | None = None  # status, slow, drop, no_finish, malformed, mid_error
    fault_from: int = 0  # the fault hits requests from this one on (0: every request)
    replies: list[str] = field(default_factory=list)  # non-streamed answers, in turn, then text
    schema: bool = True  # False: refuse response_format as a server without it does
    status: int = 500
    message: str = "scripted failure"
    delay_s: float = 0.0  # before each chunk
    # Hold each request until this many have been in flight at once (10 s at most), so that a
    # concurrency test depends on what the client sends, not on how loaded the machine is.
    gather: int = 0
    prompt_tokens: int = 321
    requests: list[dict] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _chunk(delta: dict, finish: str | None = None) -> dict:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"id": "c1", "object": "chat.completion.chunk", "model": MODEL, "choices": [choice]}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    script: Script

    def log_message(self, *args) -> None:  # quiet
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        models = [
            {"id": MODEL, "object": "model", "root": "/models/scripted", "max_model_len": 4096}
        ]
        self._json(200, {"object": "list", "data": models})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        script = self.script
        with script.lock:
            script.requests.append(body | {"authorization": self.headers.get("Authorization")})
            faulty = len(script.requests) > script.fault_from
            script.in_flight += 1
            script.most_in_flight = max(script.most_in_flight, script.in_flight)
        deadline = time.monotonic() + 10
        while script.most_in_flight < script.gather and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            if not body.get("stream"):
                self._complete(script, body, script.fault if faulty else None)
            else:
                self._answer(script, script.fault if faulty else None)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (Stop)
        finally:
            with script.lock:
                script.in_flight -= 1

    def _answer(self, script: Script, fault: str | None) -> None:
        if fault == "status":
            self._json(script.status, {"error": {"message": script.message, "code": script.status}})
            return
        if fault == "slow":
            time.sleep(5)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        words = script.text.split(" ") if " " in script.text else list(script.text)
        joiner = " " if " " in script.text else ""
        for index, word in enumerate(words):
            time.sleep(script.delay_s)
            self._event(_chunk({"content": (joiner if index else "") + word}))
            if fault == "drop" and index == 2:
                self.wfile.write(b"5\r\ndata:")  # a chunk cut short, then the socket closes
                self.wfile.flush()
                self.close_connection = True
                return
            if fault == "malformed" and index == 2:
                self._send(b"data: {not json\n\n")
            if fault == "mid_error" and index == 2:
                self._event({"error": {"message": "engine died", "code": 500}})
                self._send(b"")
                return
        if fault != "no_finish":
            self._event(_chunk({}, "stop"))
            usage = {"prompt_tokens": script.prompt_tokens, "completion_tokens": len(words)}
            self._event(
                {
                    "id": "c1",
                    "object": "chat.completion.chunk",
                    "choices": [],
                    "usage": usage | {"total_tokens": sum(usage.values())},
                }
            )
        self._send(b"data: [DONE]\n\n")
        self._send(b"")

    def _complete(self, script: Script, body: dict, fault: str | None) -> None:
        """A non-streamed chat completion (the judge's kind of request)."""
        if fault == "status":
            self._json(script.status, {"error": {"message": script.message, "code": script.status}})
            return
        if "response_format" in body and not script.schema:
            message = "response_format json_schema is not supported by this server"
            self._json(400, {"error": {"message": message, "code": 400}})
            return
        if fault == "slow":
            time.sleep(5)
        with script.lock:
            text = script.replies.pop(0) if script.replies else script.text
        message = {"role": "assistant", "content": text}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        usage = {"prompt_tokens": script.prompt_tokens, "completion_tokens": 9, "total_tokens": 9}
        self._json(
            200,
            {
                "id": "c2",
                "object": "chat.completion",
                "model": MODEL,
                "choices": [choice],
                "usage": usage,
            },
        )

    def _event(self, payload: dict) -> None:
        self._send(f"data: {json.dumps(payload)}\n\n".encode())

    def _send(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class FakeServer:
    """The scripted server on a free port of 127.0.0.1, serving on a daemon thread."""

    def __init__(self) -> None:
        self.script = Script()
        handler = type("Handler", (_Handler,), {"script": self.script})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
