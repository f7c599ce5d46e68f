"""The cheapest model for a task: price one request on every model that can do it, and rank.

:func:`cheapest` filters a :class:`~openrouter_core.catalog.query.ModelIndex` like
:func:`~openrouter_core.catalog.query.search`, prices the request on every model left (its
estimated cost at the expected token mix, and its worst case by the budget guard's own rule,
:func:`~openrouter_core.accounting.prices.worst_case_cost`), drops those whose worst case
passes ``max_cost``, and ranks the rest. The answer, a :class:`RankedModel`, is the winner's
:class:`~openrouter_core.catalog.ModelInfo` holding the whole ranking (for a ``models=[...]``
fallback chain); when nothing fits, :class:`~openrouter_core.catalog.NoModelMatchesError` says
which requirement left no model. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from openrouter_core.accounting.prices import (
    estimate_prompt_tokens,
    prices_of,
    worst_case_cost,
)
from openrouter_core.catalog.errors import NoModelMatchesError
from openrouter_core.catalog.info import ModelInfo
from openrouter_core.catalog.pricing import check_token_counts
from openrouter_core.catalog.query import (
    ModelIndex,
    Price,
    Step,
    describe_filters,
    filters,
    price_arg,
)

__all__ = ["Candidate", "Prompt", "RankedModel", "Task", "cheapest"]

Prompt = str | Sequence[Mapping[str, Any]] | int
"""An expected prompt: its text, its chat messages, or its size in tokens."""

_DEFAULT_INPUT_TOKENS = 3000


@dataclasses.dataclass(frozen=True, slots=True)
class Candidate:
    """A model that can do a task, with what one request is expected to cost on it.

    Attributes:
        model: The model.
        estimated_cost: The request at the expected token mix (USD, list prices).
        worst_case_cost: The most the request can cost, as the budget guard of
            ``track_usage(max_cost=...)`` reserves it before sending (USD).
    """

    model: ModelInfo
    estimated_cost: Decimal
    worst_case_cost: Decimal

    @property
    def id(self) -> str:
        """The model's id."""
        return self.model.id

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form: the id, both costs as exact decimal strings, context and prices."""
        return {
            "id": self.id,
            "estimated_cost": f"{self.estimated_cost.normalize():f}",
            "worst_case_cost": f"{self.worst_case_cost.normalize():f}",
            "context_length": self.model.context_length,
            "pricing": self.model.pricing.to_dict(),
        }


@dataclasses.dataclass(frozen=True, slots=True)
class RankedModel(ModelInfo):
    """The cheapest model for a task: its :class:`ModelInfo`, its costs, and the ranking.

    It is a :class:`ModelInfo` (``best.id``, ``best.context_length``...), so code written for
    the plain model keeps working.

    Attributes:
        estimated_cost: One request at the expected token mix on this model (USD).
        worst_case_cost: The most one request can cost on it, as the budget guard computes it.
        ranking: Every model that fits, cheapest first (this one first).
    """

    estimated_cost: Decimal = Decimal(0)
    worst_case_cost: Decimal = Decimal(0)
    ranking: tuple[Candidate, ...] = dataclasses.field(default=(), repr=False, compare=False)

    @classmethod
    def of(cls, ranking: Sequence[Candidate]) -> RankedModel:
        """The first candidate of a non-empty ranking, holding the whole ranking."""
        best = ranking[0]
        fields = {f.name: getattr(best.model, f.name) for f in dataclasses.fields(ModelInfo)}
        return cls(
            **fields,
            estimated_cost=best.estimated_cost,
            worst_case_cost=best.worst_case_cost,
            ranking=tuple(ranking),
        )

    @property
    def info(self) -> ModelInfo:
        """The plain catalog entry of this model."""
        return self.ranking[0].model if self.ranking else self

    def to_dict(self, limit: int | None = None) -> dict[str, Any]:
        """Plain-JSON form: this model's id and costs, and the ranking (its first ``limit``).

        Costs are exact decimal strings in USD; ``fitting`` counts every model that fits.
        """
        shown = self.ranking[:limit] if limit is not None else self.ranking
        return {
            "model": self.id,
            "estimated_cost": f"{self.estimated_cost.normalize():f}",
            "worst_case_cost": f"{self.worst_case_cost.normalize():f}",
            "fitting": len(self.ranking),
            "candidates": [c.to_dict() for c in shown],
        }

    def fallback_models(self, count: int = 2) -> list[str]:
        """The next cheapest models that fit, for ``models=[...]`` (tried in order if this fails).

        Example:
            .. code-block:: python

                best = catalog.cheapest(supports="tools", prompt=text, max_cost="0.01")
                llm = ChatOpenRouter(model=best.id, models=best.fallback_models(2))
        """
        if isinstance(count, bool) or count < 0:
            raise ValueError(f"count must be a non-negative int, got {count!r}")
        return [c.id for c in self.ranking[1 : 1 + count]]


@dataclasses.dataclass(frozen=True, slots=True)
class Task:
    """One request as :func:`cheapest` prices it (build it with :meth:`of`, which checks it).

    Attributes:
        body: The request body's ``messages`` when the prompt was given as text or messages.
        prompt_tokens: The prompt's size: as given, or estimated like the budget guard does.
        output_tokens: The expected output size.
        cached_tokens: Prompt tokens expected to be read from the cache.
        reasoning_tokens: Output tokens expected to be reasoning.
        max_tokens: The output limit the request sends (the worst case counts it).
        described: Whether the prompt was given (then models must have room for it).
    """

    body: Mapping[str, Any]
    prompt_tokens: int
    output_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    max_tokens: int
    described: bool

    @classmethod
    def of(
        cls,
        prompt: Prompt | None,
        input_tokens: int | None,
        output_tokens: int,
        cached_tokens: int,
        reasoning_tokens: int,
        max_tokens: int | None,
    ) -> Task:
        """Check and size a request (the arguments are those of :func:`cheapest`).

        Raises:
            ValueError: Both ``prompt`` and ``input_tokens``, inconsistent counts, or a
                ``max_tokens`` below ``output_tokens``.
            TypeError: A count is not an int, or ``prompt`` has no known shape.
        """
        if prompt is not None and input_tokens is not None:
            raise ValueError("give the prompt (prompt=) or its size (input_tokens=), not both")
        body: dict[str, Any] = {}
        if isinstance(prompt, str):
            body["messages"] = [{"role": "user", "content": prompt}]
        elif isinstance(prompt, Sequence) and prompt:
            messages = [dict(m) for m in prompt if isinstance(m, Mapping)]
            body["messages"] = messages if len(messages) == len(prompt) else None
        if body:
            if body["messages"] is None:
                raise TypeError("prompt messages must be mappings such as {'role', 'content'}")
            tokens = estimate_prompt_tokens(body)
        elif prompt is None:
            tokens = _DEFAULT_INPUT_TOKENS if input_tokens is None else input_tokens
        elif isinstance(prompt, int) and not isinstance(prompt, bool):
            tokens = prompt
        else:
            raise TypeError(f"prompt must be text, chat messages or a token count: {prompt!r}")
        check_token_counts(tokens, output_tokens, cached_tokens, reasoning_tokens, 0)
        limit = output_tokens if max_tokens is None else max_tokens
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < output_tokens:
            raise ValueError(
                f"max_tokens ({max_tokens!r}) must be an int of at least output_tokens "
                f"({output_tokens})"
            )
        return cls(
            body, tokens, output_tokens, cached_tokens, reasoning_tokens, limit, prompt is not None
        )

    @property
    def room(self) -> str:
        """What a model must have room for, in words."""
        return f"hold a {self.prompt_tokens:,}-token prompt and {self.max_tokens:,} output tokens"

    def fits(self, info: ModelInfo) -> bool:
        """Whether the model has room for the prompt and output (unlisted limits fit)."""
        context = info.context_length
        most = info.max_completion_tokens
        return (context is None or context >= self.prompt_tokens + self.max_tokens) and (
            most is None or most >= self.max_tokens
        )

    def price(self, info: ModelInfo) -> Candidate | None:
        """The model's estimate and worst case (``None`` when it lists no token prices)."""
        prices = prices_of(info)
        if prices is None:
            return None
        body = {**self.body, "model": info.id, "max_tokens": self.max_tokens}
        worst = worst_case_cost(body, lambda _: prices, prompt_tokens=self.prompt_tokens)
        if worst is None:
            return None
        estimate = info.pricing.cost(
            self.prompt_tokens, self.output_tokens, self.cached_tokens, self.reasoning_tokens
        )
        return Candidate(info, estimate, worst)


def cheapest(
    index: ModelIndex,
    text: str | None = None,
    *,
    supports: str | Iterable[str] | None = None,
    max_prompt_price: Price | None = None,
    max_completion_price: Price | None = None,
    min_context: int | None = None,
    output: str | None = "text",
    include_free: bool = True,
    input_tokens: int | None = None,
    output_tokens: int = 1000,
    cached_tokens: int = 0,
    reasoning_tokens: int = 0,
    prompt: Prompt | None = None,
    max_tokens: int | None = None,
    max_cost: Price | None = None,
    free: bool = False,
) -> RankedModel:
    """The model that does a task for the least, with every model that fits, ranked.

    The arguments are those of :meth:`ModelCatalog.cheapest
    <openrouter_core.catalog.ModelCatalog.cheapest>`. Models are ranked by the estimated cost
    of one request (ties go to the larger context, then the id); models without listed token
    prices are skipped.

    Raises:
        NoModelMatchesError: Nothing fits; the message says which requirement ruled out the
            last models.
        ValueError: Invalid filters, token counts or limit.
        TypeError: A token count is not an int, or ``prompt`` has no known shape.
    """
    task = Task.of(prompt, input_tokens, output_tokens, cached_tokens, reasoning_tokens, max_tokens)
    limit = price_arg("max_cost", max_cost, unit="USD per request")
    chosen: dict[str, Any] = {
        "supports": supports,
        "max_prompt_price": max_prompt_price,
        "max_completion_price": max_completion_price,
        "min_context": min_context,
        "output": output,
        "include_free": include_free,
        "free": free,
    }
    steps = filters(index, text, **chosen)
    steps.append(("list token prices", lambda m: m.pricing.known))
    if task.described:
        steps.append((task.room, task.fits))
    priced = [
        candidate
        for info in index.models
        if all(keep(info) for _, keep in steps) and (candidate := task.price(info)) is not None
    ]
    ranking = sorted(
        (c for c in priced if limit is None or c.worst_case_cost <= limit),
        key=lambda c: (c.estimated_cost, -(c.model.context_length or 0), c.id),
    )
    if not ranking:
        shown = describe_filters(text=text, **chosen, max_cost=max_cost)
        raise NoModelMatchesError(
            f"no priced model matches {shown}: {_why_none(index, steps, priced, limit)}"
        )
    return RankedModel.of(ranking)


def _why_none(
    index: ModelIndex, steps: list[Step], priced: list[Candidate], limit: Decimal | None
) -> str:
    """Which requirement left no model: how many models were left after each one."""
    left = list(index.models)
    said = [f"of {len(left)} models listed"]
    for words, keep in steps:
        left = [m for m in left if keep(m)]
        said.append(f"{len(left)} {words}")
        if not left:
            return ", ".join(said)
    if limit is not None and priced:
        lowest = min(priced, key=lambda c: (c.worst_case_cost, c.id))
        said.append(
            f"0 can cost at most ${limit.normalize():f} per request in the worst case (the "
            f"lowest is ${lowest.worst_case_cost.normalize():f}, {lowest.id}: raise max_cost, "
            "or lower max_tokens or the prompt)"
        )
    return ", ".join(said)
