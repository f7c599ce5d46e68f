"""The emulator's billing: one :class:`Charge` per generation and its ``GET /generation`` record.

Every answered or failed generation is billed once, with the cost the response reported (or
the computed one when a scripted usage override removed it). The charge is attributed to the
API key that made the request, so per-key limits (:mod:`openrouter_core.testing._keys`) and
``GET /key`` usage follow it.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openrouter_core.testing._http import Headers, HttpRequest
from openrouter_core.testing._keys import bearer_token
from openrouter_core.testing._render import Completion
from openrouter_core.testing._state import EmulatorState
from openrouter_core.testing._usage import UsageNumbers, json_number, to_decimal

__all__ = ["Billing", "Charge"]


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
        completion_tokens: Completion tokens (reasoning and image tokens included).
        reasoning_tokens: Reasoning tokens.
        cached_tokens: Prompt tokens read from the cache.
        cache_write_tokens: Prompt tokens written to the cache.
        streamed: Whether the response was streamed.
        failed: Whether the generation ended in an error (mid-stream error, dropped connection,
            error in a 200 body).
        endpoint: ``"chat"`` or ``"embeddings"``.
        image_tokens: Tokens of generated images.
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
    image_tokens: int = 0


@dataclass(frozen=True)
class BillRequest:
    """What a chat generation's charge is made of (besides its usage numbers).

    Attributes:
        generation_id: The ``gen-...`` id.
        requested_model: The model the client asked for.
        model_id: The catalog id that served it.
        served_model: The model reported in the response.
        provider: The provider reported in the response.
        router: ``"openrouter/auto"`` when the auto router chose the model.
        streamed: Whether the response was streamed.
        media: Media parts in the prompt.
        body: The request body.
        request: The HTTP request.
    """

    generation_id: str
    requested_model: str
    model_id: str
    served_model: str
    provider: str
    router: str | None
    streamed: bool
    media: int
    body: Mapping[str, Any]
    request: HttpRequest


def _int_field(usage: Mapping[str, Any], path: Sequence[str], default: int) -> int:
    node: Any = usage
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return int(node) if isinstance(node, (int, float)) and not isinstance(node, bool) else default


class Billing:
    """Charges and generation records of one emulator.

    Args:
        state: The shared state.
        on_charge: Called with (API key, cost) for every charge, under no lock.
    """

    def __init__(
        self, state: EmulatorState, on_charge: Callable[[str, Decimal], None] | None = None
    ) -> None:
        self._state = state
        self._on_charge = on_charge
        self.charges: list[Charge] = []
        self.generations: dict[str, dict[str, Any]] = {}

    def total(self) -> Decimal:
        """Sum of every charge."""
        with self._state.lock:
            return sum((c.cost for c in self.charges), Decimal(0))

    def reset(self) -> None:
        """Forget every charge and generation (the caller holds the state's lock)."""
        self.charges.clear()
        self.generations.clear()

    def generation(self, generation_id: str) -> dict[str, Any] | None:
        """A copy of the stored ``GET /generation`` data, or ``None``."""
        with self._state.lock:
            data = self.generations.get(generation_id)
            return copy.deepcopy(data) if data is not None else None

    def mark_cancelled(self, generation_id: str) -> None:
        """Record that the client went away before the end."""
        with self._state.lock:
            if generation_id in self.generations:
                self.generations[generation_id]["cancelled"] = True

    def bill_chat(
        self,
        bill: BillRequest,
        completion: Completion | None,
        numbers: UsageNumbers,
        usage: Mapping[str, Any] | None,
        *,
        failed: bool,
    ) -> Charge:
        """Bill one chat generation with the usage the response carries."""
        reported = None if usage is None else usage.get("cost")
        if isinstance(reported, (int, float, Decimal)) and not isinstance(reported, bool):
            cost = to_decimal(reported)
        elif completion is None and usage is None:
            cost = Decimal(0)
        else:
            cost = numbers.cost
        source = usage or {}
        charge = Charge(
            generation_id=bill.generation_id,
            requested_model=bill.requested_model,
            served_model=bill.served_model,
            provider=bill.provider,
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
            streamed=bill.streamed,
            failed=failed,
            image_tokens=numbers.image_tokens,
        )
        data = self.generation_data(
            charge,
            api_type="completions",
            model=bill.model_id,
            request=bill.request,
            body=bill.body,
            completion=completion,
            numbers=numbers,
            router=bill.router,
            media=bill.media,
        )
        self.store(charge, data, bearer_token(bill.request))
        return charge

    def bill_embeddings(self, charge: Charge, model_id: str, request: HttpRequest) -> None:
        """Bill one embeddings request."""
        data = self.generation_data(charge, api_type="embeddings", model=model_id, request=request)
        self.store(charge, data, bearer_token(request))

    def store(self, charge: Charge, data: dict[str, Any], api_key: str = "") -> None:
        """Keep a charge and its generation record."""
        with self._state.lock:
            self.charges.append(charge)
            self.generations[charge.generation_id] = data
        if self._on_charge is not None:
            self._on_charge(api_key, charge.cost)

    def generation_data(
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
        """The ``GET /generation`` data of a charge."""
        state = self._state
        created = dt.datetime.fromtimestamp(state.now(), tz=dt.timezone.utc)
        prices = state.price(model) if model in state.by_id else {}
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
        entry = state.by_id.get(model) or {}
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
            "native_tokens_completion_images": charge.image_tokens,
            "native_tokens_reasoning": charge.reasoning_tokens,
            "native_tokens_cached": charge.cached_tokens,
            "num_media_prompt": media or None,
            "num_input_audio_prompt": None,
            "num_media_completion": len(completion.images) or None if completion else None,
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
