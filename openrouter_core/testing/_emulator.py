"""``OpenRouterEmulator``: the server, its lifecycle, scripting, inspection and request dispatch.

Each endpoint's work lives in its own module, all sharing one
:class:`~openrouter_core.testing._state.EmulatorState`: chat completions (``_chat``),
embeddings (``_embeddings``), billing and generation records (``_billing``), the catalog
endpoints (``_listing``, routing in ``_catalog``) and API keys (``_keys``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Any, Final, Literal

from openrouter_core._version import __version__
from openrouter_core.testing import replies as _replies
from openrouter_core.testing._billing import Billing, Charge
from openrouter_core.testing._catalog import DEFAULT_AUTO_MODEL, DEFAULT_PROVIDERS, listed_models
from openrouter_core.testing._chat import ChatCompletions
from openrouter_core.testing._embeddings import Embeddings
from openrouter_core.testing._http import Headers, HttpRequest, HttpServer, Responder
from openrouter_core.testing._keys import KeyStore, bearer_token
from openrouter_core.testing._listing import Listing, is_public
from openrouter_core.testing._render import UsageChunkMode
from openrouter_core.testing._state import API_PREFIX, EmulatorState, Options
from openrouter_core.testing._wire import send_error, send_json

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
DEFAULT_EMBEDDING_DIMENSIONS: Final = 256
"""Embedding size when a request has no ``dimensions`` (small, to keep tests fast)."""

_MISSING_AUTH = "Missing Authentication header"
_Endpoint = Literal["chat", "embeddings"]
_ROUTES: Final[Mapping[str, str]] = {
    "/chat/completions": "POST",
    "/embeddings": "POST",
    "/generation": "GET",
    "/key": "GET",
    "/auth/key": "GET",
}


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


def _json_or_none(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None


class OpenRouterEmulator:
    """A local OpenRouter-compatible HTTP server (stdlib asyncio, own thread, random port).

    Serves ``/api/v1``: ``POST /chat/completions`` (JSON and SSE, image output included),
    ``POST /embeddings``, ``GET /models``, ``GET /models/{author}/{slug}/endpoints``,
    ``GET /embeddings/models``, ``GET /generation?id=``, ``GET /key`` (and ``/auth/key``) and
    the key-management API ``/keys``. Responses follow the real wire format field by field.
    The catalog is the package's dated snapshot of OpenRouter's model list
    (:mod:`openrouter_core.catalog.snapshot`), the same one the model catalog falls back on.
    Chat requests are answered from a FIFO queue of scripted replies (see
    :mod:`openrouter_core.testing.replies`) or, when it is empty, by a deterministic generic
    model. Ids come from a seeded RNG and ``created`` is fixed by default, so the same request
    sequence produces byte-identical bodies.

    Args:
        seed: Seed of the id generator.
        created: Fixed ``created`` timestamp for every response; ``None`` uses the wall clock.
        models: Replace the catalog (model dicts in the ``/models`` schema).
        providers: Provider display names per model id (default: built-in table, else derived
            from the author).
        api_keys: Accept only these bearer tokens (and keys created through ``/keys``; others
            get 401); ``None`` accepts any.
        credit_limit: Reported as the key's ``limit``; once the billed total reaches it, chat
            and embeddings requests get HTTP 402. ``None`` means unlimited. (Keys created
            through ``/keys`` have their own limit, answered with OpenRouter's 403.)
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
        self._state = EmulatorState(
            seed=seed,
            created=created,
            models=listed_models() if models is None else models,  # the state copies them
            providers=DEFAULT_PROVIDERS if providers is None else providers,
            defaults=Options(
                delay=0.0,
                chunk_delay=0.0,
                keepalive_whitespace=keepalive_whitespace,
                processing_comments=processing_comments,
                usage_chunk=usage_chunk,
                chunk_chars=max(1, chunk_chars),
            ),
            embedding_dimensions=embedding_dimensions,
            auto_model=auto_model,
        )
        self._api_keys = None if api_keys is None else frozenset(api_keys)
        self._keys = KeyStore(self._state, credit_limit)
        self._billing = Billing(self._state, on_charge=self._keys.record)
        self._chat = ChatCompletions(self._state, self._billing)
        self._embeddings = Embeddings(self._state, self._billing)
        self._listing = Listing(self._state, self._billing)
        self._requests: list[RecordedRequest] = []
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
        return f"http://{self._host}:{self.port}{API_PREFIX}"

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
        queues = self._state.queues
        if endpoint not in queues:
            raise ValueError(f"unknown endpoint {endpoint!r}; use 'chat' or 'embeddings'")
        if not isinstance(reply, _replies.Reply):
            raise TypeError(f"expected a reply from openrouter_core.testing.replies, got {reply!r}")
        if endpoint == "embeddings" and isinstance(
            reply, (_replies.TextReply, _replies.ToolCallsReply, _replies.MidstreamErrorReply)
        ):
            raise ValueError("embeddings accept only error, error_in_200, stall, drop_connection")
        with self._state.lock:
            queues[endpoint].extend([reply] * max(0, times))

    def pending(self, endpoint: _Endpoint = "chat") -> int:
        """Return how many scripted replies are still queued for ``endpoint``."""
        with self._state.lock:
            return len(self._state.queues[endpoint])

    def reset(self) -> None:
        """Clear the reply queues, recorded requests, charges, generations and prompt cache."""
        with self._state.lock:
            for queue in self._state.queues.values():
                queue.clear()
            self._requests.clear()
            self._state.cache.clear()
            self._billing.reset()

    # ----------------------------------------------------------------- inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in arrival order (a copy)."""
        with self._state.lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[Any]:
        """Parsed bodies of every ``POST /chat/completions`` request (a copy)."""
        path = f"{API_PREFIX}/chat/completions"
        return [r.body for r in self.requests if r.method == "POST" and r.path == path]

    @property
    def last_request(self) -> RecordedRequest | None:
        """The most recent request, or ``None``."""
        with self._state.lock:
            return self._requests[-1] if self._requests else None

    @property
    def charges(self) -> list[Charge]:
        """Every generation billed, in order (a copy)."""
        with self._state.lock:
            return list(self._billing.charges)

    @property
    def total_cost(self) -> Decimal:
        """Sum of all charges.

        What ``GET /key`` reports as ``usage`` for a key not created through ``POST /keys`` (a
        created key reports its own).
        """
        return self._billing.total()

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised inside the emulator while handling requests (should stay empty)."""
        return list(self._server.errors)

    @property
    def catalog(self) -> list[dict[str, Any]]:
        """The model table served by ``GET /models`` (deep copies, including non-text models)."""
        return copy.deepcopy(self._state.catalog)

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
        return self._state.price(model_id)

    def generation(self, generation_id: str) -> dict[str, Any] | None:
        """Return the stored ``GET /generation`` data for an id, or ``None``."""
        return self._billing.generation(generation_id)

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
        await send_json(out, status, payload, headers=headers, whitespace=whitespace)

    async def _send_error(
        self,
        out: Responder,
        status: int,
        message: str,
        *,
        user_id: bool = True,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        owner = self._state.user_id if user_id else None
        await send_error(out, status, message, user_id=owner, metadata=metadata)

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
        with self._state.lock:
            self._requests.append(recorded)
        return body

    def _auth_error(self, request: HttpRequest) -> str | None:
        token = bearer_token(request)
        if not token:
            return _MISSING_AUTH
        refused = self._keys.auth_error(token)
        if refused is not None:
            return refused
        if self._api_keys is not None and token not in self._api_keys:
            return None if self._keys.created(token) else "User not found."
        return None

    async def _handle(self, request: HttpRequest, out: Responder) -> None:
        body = self._record(request)
        path = request.path.rstrip("/") or "/"
        if not path.startswith(API_PREFIX + "/"):
            await self._send_error(out, 404, "Not Found", user_id=False)
            return
        route = path[len(API_PREFIX) :]
        method = request.method
        if is_public(method, route):
            await self._handle_models(request, out, route)
            return
        is_keys = route == "/keys" or route.startswith("/keys/")
        if route not in _ROUTES and not is_keys:
            await self._send_error(out, 404, "Not Found", user_id=False)
            return
        if not is_keys and method != _ROUTES[route]:
            await self._send_error(out, 405, "Method Not Allowed", user_id=False)
            return
        auth_error = self._auth_error(request)
        if auth_error is not None:
            await self._send_error(out, 401, auth_error, user_id=False)
            return
        if is_keys:
            await self._keys.handle(request, out, route, body)
        elif route == "/generation":
            await self._listing.generation(request, out)
        elif route in {"/key", "/auth/key"}:
            await self._handle_key(request, out)
        elif not isinstance(body, dict):
            await self._send_error(out, 400, "Invalid JSON in request body")
        else:
            await self._handle_generation_request(request, out, route, body)

    async def _handle_generation_request(
        self, request: HttpRequest, out: Responder, route: str, body: dict[str, Any]
    ) -> None:
        refusal = self._keys.refusal(bearer_token(request), self.total_cost)
        if refusal is not None:
            status, message = refusal
            metadata = {"provider_name": None} if status == 402 else None
            await self._send_error(out, status, message, user_id=status != 403, metadata=metadata)
        elif route == "/chat/completions":
            await self._chat.handle(request, out, body)
        else:
            await self._embeddings.handle(request, out, body)

    async def _handle_models(self, request: HttpRequest, out: Responder, route: str) -> None:
        await self._listing.models(request, out, route)

    async def _handle_key(self, request: HttpRequest, out: Responder) -> None:
        data = self._keys.current_key(bearer_token(request), self.total_cost)
        await self._send_json(out, 200, {"data": data})
