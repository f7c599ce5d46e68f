"""``OpenRouterEmulator``: a local OpenRouter-compatible HTTP server for tests."""

from __future__ import annotations

import asyncio
import base64
import copy
import datetime as dt
import hashlib
import json
import math
import random
import string
import struct
import threading
import time
from collections import deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from types import TracebackType
from typing import Any, Final, Literal

from openrouter_core._version import __version__
from openrouter_core.testing import replies as _replies
from openrouter_core.testing._catalog import (
    DEFAULT_AUTO_MODEL,
    DEFAULT_CATALOG,
    DEFAULT_PROVIDERS,
    Route,
    RoutingError,
    default_providers_for,
    endpoints_payload,
    filter_models,
    model_prices,
    resolve_route,
)
from openrouter_core.testing._http import Headers, HttpRequest, HttpServer, Responder
from openrouter_core.testing._model import (
    GENERIC_SENTENCE,
    completion_tokens,
    generic_completion,
    native_finish_reason,
    reasoning_details_for,
    reasoning_text_of,
    service_tier_for,
)
from openrouter_core.testing._render import (
    SSE_DONE,
    Completion,
    ResponseMeta,
    ToolCall,
    UsageChunkMode,
    completion_body,
    content_chunks,
    dumps,
    error_body,
    error_chunk,
    keepalive_bytes,
    processing_comment,
    stream_chunks,
)
from openrouter_core.testing._usage import (
    CacheOutcome,
    PromptAnalysis,
    UsageNumbers,
    analyze_prompt,
    apply_cache,
    compute_usage,
    json_number,
    merge_usage,
    text_tokens,
    to_decimal,
    usage_payload,
)

__all__ = [
    "DEFAULT_CREATED",
    "DEFAULT_EMBEDDING_DIMENSIONS",
    "DEFAULT_SEED",
    "Charge",
    "OpenRouterEmulator",
    "RecordedRequest",
]

DEFAULT_SEED: Final = 20260608
"""Default seed of the id generator."""
DEFAULT_CREATED: Final = 1780944464
"""Default fixed ``created`` timestamp (pass ``created=None`` to use the wall clock)."""
DEFAULT_EMBEDDING_DIMENSIONS: Final = 16
"""Embedding size when a request has no ``dimensions`` (small, to keep tests fast)."""

_API_PREFIX = "/api/v1"
_ALNUM = string.ascii_letters + string.digits
_MISSING_AUTH = "Missing Authentication header"
_Endpoint = Literal["chat", "embeddings"]


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request received by the emulator.

    Attributes:
        method: HTTP method.
        path: Path without the query string (e.g. ``/api/v1/chat/completions``).
        query: Query parameters.
        headers: Request headers (case-insensitive lookup).
        body: The parsed JSON body, or ``None`` when empty or not JSON.
        raw_body: The body bytes.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: Headers
    body: Any
    raw_body: bytes

    def header(self, name: str) -> str | None:
        """Return a header value (case-insensitive), or ``None`` when absent."""
        return self.headers.get(name)


@dataclass(frozen=True)
class Charge:
    """One generation billed by the emulator (tests assert exact totals on these).

    Attributes:
        generation_id: The ``gen-...`` id.
        requested_model: The ``model`` the client asked for.
        served_model: The model reported in the response.
        provider: The provider reported in the response.
        cost: The billed amount: the ``usage.cost`` sent to the client (the computed cost when a
            scripted usage override removed it).
        prompt_tokens: Prompt tokens.
        completion_tokens: Completion tokens (reasoning included).
        reasoning_tokens: Reasoning tokens.
        cached_tokens: Prompt tokens read from the cache.
        cache_write_tokens: Prompt tokens written to the cache.
        streamed: Whether the response was streamed.
        failed: Whether the generation ended in an error (mid-stream error, dropped connection,
            error in a 200 body).
        endpoint: ``"chat"`` or ``"embeddings"``.
    """

    generation_id: str
    requested_model: str
    served_model: str
    provider: str
    cost: Decimal
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    streamed: bool = False
    failed: bool = False
    endpoint: str = "chat"


@dataclass(frozen=True)
class _Options:
    delay: float
    chunk_delay: float
    keepalive_whitespace: int
    processing_comments: int
    usage_chunk: UsageChunkMode
    chunk_chars: int


class _Exchange:
    """Per-request state for one chat completion."""

    def __init__(
        self,
        *,
        body: Mapping[str, Any],
        route: Route,
        meta: ResponseMeta,
        analysis: PromptAnalysis,
        cache: CacheOutcome,
        stream: bool,
        options: _Options,
    ) -> None:
        self.body = body
        self.route = route
        self.meta = meta
        self.analysis = analysis
        self.cache = cache
        self.stream = stream
        self.options = options

    def usage(self, completion: Completion | None, reasoning_tokens: int) -> UsageNumbers:
        completion_count = (
            0 if completion is None else completion_tokens(completion, reasoning_tokens)
        )
        return compute_usage(
            prompt_tokens=self.analysis.prompt_tokens,
            completion_tokens=completion_count,
            prices=self.route.prices,
            reasoning_tokens=reasoning_tokens,
            cache=self.cache,
            audio_tokens=self.analysis.audio_tokens,
            video_tokens=self.analysis.video_tokens,
        )


def _json_or_none(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


def _int_field(usage: Mapping[str, Any], path: Sequence[str], default: int) -> int:
    node: Any = usage
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return int(node) if isinstance(node, (int, float)) and not isinstance(node, bool) else default


def _embedding(text: str, dimensions: int) -> list[float]:
    """Deterministic unit-norm vector (float32 precision) from a hash of the text."""
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        block = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        for offset in range(0, len(block), 4):
            (raw,) = struct.unpack("<I", block[offset : offset + 4])
            values.append(raw / 0xFFFFFFFF * 2.0 - 1.0)
        counter += 1
    values = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [struct.unpack("<f", struct.pack("<f", v / norm))[0] for v in values]


class OpenRouterEmulator:
    """A local OpenRouter-compatible HTTP server (stdlib asyncio, own thread, random port).

    Serves ``/api/v1``: ``POST /chat/completions`` (JSON and SSE), ``POST /embeddings``,
    ``GET /models``, ``GET /models/{author}/{slug}/endpoints``, ``GET /embeddings/models``,
    ``GET /generation?id=``, ``GET /key`` (and ``/auth/key``). Responses follow the real wire
    format field by field. Chat requests are answered from a FIFO queue of scripted replies (see
    :mod:`openrouter_core.testing.replies`) or, when it is empty, by a deterministic generic model.
    Ids come from a seeded RNG and ``created`` is fixed by default, so the same request sequence
    produces byte-identical bodies.

    Args:
        seed: Seed of the id generator.
        created: Fixed ``created`` timestamp for every response; ``None`` uses the wall clock.
        models: Replace the built-in catalog (model dicts in the ``/models`` schema).
        providers: Provider display names per model id (default: built-in table, else derived
            from the author).
        api_keys: Accept only these bearer tokens (others get 401); ``None`` accepts any.
        credit_limit: Reported as the key's ``limit``; once the billed total reaches it, chat
            and embeddings requests get HTTP 402. ``None`` means unlimited.
        keepalive_whitespace: Default bytes of keep-alive whitespace before JSON bodies.
        processing_comments: Default number of ``: OPENROUTER PROCESSING`` SSE comments.
        usage_chunk: Default shape of the final usage chunk.
        chunk_chars: Default characters per streamed text delta.
        embedding_dimensions: Embedding size when a request has no ``dimensions``.
        auto_model: The catalog model ``openrouter/auto`` resolves to.
        host: Interface to bind.
        port: Port to bind (``0``: a free port).

    Example:
        .. code-block:: python

            import openai
            from openrouter_core.testing import OpenRouterEmulator, replies

            with OpenRouterEmulator() as emu:
                client = openai.OpenAI(base_url=emu.base_url, api_key="test-key")
                emu.enqueue(replies.text("Hi!"))
                reply = client.chat.completions.create(
                    model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
                )
                assert reply.choices[0].message.content == "Hi!"
                assert emu.total_cost == emu.charges[0].cost
    """

    def __init__(
        self,
        *,
        seed: int = DEFAULT_SEED,
        created: int | None = DEFAULT_CREATED,
        models: Sequence[Mapping[str, Any]] | None = None,
        providers: Mapping[str, Sequence[str]] | None = None,
        api_keys: Collection[str] | None = None,
        credit_limit: Decimal | None = None,
        keepalive_whitespace: int = 0,
        processing_comments: int = 1,
        usage_chunk: UsageChunkMode = "repeat_finish",
        chunk_chars: int = 16,
        embedding_dimensions: int = DEFAULT_EMBEDDING_DIMENSIONS,
        auto_model: str = DEFAULT_AUTO_MODEL,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._seed = seed
        self._rng = random.Random(seed)
        self._created = created
        source = DEFAULT_CATALOG if models is None else models
        self._catalog: list[dict[str, Any]] = [copy.deepcopy(dict(m)) for m in source]
        self._by_id: dict[str, dict[str, Any]] = {str(m["id"]): m for m in self._catalog}
        table = DEFAULT_PROVIDERS if providers is None else providers
        self._providers: dict[str, tuple[str, ...]] = {
            model_id: tuple(table.get(model_id) or default_providers_for(model_id))
            for model_id in self._by_id
        }
        self._api_keys = None if api_keys is None else frozenset(api_keys)
        self._credit_limit = credit_limit
        self._defaults = _Options(
            delay=0.0,
            chunk_delay=0.0,
            keepalive_whitespace=keepalive_whitespace,
            processing_comments=processing_comments,
            usage_chunk=usage_chunk,
            chunk_chars=max(1, chunk_chars),
        )
        self._embedding_dimensions = embedding_dimensions
        self._auto_model = auto_model
        self._lock = threading.Lock()
        self._queues: dict[str, deque[_replies.Reply]] = {"chat": deque(), "embeddings": deque()}
        self._requests: list[RecordedRequest] = []
        self._charges: list[Charge] = []
        self._generations: dict[str, dict[str, Any]] = {}
        self._cache: set[str] = set()
        self._user_id = "user_" + "".join(random.Random(seed ^ 0x5EED).choices(_ALNUM, k=27))
        self._server = HttpServer(
            self._handle,
            host=host,
            port=port,
            base_headers=[("X-OpenRouter-Emulator", __version__)],
        )
        self._host = host

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> OpenRouterEmulator:
        """Start serving (idempotent).

        Returns:
            The emulator itself.
        """
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection (idempotent)."""
        self._server.stop()

    def __enter__(self) -> OpenRouterEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port (valid once started)."""
        return self._server.port

    @property
    def base_url(self) -> str:
        """The API base URL, e.g. ``http://127.0.0.1:PORT/api/v1``."""
        return f"http://{self._host}:{self.port}{_API_PREFIX}"

    # ----------------------------------------------------------------- scripting

    def enqueue(
        self, reply: _replies.Reply, *, times: int = 1, endpoint: _Endpoint = "chat"
    ) -> None:
        """Queue a scripted reply (FIFO); each matching request consumes one.

        Args:
            reply: A reply from :mod:`openrouter_core.testing.replies`.
            times: Queue it this many times.
            endpoint: ``"chat"`` (``POST /chat/completions``) or ``"embeddings"`` (which accepts
                ``error``, ``error_in_200``, ``stall`` and ``drop_connection`` replies).

        Raises:
            ValueError: Unknown endpoint, or a reply kind the endpoint cannot serve.
            TypeError: ``reply`` is not a reply object.
        """
        if endpoint not in self._queues:
            raise ValueError(f"unknown endpoint {endpoint!r}; use 'chat' or 'embeddings'")
        if not isinstance(reply, _replies.Reply):
            raise TypeError(f"expected a reply from openrouter_core.testing.replies, got {reply!r}")
        if endpoint == "embeddings" and isinstance(
            reply, (_replies.TextReply, _replies.ToolCallsReply, _replies.MidstreamErrorReply)
        ):
            raise ValueError("embeddings accept only error, error_in_200, stall, drop_connection")
        with self._lock:
            self._queues[endpoint].extend([reply] * max(0, times))

    def pending(self, endpoint: _Endpoint = "chat") -> int:
        """Return how many scripted replies are still queued for ``endpoint``."""
        with self._lock:
            return len(self._queues[endpoint])

    def reset(self) -> None:
        """Clear the reply queues, recorded requests, charges, generations and prompt cache."""
        with self._lock:
            for queue in self._queues.values():
                queue.clear()
            self._requests.clear()
            self._charges.clear()
            self._generations.clear()
            self._cache.clear()

    # ----------------------------------------------------------------- inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[Any]:
        """Parsed bodies of every ``POST /chat/completions`` request (a copy)."""
        with self._lock:
            return [
                r.body
                for r in self._requests
                if r.method == "POST" and r.path == f"{_API_PREFIX}/chat/completions"
            ]

    @property
    def last_request(self) -> RecordedRequest | None:
        """The most recent request, or ``None``."""
        with self._lock:
            return self._requests[-1] if self._requests else None

    @property
    def charges(self) -> list[Charge]:
        """Every generation billed, in order (a copy)."""
        with self._lock:
            return list(self._charges)

    @property
    def total_cost(self) -> Decimal:
        """Sum of all charges (what ``GET /key`` reports as ``usage``)."""
        with self._lock:
            return sum((c.cost for c in self._charges), Decimal(0))

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised inside the emulator while handling requests (should stay empty)."""
        return list(self._server.errors)

    @property
    def catalog(self) -> list[dict[str, Any]]:
        """The model table served by ``GET /models`` (deep copies, including non-text models)."""
        return copy.deepcopy(self._catalog)

    def price(self, model_id: str) -> dict[str, Decimal]:
        """Return a catalog model's prices as ``Decimal`` (USD per token / request / image).

        Args:
            model_id: A catalog id (variant suffixes like ``:nitro`` resolve to the base model;
                a ``:free`` id must be listed, as in the catalog).

        Returns:
            Pricing key -> ``Decimal``.

        Raises:
            KeyError: Unknown model.
        """
        if model_id in self._by_id:
            return model_prices(self._by_id[model_id])
        base, _, suffix = model_id.partition(":")
        if base in self._by_id and suffix != "free":
            return model_prices(self._by_id[base])
        raise KeyError(model_id)

    def generation(self, generation_id: str) -> dict[str, Any] | None:
        """Return the stored ``GET /generation`` data for an id, or ``None``."""
        with self._lock:
            data = self._generations.get(generation_id)
            return copy.deepcopy(data) if data is not None else None

    # ----------------------------------------------------------------- internals

    def _now(self) -> int:
        return int(time.time()) if self._created is None else self._created

    def _random(self, length: int) -> str:
        return "".join(self._rng.choices(_ALNUM, k=length))

    def _new_generation_id(self, prefix: str = "gen") -> str:
        return f"{prefix}-{self._now()}-{self._random(20)}"

    def _tool_call_id(self, route: Route, name: str, index: int) -> str:
        if route.family == "anthropic":
            prefix = {"Amazon Bedrock": "toolu_bdrk_01", "Google Vertex": "toolu_vrtx_01"}.get(
                route.provider, "toolu_01"
            )
            return prefix + self._random(22)
        if route.family == "google":
            return f"tool_{index}_{name}_{self._random(20)}"
        return "call_" + self._random(24)

    def _options(self, reply: _replies.Reply | None) -> _Options:
        if reply is None:
            return self._defaults
        d = self._defaults
        return _Options(
            delay=reply.delay,
            chunk_delay=reply.chunk_delay,
            keepalive_whitespace=d.keepalive_whitespace
            if reply.keepalive_whitespace is None
            else reply.keepalive_whitespace,
            processing_comments=d.processing_comments
            if reply.processing_comments is None
            else reply.processing_comments,
            usage_chunk=d.usage_chunk if reply.usage_chunk is None else reply.usage_chunk,
            chunk_chars=d.chunk_chars if reply.chunk_chars is None else max(1, reply.chunk_chars),
        )

    def _pop(self, endpoint: str) -> _replies.Reply | None:
        with self._lock:
            queue = self._queues[endpoint]
            return queue.popleft() if queue else None

    def _record(self, request: HttpRequest) -> Any:
        body = _json_or_none(request.body)
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=request.headers,
            body=body,
            raw_body=request.body,
        )
        with self._lock:
            self._requests.append(recorded)
        return body

    def _auth_error(self, request: HttpRequest) -> str | None:
        value = request.headers.get("authorization", "")
        scheme, _, token = value.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _MISSING_AUTH
        if self._api_keys is not None and token not in self._api_keys:
            return "User not found."
        return None

    def _credits_exhausted(self) -> bool:
        return self._credit_limit is not None and self.total_cost >= self._credit_limit

    # ----------------------------------------------------------------- HTTP plumbing

    async def _send_json(
        self,
        out: Responder,
        status: int,
        payload: Any,
        *,
        headers: Sequence[tuple[str, str]] = (),
        whitespace: int = 0,
    ) -> None:
        await out.send(status, keepalive_bytes(whitespace) + dumps(payload), headers=headers)

    async def _send_error(
        self,
        out: Responder,
        status: int,
        message: str,
        *,
        user_id: bool = True,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        body = error_body(
            status, message, metadata=metadata, user_id=self._user_id if user_id else None
        )
        await self._send_json(out, status, body)

    async def _handle(self, request: HttpRequest, out: Responder) -> None:
        body = self._record(request)
        path = request.path.rstrip("/") or "/"
        if not path.startswith(_API_PREFIX + "/"):
            await self._send_error(out, 404, "Not Found", user_id=False)
            return
        route = path[len(_API_PREFIX) :]
        method = request.method
        public_get = {"/models", "/embeddings/models"}
        if method == "GET" and (
            route in public_get or (route.startswith("/models/") and route.endswith("/endpoints"))
        ):
            await self._handle_models(request, out, route)
            return
        known = {
            "/chat/completions": "POST",
            "/embeddings": "POST",
            "/generation": "GET",
            "/key": "GET",
            "/auth/key": "GET",
        }
        if route not in known:
            await self._send_error(out, 404, "Not Found", user_id=False)
            return
        if method != known[route]:
            await self._send_error(out, 405, "Method Not Allowed", user_id=False)
            return
        auth_error = self._auth_error(request)
        if auth_error is not None:
            await self._send_error(out, 401, auth_error, user_id=False)
            return
        if route == "/generation":
            await self._handle_generation(request, out)
        elif route in {"/key", "/auth/key"}:
            await self._handle_key(request, out)
        elif not isinstance(body, dict):
            await self._send_error(out, 400, "Invalid JSON in request body")
        elif self._credits_exhausted():
            await self._send_error(
                out,
                402,
                "This request requires more credits, or fewer max_tokens. To increase, visit "
                "https://openrouter.ai/settings/credits and add more credits",
                metadata={"provider_name": None},
            )
        elif route == "/chat/completions":
            await self._handle_chat(request, out, body)
        else:
            await self._handle_embeddings(out, body)

    # ----------------------------------------------------------------- catalog endpoints

    async def _handle_models(self, request: HttpRequest, out: Responder, route: str) -> None:
        if route == "/models":
            await self._send_json(out, 200, {"data": filter_models(self._catalog, request.query)})
            return
        if route == "/embeddings/models":
            query = {**request.query, "output_modalities": "embeddings"}
            await self._send_json(out, 200, {"data": filter_models(self._catalog, query)})
            return
        slug = route[len("/models/") : -len("/endpoints")]
        model = self._by_id.get(slug) or next(
            (m for m in self._catalog if m.get("canonical_slug") == slug), None
        )
        if model is None:
            await self._send_error(out, 404, f"No endpoints found for {slug}.", user_id=False)
            return
        providers = self._providers.get(str(model["id"])) or default_providers_for(slug)
        await self._send_json(out, 200, endpoints_payload(model, providers))

    async def _handle_generation(self, request: HttpRequest, out: Responder) -> None:
        generation_id = request.query.get("id", "")
        if not generation_id:
            await self._send_error(out, 400, "Missing required parameter: id")
            return
        data = self.generation(generation_id)
        if data is None:
            await self._send_error(out, 404, f"Generation {generation_id} not found")
            return
        await self._send_json(out, 200, {"data": data})

    async def _handle_key(self, request: HttpRequest, out: Responder) -> None:
        token = request.headers.get("authorization", "").partition(" ")[2].strip()
        label = f"{token[:12]}...{token[-3:]}" if len(token) > 16 else token
        usage = self.total_cost
        limit = self._credit_limit
        data = {
            "label": label,
            "limit": None if limit is None else json_number(limit),
            "limit_remaining": None
            if limit is None
            else json_number(max(limit - usage, Decimal(0))),
            "limit_reset": None,
            "include_byok_in_limit": False,
            "usage": json_number(usage),
            "usage_daily": json_number(usage),
            "usage_weekly": json_number(usage),
            "usage_monthly": json_number(usage),
            "byok_usage": 0,
            "byok_usage_daily": 0,
            "byok_usage_weekly": 0,
            "byok_usage_monthly": 0,
            "is_free_tier": False,
            "is_management_key": False,
            "is_provisioning_key": False,
            "creator_user_id": self._user_id,
            "expires_at": None,
            "rate_limit": {
                "requests": -1,
                "interval": "10s",
                "note": "This field is deprecated and safe to ignore.",
            },
        }
        await self._send_json(out, 200, {"data": data})

    # ----------------------------------------------------------------- embeddings

    async def _handle_embeddings(self, out: Responder, body: dict[str, Any]) -> None:
        reply = self._pop("embeddings")
        while isinstance(reply, _replies.StallReply):
            await asyncio.sleep(reply.seconds)
            reply = reply.then
        options = self._options(reply)
        if options.delay:
            await asyncio.sleep(options.delay)
        if isinstance(reply, _replies.ErrorReply):
            await self._send_error_reply(out, reply)
            return
        if isinstance(reply, _replies.DropConnectionReply):
            await out.abort()
            return
        if isinstance(reply, _replies.ErrorIn200Reply):
            payload = error_body(reply.code, reply.message, metadata=reply.metadata)
            if reply.usage is not None:
                payload["usage"] = merge_usage({}, reply.usage)
            await self._send_json(out, 200, payload, whitespace=options.keepalive_whitespace)
            return
        requested = str(body.get("model") or "")
        model = self._by_id.get(requested) or self._by_id.get(requested.partition(":")[0])
        if model is None:
            await self._send_error(out, 400, f"{requested or 'model'} is not a valid model ID")
            return
        outputs = (model.get("architecture") or {}).get("output_modalities") or ["text"]
        if "embeddings" not in outputs:
            await self._send_error(out, 404, f"No endpoints found for {requested}.", user_id=False)
            return
        texts = self._embedding_inputs(body.get("input"))
        if texts is None:
            await self._send_error(out, 400, "Input must be a non-empty string or array")
            return
        dimensions = body.get("dimensions")
        size = (
            dimensions
            if isinstance(dimensions, int) and not isinstance(dimensions, bool) and dimensions > 0
            else self._embedding_dimensions
        )
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        tokens = 0
        for index, (item, item_tokens) in enumerate(texts):
            vector = _embedding(item, size)
            tokens += item_tokens
            encoded: Any = (
                base64.b64encode(struct.pack(f"<{size}f", *vector)).decode()
                if as_base64
                else vector
            )
            data.append({"object": "embedding", "embedding": encoded, "index": index})
        model_id = str(model["id"])
        prices = self.price(requested) if requested in self._by_id else model_prices(model)
        usage = compute_usage(prompt_tokens=tokens, completion_tokens=0, prices=prices)
        payload_usage = usage_payload(usage)
        provider = (self._providers.get(model_id) or default_providers_for(model_id))[0]
        generation_id = self._new_generation_id("gen-emb")
        served = str(model.get("canonical_slug") or model_id).split("/", 1)[-1]
        payload = {
            "object": "list",
            "data": data,
            "model": served,
            "usage": {
                "prompt_tokens": tokens,
                "total_tokens": tokens,
                "cost": payload_usage["cost"],
                "is_byok": False,
                "cost_details": dict(payload_usage["cost_details"]),
            },
            "provider": provider,
            "id": generation_id,
        }
        charge = Charge(
            generation_id=generation_id,
            requested_model=requested,
            served_model=served,
            provider=provider,
            cost=usage.cost,
            prompt_tokens=tokens,
            completion_tokens=0,
            endpoint="embeddings",
        )
        self._store(charge, self._generation_data(charge, api_type="embeddings", model=model_id))
        await self._send_json(
            out,
            200,
            payload,
            headers=[("X-Generation-Id", generation_id)],
            whitespace=options.keepalive_whitespace,
        )

    @staticmethod
    def _embedding_inputs(raw: Any) -> list[tuple[str, int]] | None:
        def is_tokens(value: Any) -> bool:
            return isinstance(value, list) and all(
                isinstance(t, int) and not isinstance(t, bool) for t in value
            )

        if isinstance(raw, str):
            items: list[Any] = [raw]
        elif is_tokens(raw) and raw:
            items = [raw]
        elif isinstance(raw, list) and raw:
            items = raw
        else:
            return None
        out: list[tuple[str, int]] = []
        for item in items:
            if isinstance(item, str):
                out.append((item, text_tokens(item)))
            elif is_tokens(item):
                out.append((" ".join(str(t) for t in item), len(item)))
            else:
                out.append((json.dumps(item, sort_keys=True), text_tokens(json.dumps(item))))
        return out

    # ----------------------------------------------------------------- chat

    async def _send_error_reply(self, out: Responder, reply: _replies.ErrorReply) -> None:
        headers = list((reply.headers or {}).items())
        if reply.body is not None:
            raw = reply.body
            data = (
                raw
                if isinstance(raw, bytes)
                else raw.encode()
                if isinstance(raw, str)
                else dumps(raw)
            )
            await out.send(reply.status, data, headers=headers)
            return
        user_id = None if reply.status == 401 else self._user_id
        payload = error_body(reply.status, reply.message, metadata=reply.metadata, user_id=user_id)
        await self._send_json(out, reply.status, payload, headers=headers)

    def _scripted_completion(
        self, reply: _replies.TextReply | _replies.ToolCallsReply, route: Route
    ) -> tuple[Completion, int]:
        reasoning = reply.reasoning
        details: tuple[Mapping[str, Any], ...] | None = reply.reasoning_details
        if details is None and reasoning:
            details = reasoning_details_for(route.family, reasoning)
        if reasoning is None and details is not None:
            reasoning = reasoning_text_of(details)
        reasoning_tokens = text_tokens(reasoning or "")
        native = reply.native_finish_reason or native_finish_reason(
            route.family, reply.finish_reason
        )
        if isinstance(reply, _replies.TextReply):
            completion = Completion(
                content=reply.content,
                reasoning=reasoning,
                reasoning_details=details,
                finish_reason=reply.finish_reason,
                native_finish_reason=native,
                annotations=None if reply.annotations is None else list(reply.annotations),
            )
        else:
            calls = tuple(
                ToolCall(
                    call.id or self._tool_call_id(route, call.name, i), call.name, call.arguments
                )
                for i, call in enumerate(reply.calls)
            )
            completion = Completion(
                content=reply.content,
                reasoning=reasoning,
                reasoning_details=details,
                tool_calls=calls,
                finish_reason=reply.finish_reason,
                native_finish_reason=native,
            )
        return completion, reasoning_tokens

    def _generic(self, exchange: _Exchange) -> tuple[Completion, int]:
        route = exchange.route
        return generic_completion(
            exchange.body, route, lambda name, index: self._tool_call_id(route, name, index)
        )

    def _partial_text(self, exchange: _Exchange, content: str | None, chunks: int) -> str:
        if content is None:
            completion, _ = self._generic(exchange)
            content = completion.content or GENERIC_SENTENCE
        return content[: max(0, chunks) * exchange.options.chunk_chars]

    async def _handle_chat(
        self, request: HttpRequest, out: Responder, body: dict[str, Any]
    ) -> None:
        messages = body.get("messages")
        if not (isinstance(messages, list) and messages) and not isinstance(
            body.get("prompt"), str
        ):
            await self._send_error(out, 400, 'Input required: specify "prompt" or "messages"')
            return
        reply = self._pop("chat")
        while isinstance(reply, _replies.StallReply):
            await asyncio.sleep(reply.seconds)
            reply = reply.then
        options = self._options(reply)
        if options.delay:
            await asyncio.sleep(options.delay)
        if isinstance(reply, _replies.ErrorReply):
            await self._send_error_reply(out, reply)
            return
        try:
            route = resolve_route(
                body,
                self._by_id,
                self._providers,
                auto_model=self._auto_model,
                lenient=reply is not None,
            )
        except RoutingError as exc:
            await self._send_error(out, exc.status, exc.message, user_id=exc.with_user_id)
            return
        override_model = getattr(reply, "model", None)
        override_provider = getattr(reply, "provider", None)
        if override_model or override_provider:
            route = replace(
                route,
                served=override_model or route.served,
                provider=override_provider or route.provider,
            )
        analysis = analyze_prompt(body, cache_scope=route.served)
        cache = CacheOutcome()
        if route.supports_caching:
            with self._lock:
                cache = apply_cache(analysis, self._cache)
                self._cache.update(cache.new_keys)
        meta = ResponseMeta(
            id=self._new_generation_id(),
            created=self._now(),
            model=route.served,
            provider=route.provider,
            service_tier=service_tier_for(route.provider),
        )
        exchange = _Exchange(
            body=body,
            route=route,
            meta=meta,
            analysis=analysis,
            cache=cache,
            stream=body.get("stream") is True,
            options=options,
        )
        headers = [("X-Generation-Id", meta.id)]
        if isinstance(reply, _replies.ErrorIn200Reply):
            await self._serve_error_in_200(request, out, exchange, reply, headers)
        elif isinstance(reply, _replies.MidstreamErrorReply):
            await self._serve_midstream_error(request, out, exchange, reply, headers)
        elif isinstance(reply, _replies.DropConnectionReply):
            await self._serve_drop(request, out, exchange, reply, headers)
        else:
            if isinstance(reply, (_replies.TextReply, _replies.ToolCallsReply)):
                completion, reasoning_tokens = self._scripted_completion(reply, route)
                override = reply.usage
                same_chunk = isinstance(reply, _replies.ToolCallsReply) and reply.same_chunk
            else:
                completion, reasoning_tokens = self._generic(exchange)
                override, same_chunk = None, False
            numbers = exchange.usage(completion, reasoning_tokens)
            usage = merge_usage(usage_payload(numbers), override)
            self._bill(request, exchange, completion, numbers, usage, failed=False)
            await self._serve_completion(out, exchange, completion, usage, headers, same_chunk)

    async def _serve_completion(
        self,
        out: Responder,
        exchange: _Exchange,
        completion: Completion,
        usage: Mapping[str, Any],
        headers: Sequence[tuple[str, str]],
        same_chunk: bool,
    ) -> None:
        options = exchange.options
        if not exchange.stream:
            payload = completion_body(exchange.meta, completion, usage)
            await self._send_json(
                out, 200, payload, headers=headers, whitespace=options.keepalive_whitespace
            )
            return
        chunks = stream_chunks(
            exchange.meta,
            completion,
            usage,
            chunk_chars=options.chunk_chars,
            usage_chunk=options.usage_chunk,
            same_chunk=same_chunk,
        )
        await self._stream(out, exchange, chunks, headers, done=True)

    async def _stream(
        self,
        out: Responder,
        exchange: _Exchange,
        chunks: Sequence[Mapping[str, Any]],
        headers: Sequence[tuple[str, str]],
        *,
        done: bool,
    ) -> None:
        options = exchange.options
        await out.start_stream(200, headers=headers)
        try:
            for _ in range(options.processing_comments):
                await out.write_chunk(processing_comment())
            for chunk in chunks:
                if options.chunk_delay:
                    await asyncio.sleep(options.chunk_delay)
                await out.write_chunk(b"data: " + dumps(chunk) + b"\n\n")
            if done:
                await out.write_chunk(SSE_DONE)
                await out.end_stream()
        except ConnectionError:
            self._mark_cancelled(exchange.meta.id)
            raise

    async def _serve_error_in_200(
        self,
        request: HttpRequest,
        out: Responder,
        exchange: _Exchange,
        reply: _replies.ErrorIn200Reply,
        headers: Sequence[tuple[str, str]],
    ) -> None:
        numbers = exchange.usage(None, 0)
        usage = None if reply.usage is None else merge_usage(usage_payload(numbers), reply.usage)
        self._bill(request, exchange, None, numbers, usage, failed=True)
        error: dict[str, Any] = {"code": reply.code, "message": reply.message}
        if reply.metadata is not None:
            error["metadata"] = dict(reply.metadata)
        if exchange.stream:
            chunk = error_chunk(exchange.meta, error, finish_reason="error", usage=usage)
            await self._stream(out, exchange, [chunk], headers, done=True)
            return
        payload = error_body(reply.code, reply.message, metadata=reply.metadata)
        if usage is not None:
            payload["usage"] = usage
        await self._send_json(
            out, 200, payload, headers=headers, whitespace=exchange.options.keepalive_whitespace
        )

    async def _serve_midstream_error(
        self,
        request: HttpRequest,
        out: Responder,
        exchange: _Exchange,
        reply: _replies.MidstreamErrorReply,
        headers: Sequence[tuple[str, str]],
    ) -> None:
        text = self._partial_text(exchange, reply.content, reply.after_chunks)
        error: dict[str, Any] = {"code": reply.code, "message": reply.message}
        if reply.metadata is not None:
            error["metadata"] = dict(reply.metadata)
        completion = Completion(
            content=text,
            finish_reason=reply.finish_reason,
            native_finish_reason=None,
            error=error,
        )
        numbers = exchange.usage(completion, 0)
        usage = merge_usage(usage_payload(numbers), reply.usage)
        self._bill(request, exchange, completion, numbers, usage, failed=True)
        if not exchange.stream:
            payload = completion_body(exchange.meta, completion, usage)
            await self._send_json(
                out, 200, payload, headers=headers, whitespace=exchange.options.keepalive_whitespace
            )
            return
        chunks = content_chunks(exchange.meta, text, exchange.options.chunk_chars)
        chunks.append(
            error_chunk(exchange.meta, error, finish_reason=reply.finish_reason, usage=usage)
        )
        await self._stream(out, exchange, chunks, headers, done=True)

    async def _serve_drop(
        self,
        request: HttpRequest,
        out: Responder,
        exchange: _Exchange,
        reply: _replies.DropConnectionReply,
        headers: Sequence[tuple[str, str]],
    ) -> None:
        text = self._partial_text(exchange, reply.content, reply.after_chunks)
        completion = Completion(content=text, finish_reason=None)
        numbers = exchange.usage(completion, 0)
        self._bill(request, exchange, completion, numbers, None, failed=True)
        self._mark_cancelled(exchange.meta.id)
        if not exchange.stream:
            if reply.after_chunks <= 0:
                await out.abort()
                return
            full = completion_body(exchange.meta, completion, usage_payload(numbers))
            data = keepalive_bytes(exchange.options.keepalive_whitespace) + dumps(full)
            await out.send_truncated(200, data, len(data) // 2, headers=headers)
            return
        chunks = content_chunks(exchange.meta, text, exchange.options.chunk_chars)
        await self._stream(out, exchange, chunks, headers, done=False)
        await out.abort()

    # ----------------------------------------------------------------- billing

    def _bill(
        self,
        request: HttpRequest,
        exchange: _Exchange,
        completion: Completion | None,
        numbers: UsageNumbers,
        usage: Mapping[str, Any] | None,
        *,
        failed: bool,
    ) -> None:
        reported = None if usage is None else usage.get("cost")
        if isinstance(reported, (int, float, Decimal)) and not isinstance(reported, bool):
            cost = to_decimal(reported)
        elif completion is None and usage is None:
            cost = Decimal(0)
        else:
            cost = numbers.cost
        source = usage or {}
        charge = Charge(
            generation_id=exchange.meta.id,
            requested_model=exchange.route.requested,
            served_model=exchange.meta.model,
            provider=exchange.meta.provider,
            cost=cost,
            prompt_tokens=_int_field(source, ["prompt_tokens"], numbers.prompt_tokens),
            completion_tokens=_int_field(source, ["completion_tokens"], numbers.completion_tokens),
            reasoning_tokens=_int_field(
                source, ["completion_tokens_details", "reasoning_tokens"], numbers.reasoning_tokens
            ),
            cached_tokens=_int_field(
                source, ["prompt_tokens_details", "cached_tokens"], numbers.cached_tokens
            ),
            cache_write_tokens=_int_field(
                source, ["prompt_tokens_details", "cache_write_tokens"], numbers.cache_write_tokens
            ),
            streamed=exchange.stream,
            failed=failed,
        )
        data = self._generation_data(
            charge,
            api_type="completions",
            model=exchange.route.model_id,
            request=request,
            body=exchange.body,
            completion=completion,
            numbers=numbers,
            router=exchange.route.router,
            media=sum(exchange.analysis.media.values()),
        )
        self._store(charge, data)

    def _generation_data(
        self,
        charge: Charge,
        *,
        api_type: str,
        model: str,
        request: HttpRequest | None = None,
        body: Mapping[str, Any] | None = None,
        completion: Completion | None = None,
        numbers: UsageNumbers | None = None,
        router: str | None = None,
        media: int = 0,
    ) -> dict[str, Any]:
        created = dt.datetime.fromtimestamp(self._now(), tz=dt.timezone.utc)
        prices = self.price(model) if model in self._by_id else {}
        discount = Decimal(0)
        if numbers is not None and prices:
            prompt = prices.get("prompt", Decimal(0))
            discount = numbers.cached_tokens * (
                prompt - prices.get("input_cache_read", prompt)
            ) + numbers.cache_write_tokens * (prompt - prices.get("input_cache_write", prompt))
        headers = request.headers if request is not None else Headers()
        body = body or {}
        digest = hashlib.sha256(charge.generation_id.encode()).hexdigest()
        referer = headers.get("http-referer")
        app_id = int(hashlib.sha256(referer.encode()).hexdigest()[:5], 16) if referer else None
        entry = self._by_id.get(model) or {}
        moderated = bool((entry.get("top_provider") or {}).get("is_moderated"))
        return {
            "id": charge.generation_id,
            "upstream_id": ("msg_" if charge.provider != "OpenAI" else "chatcmpl-") + digest[:24],
            "total_cost": json_number(charge.cost),
            "cache_discount": json_number(discount) if numbers is not None else None,
            "upstream_inference_cost": json_number(charge.cost),
            "created_at": created.isoformat(),
            "model": model,
            "app_id": app_id,
            "streamed": charge.streamed,
            "cancelled": False,
            "provider_name": charge.provider,
            "latency": 250,
            "moderation_latency": 120 if moderated else None,
            "generation_time": 400 + 5 * charge.completion_tokens,
            "finish_reason": None if completion is None else completion.finish_reason,
            "native_finish_reason": None if completion is None else completion.native_finish_reason,
            "tokens_prompt": charge.prompt_tokens,
            "tokens_completion": charge.completion_tokens,
            "native_tokens_prompt": charge.prompt_tokens,
            "native_tokens_completion": charge.completion_tokens,
            "native_tokens_completion_images": 0,
            "native_tokens_reasoning": charge.reasoning_tokens,
            "native_tokens_cached": charge.cached_tokens,
            "num_media_prompt": media or None,
            "num_input_audio_prompt": None,
            "num_media_completion": None,
            "num_search_results": None,
            "origin": referer or "",
            "usage": json_number(charge.cost),
            "is_byok": False,
            "external_user": body.get("user"),
            "api_type": api_type,
            "router": router,
            "provider_responses": None,
            "user_agent": headers.get("user-agent", ""),
            "http_referer": referer,
            "session_id": body.get("session_id") or headers.get("x-session-id"),
            "request_id": "req-" + digest[24:48],
        }

    def _store(self, charge: Charge, data: dict[str, Any]) -> None:
        with self._lock:
            self._charges.append(charge)
            self._generations[charge.generation_id] = data

    def _mark_cancelled(self, generation_id: str) -> None:
        with self._lock:
            if generation_id in self._generations:
                self._generations[generation_id]["cancelled"] = True
