"""The OpenAI-compatible backend against a small local HTTP server.

The server below speaks the chat-completions subset a vLLM server offers (GET /models,
POST /chat/completions, plain and SSE streaming). It checks the protocol, not a model:
its answers are canned MedGemma-style strings, chosen per test by the URL path.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from PIL import Image

from engine.backends import openai_compat
from engine.backends.base import ModelBackend
from engine.backends.openai_compat import OpenAICompatBackend
from engine.backends.registry import BackendSettings, create_backend
from engine.errors import BackendFailed, BackendUnavailable

MODEL = "google/medgemma-1.5-4b-it"
GOOD_ANSWER = (
    "<unused94>thought\nThe nodule is in the right middle zone.<unused95>"
    "The opacity [A3] in the right middle zone measures 18.2 x 12.0 mm and suggests a solitary nodule."
)
BOX_ANSWER = (
    "The right hilum [A1] lies medial to the nodule [A3].\n"
    'Final Answer: ```json[{"box_2d": [380, 100, 520, 300], "label": "right hilum"}]```'
)
BROKEN_BOX_ANSWER = (
    'The right hilum [A1].\nFinal Answer: ```json[{"box_2d": [380, 100, 520```'
)


class ChatServer(BaseHTTPRequestHandler):
    """Behaviour by path: /<mode>/v1/... where mode is ok, box, slow, fail500, flaky, ..."""

    requests: ClassVar[list[dict[str, Any]]] = []
    hits: ClassVar[dict[str, int]] = {}

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        return

    def _mode(self) -> str:
        return self.path.strip("/").split("/")[0]

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        **headers: str,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except BrokenPipeError:  # the client timed out first (the slow-server test)
            return

    def do_GET(self) -> None:
        if self.path.endswith("/models"):
            data = [{"id": MODEL, "object": "model"}]
            if self._mode() == "two":
                data.append({"id": "other-model", "object": "model"})
            self._send(200, json.dumps({"object": "list", "data": data}).encode())
        else:
            self._send(404, b'{"error": "not found"}')

    def do_POST(self) -> None:
        mode = self._mode()
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"mode": mode, "body": body, "auth": self.headers.get("Authorization")}
        )
        type(self).hits[mode] = type(self).hits.get(mode, 0) + 1
        if mode == "slow":
            time.sleep(1.5)
        if mode == "fail500" or (mode == "flaky" and type(self).hits[mode] < 3):
            self._send(500, b'{"error": "CUDA out of memory"}')
            return
        if mode == "busy":
            self._send(
                429, b'{"error": "too many requests"}', **{"Retry-After": "0.25"}
            )
            return
        if mode == "malformed":
            self._send(200, b'{"choices": [{"message": ')
            return
        if mode == "nochoices":
            self._send(200, b'{"object": "error", "message": "model not loaded"}')
            return
        if mode == "unauthorized":
            self._send(401, b'{"error": "invalid api key"}')
            return
        content = {"box": BOX_ANSWER, "brokenbox": BROKEN_BOX_ANSWER}.get(
            mode, GOOD_ANSWER
        )
        if body.get("stream"):
            self._stream(content)
            return
        answer = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": MODEL,
            "system_fingerprint": "vllm-test",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": 900,
                "completion_tokens": 40,
                "total_tokens": 940,
            },
        }
        self._send(200, json.dumps(answer).encode())

    def _stream(self, content: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        pieces = [content[i : i + 7] for i in range(0, len(content), 7)]
        for index, piece in enumerate(pieces):
            delta = (
                {"role": "assistant", "content": piece}
                if index == 0
                else {"content": piece}
            )
            chunk = {
                "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
            }
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            if index == 1:
                self.wfile.write(b": keep-alive comment\n\n")
            self.wfile.flush()
        final = {
            "model": MODEL,
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        }
        usage = {
            "model": MODEL,
            "choices": [],
            "usage": {"prompt_tokens": 900, "completion_tokens": 40},
        }
        self.wfile.write(
            f"data: {json.dumps(final)}\n\ndata: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode()
        )
        self.wfile.flush()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ChatServer)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def fresh_log() -> None:
    ChatServer.requests.clear()
    ChatServer.hits.clear()


def backend_for(server: str, mode: str, **options: Any) -> OpenAICompatBackend:
    options.setdefault("sleep", lambda _seconds: None)
    return OpenAICompatBackend(base_url=f"{server}/{mode}/v1", model=MODEL, **options)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"  # nothing listens here any more


def test_answer_is_parsed_and_recorded(server, make_context):
    backend = backend_for(server, "ok", api_key="secret")
    reply = backend.compose(make_context())
    assert reply.text.startswith("The opacity [A3]")
    assert reply.raw_output == GOOD_ANSWER
    assert reply.parameters["server_model"] == MODEL
    assert reply.parameters["system_fingerprint"] == "vllm-test"
    assert reply.parameters["usage"]["prompt_tokens"] == 900
    assert (
        reply.parameters["attempts"] == 1
        and reply.parameters["finish_reason"] == "stop"
    )
    assert reply.parameters["temperature"] == 0.0
    sent = ChatServer.requests[0]
    assert sent["auth"] == "Bearer secret"
    assert sent["body"]["model"] == MODEL and sent["body"]["stream"] is False
    assert sent["body"]["temperature"] == 0.0 and sent["body"]["max_tokens"] == 512


def test_image_goes_as_a_png_data_url(server, make_context):
    backend_for(server, "ok").compose(make_context())
    user = ChatServer.requests[0]["body"]["messages"][1]
    assert user["role"] == "user"
    image_part, text_part = user["content"]
    url = image_part["image_url"]["url"]
    assert image_part["type"] == "image_url" and url.startswith(
        "data:image/png;base64,"
    )
    png = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert png.format == "PNG" and png.size == (896, 896)
    assert "[A3] nodule" in text_part["text"]


def test_boxes_come_back_in_image_pixels(server, make_context):
    context = make_context(
        question="Where is the right hilum?",
        localize=True,
        localize_target="right hilum",
    )
    reply = backend_for(server, "box").compose(context)
    # the 60 x 80 test image is padded to 80 x 80 with 10 rows above: y = v / 1000 * 80 - 10
    assert [b.label for b in reply.boxes] == ["right hilum"]
    box = reply.boxes[0].box
    assert (box.x0, box.y0, box.x1, box.y1) == pytest.approx((8.0, 20.4, 24.0, 31.6))
    assert reply.boxes[0].source == "openai-compatible box_2d"


def test_malformed_box_json_from_the_model_is_a_warning(server, make_context):
    context = make_context(localize=True, localize_target="right hilum")
    reply = backend_for(server, "brokenbox").compose(context)
    assert reply.boxes == ()
    assert any("malformed" in w for w in reply.warnings)


def test_streaming_feeds_the_chat_and_hides_the_thought(server, make_context):
    pieces: list[str] = []
    reply = backend_for(server, "ok").compose(make_context(), on_text=pieces.append)
    assert len(pieces) > 3
    assert "".join(pieces) == GOOD_ANSWER.split("<unused95>")[1]
    assert reply.raw_output == GOOD_ANSWER
    assert (
        reply.parameters["stream"] is True
        and reply.parameters["finish_reason"] == "stop"
    )
    assert reply.parameters["usage"] == {"prompt_tokens": 900, "completion_tokens": 40}
    assert ChatServer.requests[0]["body"]["stream"] is True


def test_slow_server_times_out_with_a_clear_error(server, make_context):
    backend = backend_for(server, "slow", timeout_s=0.3)
    with pytest.raises(BackendFailed, match=r"did not answer within 0\.3 s"):
        backend.compose(make_context())
    assert ChatServer.hits["slow"] == 1  # a generation that timed out is not repeated


def test_server_error_is_retried_with_backoff_then_reported(server, make_context):
    delays: list[float] = []
    backend = backend_for(server, "fail500", max_retries=2, sleep=delays.append)
    with pytest.raises(
        BackendFailed, match=r"HTTP 500 .*CUDA out of memory.* after 3 attempts"
    ):
        backend.compose(make_context())
    assert ChatServer.hits["fail500"] == 3
    assert delays == [0.5, 1.0]


def test_transient_errors_recover(server, make_context):
    reply = backend_for(server, "flaky", max_retries=2).compose(make_context())
    assert reply.parameters["attempts"] == 3


def test_rate_limit_honours_retry_after(server, make_context):
    delays: list[float] = []
    with pytest.raises(BackendFailed, match="HTTP 429"):
        backend_for(server, "busy", max_retries=1, sleep=delays.append).compose(
            make_context()
        )
    assert delays == [0.5]  # Retry-After 0.25 s is shorter than the backoff


def test_malformed_json_body_is_reported(server, make_context):
    with pytest.raises(BackendFailed, match="malformed JSON"):
        backend_for(server, "malformed").compose(make_context())


def test_body_without_choices_is_reported(server, make_context):
    with pytest.raises(BackendFailed, match=r"without choices\[0\]\.message\.content"):
        backend_for(server, "nochoices").compose(make_context())


def test_client_errors_are_not_retried_and_give_a_hint(server, make_context):
    with pytest.raises(BackendFailed, match=r"HTTP 401.*CASEBOOK_OPENAI_API_KEY"):
        backend_for(server, "unauthorized", max_retries=3).compose(make_context())
    assert ChatServer.hits["unauthorized"] == 1


def test_server_that_is_down_is_unavailable(make_context):
    delays: list[float] = []
    backend = OpenAICompatBackend(
        base_url=closed_port_url(), model=MODEL, max_retries=2, sleep=delays.append
    )
    with pytest.raises(
        BackendUnavailable,
        match=r"no server answers at .*after 3 attempts.*docs/vllm\.md",
    ):
        backend.compose(make_context())
    assert delays == [0.5, 1.0]


class TestAvailability:
    def test_needs_a_base_url(self):
        available, reason = openai_compat.availability(BackendSettings())
        assert not available and "CASEBOOK_OPENAI_BASE_URL" in reason

    def test_down_server(self):
        available, reason = openai_compat.availability(
            BackendSettings(base_url=closed_port_url())
        )
        assert not available and "no server answers" in reason

    def test_single_model_is_picked(self, server):
        settings = BackendSettings(base_url=f"{server}/ok/v1")
        assert openai_compat.availability(settings) == (
            True,
            f"{MODEL} at {server}/ok/v1",
        )
        backend = create_backend("openai", settings)
        assert isinstance(backend, ModelBackend)
        assert backend.model_id == MODEL

    def test_unknown_model_is_named(self, server):
        available, reason = openai_compat.availability(
            BackendSettings(base_url=f"{server}/ok/v1", model_name="x")
        )
        assert not available and "does not serve 'x'" in reason and MODEL in reason

    def test_several_models_need_a_choice(self, server):
        available, reason = openai_compat.availability(
            BackendSettings(base_url=f"{server}/two/v1")
        )
        assert not available and "CASEBOOK_OPENAI_MODEL" in reason
