"""Embeddings through ``POST /embeddings``: request bodies, batching and response checks.

Shared by ``langchain_openrouter.OpenRouterEmbeddings`` and
``llama_index_openrouter.OpenRouterEmbedding``. Requests go through
:func:`openrouter_core.transport.post_json`, so the SDK handles retries and timeouts and the
call observers (the usage ledger, a budget guard) see every batch with its tokens and cost.

This module imports neither the ``openai`` SDK nor the transport at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from openrouter_core.options import ProviderPreferences

if TYPE_CHECKING:
    import openai

    from openrouter_core.request import RequestOptions

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_EMBEDDING_MODEL",
    "EmbeddingJob",
    "aembed_texts",
    "batched",
    "check_texts",
    "embed_texts",
    "embeddings_body",
    "parse_embeddings",
]

DEFAULT_EMBEDDING_MODEL = "openai/text-embedding-3-small"
"""The model used when none is given."""
DEFAULT_BATCH_SIZE = 100
"""Texts per request by default (OpenAI models accept up to 2,048; other providers fewer)."""
_ENDPOINT = "/embeddings"


def check_texts(texts: Any) -> list[str]:
    """Return ``texts`` as a list of strings, or raise ``TypeError`` before any request."""
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise TypeError(f"texts must be a list of strings, not {type(texts).__name__}")
    bad = next((i for i, text in enumerate(texts) if not isinstance(text, str)), None)
    if bad is not None:
        raise TypeError(f"texts[{bad}] must be a string, not {type(texts[bad]).__name__}")
    return list(texts)


def batched(items: Sequence[str], size: int) -> Iterator[list[str]]:
    """Split ``items`` into consecutive batches of at most ``size`` (``size`` >= 1)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"batch_size must be a positive int, got {size!r}")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _provider(value: ProviderPreferences | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    prefs = (
        value
        if isinstance(value, ProviderPreferences)
        else ProviderPreferences.model_validate(dict(value))
    )
    dumped = prefs.model_dump(by_alias=True, exclude_none=True)
    return dumped or None


def embeddings_body(
    model: str,
    inputs: Sequence[str],
    *,
    dimensions: int | None = None,
    provider: ProviderPreferences | Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a ``POST /embeddings`` body.

    Args:
        model: The embedding model id.
        inputs: The texts of one request.
        dimensions: Output size, for models that can shorten their vectors.
        provider: Provider routing preferences (``order``, ``only``, ``sort``...).
        extra: Further body fields (e.g. ``input_type``, ``user``); they win over
            ``dimensions`` and ``provider``.

    Raises:
        ValueError: ``model`` is empty, ``dimensions`` is not a positive int, or ``extra``
            tries to replace ``model`` or ``input``.
        pydantic.ValidationError: ``provider`` is invalid.
    """
    if not isinstance(model, str) or not model.strip():
        raise ValueError("an embedding model id is required, e.g. 'openai/text-embedding-3-small'")
    body: dict[str, Any] = {"model": model, "input": list(inputs)}
    if dimensions is not None:
        if isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions < 1:
            raise ValueError(f"dimensions must be a positive int, got {dimensions!r}")
        body["dimensions"] = dimensions
    routing = _provider(provider)
    if routing:
        body["provider"] = routing
    if extra:
        clash = sorted({"model", "input"} & set(extra))
        if clash:
            raise ValueError(f"extra body fields may not replace {', '.join(clash)}")
        body.update(extra)
    return body


def parse_embeddings(
    data: Mapping[str, Any], expected: int, *, model: str | None = None
) -> list[list[float]]:
    """Return the vectors of an embeddings response in input order, checked.

    Args:
        data: The response body.
        expected: How many inputs the request had.
        model: The requested model (for error messages).

    Returns:
        ``list[list[float]]``, one vector per input.

    Raises:
        ProviderError: The response lacks vectors, has the wrong number of them, or a vector
            is not a list of numbers; a partial result is never returned.
    """
    from openrouter_core.errors import ProviderError
    from openrouter_core.usage import usage_from_body

    items = data.get("data")
    if not isinstance(items, list) or len(items) != expected:
        got = len(items) if isinstance(items, list) else "no"
        raise ProviderError(
            f"the embeddings response has {got} vectors for {expected} inputs",
            model=model,
            usage=usage_from_body(data),
        )
    vectors: list[list[float] | None] = [None] * expected
    for position, item in enumerate(items):
        index = item.get("index", position) if isinstance(item, Mapping) else None
        vector = item.get("embedding") if isinstance(item, Mapping) else None
        if (
            not isinstance(index, int)
            or not 0 <= index < expected
            or vectors[index] is not None
            or not isinstance(vector, list)
            or not vector
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in vector)
        ):
            raise ProviderError(
                f"the embeddings response has an invalid vector at position {position}",
                model=model,
                usage=usage_from_body(data),
            )
        vectors[index] = [float(v) for v in vector]
    # Every index in range was filled exactly once (the count matched and none repeated).
    return [v for v in vectors if v is not None]


class EmbeddingJob:
    """The checked requests of one embedding job: one body per batch, built before any is sent.

    Bad input (a non-string text, a bad ``dimensions``, invalid ``provider``) raises while the
    job is built, so it never leaves a half-done job. :meth:`check` is the transport ``check``
    of one batch: the response is validated before the call is reported, so a 200 without valid
    vectors is recorded as a failed call (its usage was billed) rather than as a success.
    """

    __slots__ = ("bodies", "model", "vectors")

    def __init__(
        self,
        model: str,
        texts: Sequence[str],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        dimensions: int | None = None,
        provider: ProviderPreferences | Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.bodies = [
            embeddings_body(model, batch, dimensions=dimensions, provider=provider, extra=extra)
            for batch in batched(check_texts(texts), batch_size)
        ]
        self.vectors: list[list[float]] = []
        """The vectors received so far, in input order."""

    def check(self, body: Mapping[str, Any]) -> Callable[[dict[str, Any]], None]:
        """The transport ``check`` of the batch sent as ``body``: its vectors join the result."""
        expected = len(body["input"])

        def check(data: dict[str, Any]) -> None:
            self.vectors.extend(parse_embeddings(data, expected, model=self.model))

        return check


def embed_texts(
    client: openai.OpenAI,
    model: str,
    texts: Sequence[str],
    *,
    options: RequestOptions | None = None,
    **settings: Any,
) -> list[list[float]]:
    """Embed ``texts`` in batches, one request per batch, in order (see :class:`EmbeddingJob`).

    Args:
        client: The shared synchronous client.
        model: The embedding model id.
        texts: The texts.
        options: Per-request transport settings.
        **settings: ``batch_size``, ``dimensions``, ``provider``, ``extra``.

    A failing batch raises; batches already sent were billed and reported to the observers.
    """
    from openrouter_core.transport import post_json

    job = EmbeddingJob(model, texts, **settings)
    for body in job.bodies:
        post_json(client, _ENDPOINT, body, options=options, check=job.check(body))
    return job.vectors


async def aembed_texts(
    client: openai.AsyncOpenAI,
    model: str,
    texts: Sequence[str],
    *,
    options: RequestOptions | None = None,
    **settings: Any,
) -> list[list[float]]:
    """Asynchronous :func:`embed_texts` (batches are sent one after another)."""
    from openrouter_core.transport import apost_json

    job = EmbeddingJob(model, texts, **settings)
    for body in job.bodies:
        await apost_json(client, _ENDPOINT, body, options=options, check=job.check(body))
    return job.vectors
