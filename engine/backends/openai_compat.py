"""An OpenAI-compatible chat server (vLLM serving MedGemma, for example) as a backend.

The same messages as the local MedGemma backend go to `POST {base_url}/chat/completions`
with the image as a base64 PNG data URL, and the answer goes through the same parser.
Only the standard library is used (urllib), so the backend needs no extra package.

Failure policy: connection errors, HTTP 429 and 5xx are retried `max_retries` times with
exponential backoff (honouring Retry-After up to `MAX_BACKOFF_S`); a server that cannot
be reached raises `BackendUnavailable`; a timeout, a 4xx, a body that is not the
chat-completions protocol, or a 5xx that persists raises `BackendFailed`. A model answer
that is malformed (bad box JSON, invented numbers) is not a failure: the parser turns it
into warnings and the grounded draft.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from engine.backends.base import BackendReply, TurnContext
from engine.backends.parsing import ThoughtFilter, interpret_output
from engine.backends.prompting import (
    PROMPT_VERSION,
    PreparedImage,
    build_messages,
    prepare_image,
    to_openai_messages,
)
from engine.errors import BackendFailed, BackendUnavailable

BOX_SOURCE = "openai-compatible box_2d"
PROBE_TIMEOUT_S = 3.0
BASE_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
SETUP_HINT = "set CASEBOOK_OPENAI_BASE_URL (e.g. http://gpu-host:8000/v1) or --base-url; see docs/vllm.md"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Response:
    body: dict[str, Any]
    attempts: int


class _Retryable(Exception):
    """One attempt failed in a way that may pass on retry."""

    def __init__(
        self, message: str, *, down: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.down = down  # the server could not be reached at all
        self.retry_after = retry_after


def _url(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def _headers(api_key: str | None, *, stream: bool = False) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "Accept": "text/event-stream" if stream else "application/json",
    }
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError) and not isinstance(
        exc, urllib.error.HTTPError
    ):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def list_models(
    base_url: str, api_key: str | None, timeout_s: float = PROBE_TIMEOUT_S
) -> list[str]:
    """The model names a server offers (`GET {base_url}/models`).

    Raises:
        BackendUnavailable: the server cannot be reached or does not speak the protocol.
    """
    request = urllib.request.Request(
        _url(base_url, "/models"), headers=_headers(api_key)
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise BackendUnavailable(
            f"the server at {base_url} answered GET /models with HTTP {exc.code}"
        ) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise BackendUnavailable(
            f"no server answers at {base_url} ({_reason(exc)}); {SETUP_HINT}"
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BackendUnavailable(
            f"the server at {base_url} is not OpenAI-compatible (GET /models: {exc})"
        ) from exc
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise BackendUnavailable(
            f"the server at {base_url} is not OpenAI-compatible (GET /models has no 'data' list)"
        )
    return [str(item["id"]) for item in data if isinstance(item, dict) and "id" in item]


def availability(settings: Any) -> tuple[bool, str]:
    """Whether a server answers at the configured base URL and offers the model."""
    base_url = getattr(settings, "base_url", None)
    if not base_url:
        return False, f"no server configured: {SETUP_HINT}"
    try:
        models = list_models(base_url, getattr(settings, "api_key", None))
    except BackendUnavailable as exc:
        return False, str(exc)
    wanted = getattr(settings, "model_name", None)
    if wanted and wanted not in models:
        offered = ", ".join(models) or "none"
        return False, (
            f"the server at {base_url} does not serve {wanted!r} (it offers: {offered}); "
            "set CASEBOOK_OPENAI_MODEL or --model-name"
        )
    if not wanted and len(models) != 1:
        offered = ", ".join(models) or "none"
        return (
            False,
            f"the server at {base_url} offers {offered}; choose one with CASEBOOK_OPENAI_MODEL",
        )
    return True, f"{wanted or models[0]} at {base_url}"


def create(settings: Any) -> OpenAICompatBackend:
    """Connect to the configured server.

    Raises:
        BackendUnavailable: no base URL, the server is down, or the model is not served.
    """
    available, reason = availability(settings)
    if not available:
        raise BackendUnavailable(reason)
    model = (
        getattr(settings, "model_name", None)
        or list_models(settings.base_url, settings.api_key)[0]
    )
    return OpenAICompatBackend(
        base_url=settings.base_url,
        model=model,
        api_key=settings.api_key,
        timeout_s=float(settings.timeout_s),
        max_retries=int(settings.max_retries),
        max_new_tokens=int(settings.max_new_tokens),
    )


class OpenAICompatBackend:
    """Greedy chat completions from an OpenAI-compatible server, optionally streamed (SSE)."""

    name = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        max_new_tokens: int = 512,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model_id = model
        self.model_version = f"served at {self.base_url}"
        self._api_key = api_key
        self.timeout_s = timeout_s
        self.max_retries = max(0, max_retries)
        self.max_new_tokens = max_new_tokens
        self._sleep = sleep

    @property
    def parameters(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "base_url": self.base_url,
            "decoding": "greedy",
            "temperature": 0.0,
            "max_tokens": self.max_new_tokens,
            "timeout_s": self.timeout_s,
            "max_retries": self.max_retries,
            "prompt_version": PROMPT_VERSION,
        }

    def request_body(
        self, context: TurnContext, image: PreparedImage | None, *, stream: bool
    ) -> dict[str, Any]:
        """The chat-completions request for one turn."""
        messages = to_openai_messages(build_messages(context, image), image)
        body: dict[str, Any] = {
            "model": self.model_id,
            "messages": messages,
            "temperature": 0.0,
            "max_tokens": self.max_new_tokens,
            "stream": stream,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        return body

    def compose(
        self, context: TurnContext, on_text: Callable[[str], None] | None = None
    ) -> BackendReply:
        """Ask the server for this turn's answer.

        Raises:
            BackendUnavailable: the server cannot be reached (after retries).
            BackendFailed: timeout, HTTP error, or a body that is not chat completions.
        """
        image = prepare_image(context.image) if context.image is not None else None
        stream = on_text is not None
        payload = json.dumps(self.request_body(context, image, stream=stream)).encode(
            "utf-8"
        )
        started = time.perf_counter()
        response = self._post(
            "/chat/completions",
            payload,
            stream=stream,
            context=context,
            on_text=on_text,
        )
        elapsed = time.perf_counter() - started
        raw, finish_reason = self._message(response.body)
        interpretation = interpret_output(
            raw,
            context,
            image_size=(image.rows, image.cols) if image else None,
            source=BOX_SOURCE,
        )
        warnings = list(interpretation.warnings)
        if finish_reason == "length":
            warnings.insert(
                0, f"the answer was cut at max_tokens={self.max_new_tokens}"
            )
        parameters = {
            **self.parameters,
            "stream": stream,
            "server_model": response.body.get("model"),
            "system_fingerprint": response.body.get("system_fingerprint"),
            "usage": response.body.get("usage"),
            "finish_reason": finish_reason,
            "attempts": response.attempts,
            "elapsed_s": round(elapsed, 3),
            "used_draft": interpretation.used_draft,
        }
        return BackendReply(
            text=interpretation.text,
            raw_output=raw,
            boxes=interpretation.boxes,
            parameters=parameters,
            warnings=tuple(warnings),
        )

    def _message(self, body: dict[str, Any]) -> tuple[str, str | None]:
        try:
            choice = body["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise BackendFailed(
                f"the server at {self.base_url} answered without choices[0].message.content: "
                f"{json.dumps(body)[:200]}"
            ) from exc
        if not isinstance(content, str):
            raise BackendFailed(
                f"the server at {self.base_url} answered with non-text content: {content!r}"[
                    :300
                ]
            )
        return content, choice.get("finish_reason")

    def _post(
        self,
        path: str,
        payload: bytes,
        *,
        stream: bool,
        context: TurnContext,
        on_text: Callable[[str], None] | None,
    ) -> _Response:
        url = _url(self.base_url, path)
        attempts = self.max_retries + 1
        attempt = 1
        while True:
            request = urllib.request.Request(
                url,
                data=payload,
                headers=_headers(self._api_key, stream=stream),
                method="POST",
            )
            try:
                return _Response(
                    body=self._attempt(request, stream, context, on_text),
                    attempts=attempt,
                )
            except _Retryable as exc:
                last = exc
            if attempt >= attempts:
                break
            delay = min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2 ** (attempt - 1))
            if last.retry_after is not None:
                delay = min(MAX_BACKOFF_S, max(delay, last.retry_after))
            self._sleep(delay)
            attempt += 1
        message = f"{last} after {attempts} attempt{'s' if attempts > 1 else ''}"
        if last.down:
            raise BackendUnavailable(
                f"{message}; start the server (docs/vllm.md) or check CASEBOOK_OPENAI_BASE_URL"
            )
        raise BackendFailed(message)

    def _attempt(
        self,
        request: urllib.request.Request,
        stream: bool,
        context: TurnContext,
        on_text: Callable[[str], None] | None,
    ) -> dict[str, Any]:
        url = request.full_url
        try:
            response = urllib.request.urlopen(request, timeout=self.timeout_s)
        except urllib.error.HTTPError as exc:
            detail = (
                exc.read().decode("utf-8", "replace").strip().replace("\n", " ")[:200]
            )
            if exc.code in RETRY_STATUS:
                raise _Retryable(
                    f"the server at {url} answered HTTP {exc.code} ({detail})",
                    down=False,
                    retry_after=_retry_after(
                        exc.headers.get("Retry-After") if exc.headers else None
                    ),
                ) from exc
            hint = {
                401: "; check CASEBOOK_OPENAI_API_KEY",
                403: "; check CASEBOOK_OPENAI_API_KEY",
                404: f"; check that the base URL ends in /v1 and that {self.model_id!r} is served",
            }.get(exc.code, "")
            raise BackendFailed(
                f"the server at {url} answered HTTP {exc.code}: {detail}{hint}"
            ) from exc
        except TimeoutError as exc:
            raise self._timeout(url) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise self._timeout(url) from exc
            raise _Retryable(
                f"no server answers at {url} ({_reason(exc)})", down=True
            ) from exc
        except ConnectionError as exc:
            raise _Retryable(
                f"the connection to {url} failed ({exc})", down=True
            ) from exc
        with response:
            try:
                if stream:
                    return self._read_stream(response, url, context, on_text)
                return self._read_json(response.read(), url)
            except TimeoutError as exc:
                raise self._timeout(url) from exc
            except ConnectionError as exc:
                raise BackendFailed(
                    f"the server at {url} dropped the connection mid-answer ({exc})"
                ) from exc

    def _timeout(self, url: str) -> BackendFailed:
        return BackendFailed(
            f"the server at {url} did not answer within {self.timeout_s:g} s; it may be overloaded "
            "or max_tokens too large (raise BackendSettings.timeout_s)"
        )

    def _read_json(self, data: bytes, url: str) -> dict[str, Any]:
        try:
            body = json.loads(data.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            excerpt = data[:120].decode("utf-8", "replace")
            raise BackendFailed(
                f"the server at {url} answered with malformed JSON ({exc}): {excerpt!r}"
            ) from exc
        if not isinstance(body, dict):
            raise BackendFailed(
                f"the server at {url} answered JSON that is not an object: {str(body)[:120]!r}"
            )
        return body

    def _read_stream(
        self,
        response: Any,
        url: str,
        context: TurnContext,
        on_text: Callable[[str], None] | None,
    ) -> dict[str, Any]:
        """Assemble a streamed (SSE) completion into the non-streamed body shape."""
        shown = ThoughtFilter(stop_at_final_answer=context.localize)
        parts: list[str] = []
        finish_reason = None
        meta: dict[str, Any] = {
            "model": None,
            "system_fingerprint": None,
            "usage": None,
        }
        for event in _sse_events(response):
            chunk = self._read_json(event.encode("utf-8"), url)
            meta.update({key: chunk[key] for key in meta if chunk.get(key)})
            for choice in chunk.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content") or ""
                finish_reason = choice.get("finish_reason") or finish_reason
                if piece:
                    parts.append(piece)
                    visible = shown.feed(piece)
                    if visible and on_text is not None:
                        on_text(visible)
        rest = shown.flush()
        if rest and on_text is not None:
            on_text(rest)
        return {
            **meta,
            "choices": [
                {"message": {"content": "".join(parts)}, "finish_reason": finish_reason}
            ],
        }


def _sse_events(response: Any) -> Iterator[str]:
    """The `data:` payloads of a server-sent-event stream, up to `[DONE]`."""
    data: list[str] = []
    for raw in response:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line.startswith("data:"):
            data.append(line[5:].lstrip())
            continue
        if line or not data:
            continue  # comments, other fields, blank keep-alives
        event, data = "\n".join(data), []
        if event == "[DONE]":
            return
        yield event
    if data and "\n".join(data) != "[DONE]":
        yield "\n".join(data)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
