"""``POST /embeddings`` on the emulator, and its deterministic embedding of a text.

:func:`embed_text` hashes a text's words, word pairs and character trigrams into a vector
(feature hashing with a sign bit) and normalizes it, so texts that share words are close and
unrelated texts are nearly orthogonal: offline retrieval ranks the passage that shares the
query's words first. Very common words weigh little. The same text always gets the same vector
(float32 precision), for any ``dimensions``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import math
import re
import struct
from typing import Any, Final

from openrouter_core.testing import replies as _replies
from openrouter_core.testing._billing import Billing, Charge
from openrouter_core.testing._catalog import model_prices
from openrouter_core.testing._checks import embeddings_refusal
from openrouter_core.testing._http import HttpRequest, Responder
from openrouter_core.testing._render import error_body
from openrouter_core.testing._state import EmulatorState
from openrouter_core.testing._usage import compute_usage, merge_usage, text_tokens, usage_payload
from openrouter_core.testing._wire import send_error, send_error_reply, send_json

__all__ = ["Embeddings", "embed_text", "embedding_inputs"]

_WORD = re.compile(r"\w+", re.UNICODE)
_COMMON: Final = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)
_WORD_WEIGHT = 1.0
_COMMON_WEIGHT = 0.15
_PAIR_WEIGHT = 0.5
_TRIGRAM_WEIGHT = 0.25


def _stem(word: str) -> str:
    """Fold the commonest English endings, so "providers" meets "provider"."""
    for suffix in ("ing", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _features(text: str) -> dict[str, float]:
    words = [_stem(w) for w in _WORD.findall(text.lower())]
    features: dict[str, float] = {}

    def add(key: str, weight: float) -> None:
        features[key] = features.get(key, 0.0) + weight

    content = [w for w in words if w not in _COMMON]
    for word in words:
        add("w:" + word, _COMMON_WEIGHT if word in _COMMON else _WORD_WEIGHT)
    for first, second in itertools.pairwise(content):
        add(f"p:{first} {second}", _PAIR_WEIGHT)
    for word in content:
        padded = f"#{word}#"
        for i in range(len(padded) - 2):
            add("c:" + padded[i : i + 3], _TRIGRAM_WEIGHT)
    return features


def embed_text(text: str, dimensions: int) -> list[float]:
    """A unit-norm vector (float32 precision) of hashed word, word-pair and trigram features.

    Args:
        text: The text.
        dimensions: The vector's length.

    Returns:
        The vector; a text without any word gets a fixed unit vector.
    """
    values = [0.0] * dimensions
    for feature, weight in _features(text).items():
        digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        (number,) = struct.unpack("<Q", digest)
        sign = 1.0 if number & 1 else -1.0
        values[(number >> 1) % dimensions] += sign * weight
    norm = math.sqrt(sum(v * v for v in values))
    if norm == 0:
        values[0], norm = 1.0, 1.0
    return [struct.unpack("<f", struct.pack("<f", v / norm))[0] for v in values]


def embedding_inputs(raw: Any) -> list[tuple[str, int]] | None:
    """The texts of an ``input`` (string, list of strings, token ids) with their token counts.

    Returns:
        ``(text, tokens)`` per input, or ``None`` when the input is empty or not one of those.
    """

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


class Embeddings:
    """Answers ``POST /embeddings``: scripted failures, catalog checks, vectors and billing.

    Args:
        state: The shared state.
        billing: Where the request is billed.
    """

    def __init__(self, state: EmulatorState, billing: Billing) -> None:
        self._state = state
        self._billing = billing

    async def handle(self, request: HttpRequest, out: Responder, body: dict[str, Any]) -> None:
        """Answer one embeddings request."""
        state = self._state
        reply, options = await state.next_reply("embeddings")
        if isinstance(reply, _replies.ErrorReply):
            await send_error_reply(out, reply, state.user_id)
            return
        if isinstance(reply, _replies.DropConnectionReply):
            await out.abort()
            return
        if isinstance(reply, _replies.ErrorIn200Reply):
            payload = error_body(reply.code, reply.message, metadata=reply.metadata)
            if reply.usage is not None:
                payload["usage"] = merge_usage({}, reply.usage)
            await send_json(out, 200, payload, whitespace=options.keepalive_whitespace)
            return
        requested = str(body.get("model") or "")
        model = state.by_id.get(requested) or state.by_id.get(requested.partition(":")[0])
        if model is None:
            message = f"{requested or 'model'} is not a valid model ID"
            await send_error(out, 400, message, user_id=state.user_id)
            return
        outputs = (model.get("architecture") or {}).get("output_modalities") or ["text"]
        if "embeddings" not in outputs:
            await send_error(out, 404, f"No endpoints found for {requested}.", user_id=None)
            return
        texts = embedding_inputs(body.get("input"))
        if texts is None:
            message = "Input must be a non-empty string or array"
            await send_error(out, 400, message, user_id=state.user_id)
            return
        refusal = embeddings_refusal(model, max(tokens for _, tokens in texts))
        if refusal is not None:
            await send_error(
                out,
                refusal.status,
                refusal.message,
                metadata=refusal.metadata,
                user_id=state.user_id,
            )
            return
        whitespace = options.keepalive_whitespace
        await self._answer(request, out, body, model, requested, texts, whitespace)

    async def _answer(
        self,
        request: HttpRequest,
        out: Responder,
        body: dict[str, Any],
        model: dict[str, Any],
        requested: str,
        texts: list[tuple[str, int]],
        whitespace: int,
    ) -> None:
        state = self._state
        dimensions = body.get("dimensions")
        size = (
            dimensions
            if isinstance(dimensions, int) and not isinstance(dimensions, bool) and dimensions > 0
            else state.embedding_dimensions
        )
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        tokens = 0
        for index, (item, item_tokens) in enumerate(texts):
            vector = embed_text(item, size)
            tokens += item_tokens
            encoded: Any = (
                base64.b64encode(struct.pack(f"<{size}f", *vector)).decode()
                if as_base64
                else vector
            )
            data.append({"object": "embedding", "embedding": encoded, "index": index})
        model_id = str(model["id"])
        prices = state.price(requested) if requested in state.by_id else model_prices(model)
        usage = compute_usage(prompt_tokens=tokens, completion_tokens=0, prices=prices)
        payload_usage = usage_payload(usage)
        provider = state.provider_of(model_id)
        generation_id = state.new_generation_id("gen-emb")
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
        self._billing.bill_embeddings(charge, model_id, request)
        await send_json(
            out,
            200,
            payload,
            headers=[("X-Generation-Id", generation_id)],
            whitespace=whitespace,
        )
