"""Questions asked of one list of models: look an id up, search it (pure).

:class:`ModelIndex` indexes a list of :class:`~openrouter_core.catalog.ModelInfo` by id,
canonical slug and bare name; :func:`resolve` and :func:`search` answer from it without any
I/O, so the catalog's rules for ids, variants, filters and orders can be read (and tested)
apart from fetching and caching. :func:`filters` gives each filter in words, so
:mod:`~openrouter_core.catalog.ranking` can say which one left no model.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Literal

from openrouter_core.catalog.errors import (
    AmbiguousModelError,
    ModelNotListedError,
)
from openrouter_core.catalog.info import CAPABILITIES, CAPABILITY_ALIASES, ModelInfo
from openrouter_core.usage import to_decimal

__all__ = [
    "SORTS",
    "ModelIndex",
    "Price",
    "Sort",
    "Step",
    "check_sort",
    "describe_filters",
    "filters",
    "price_arg",
    "resolve",
    "search",
]

SORTS = ("id", "name", "price", "context")
"""The orders :func:`search` accepts."""

Sort = Literal["id", "name", "price", "context"]
Price = Decimal | float | int | str


@dataclasses.dataclass(frozen=True)
class ModelIndex:
    """A list of models with the lookup tables :func:`resolve` needs (build it with :meth:`of`).

    Attributes:
        models: The models, in the order given.
        by_id: Exact id to model.
        by_key: Lower-cased id or canonical slug to model (a base entry wins over a variant).
        by_bare: Lower-cased name without its author (``"gpt-4o-mini"``) to the base ids that
            carry it, sorted.
        parameters: Every request parameter some model supports.
    """

    models: tuple[ModelInfo, ...]
    by_id: Mapping[str, ModelInfo]
    by_key: Mapping[str, ModelInfo]
    by_bare: Mapping[str, tuple[str, ...]]
    parameters: frozenset[str]

    @classmethod
    def of(cls, models: Iterable[ModelInfo]) -> ModelIndex:
        """Index the models."""
        listed = tuple(models)
        by_key: dict[str, ModelInfo] = {}
        bare: dict[str, list[str]] = {}
        # Base entries first, so a canonical slug shared with a ":free" variant names the base.
        for info in sorted(listed, key=lambda m: m.variant is not None):
            by_key.setdefault(info.id.lower(), info)
            if info.canonical_slug:
                by_key.setdefault(info.canonical_slug.lower(), info)
            # Bare names map to base ids; a variant listed without its base (a model offered
            # only as ":free") still gives its bare name, resolved with the variant suffix.
            names = {_slug(info.base_id).lower()}
            if info.canonical_slug:
                names.add(_slug(info.canonical_slug).lower())
            for name in names:
                ids = bare.setdefault(name, [])
                if info.base_id not in ids:
                    ids.append(info.base_id)
        return cls(
            models=listed,
            by_id={m.id: m for m in listed},
            by_key=by_key,
            by_bare={name: tuple(sorted(ids)) for name, ids in bare.items()},
            parameters=frozenset(p for m in listed for p in m.supported_parameters),
        )


def _slug(model_id: str) -> str:
    return model_id.split("/", 1)[1] if "/" in model_id else model_id


# --------------------------------------------------------------------------------------------
# Lookup
# --------------------------------------------------------------------------------------------


def resolve(index: ModelIndex, model_id: str) -> ModelInfo:
    """Find a model by id, canonical slug, variant (``:free``...) or bare name.

    An unlisted variant of a listed model resolves to the base model (``:free`` included: one
    that is not listed is not known to be free); a bare name resolves to its one
    ``author/slug``.

    Raises:
        AmbiguousModelError: A bare name matches several models.
        ModelNotListedError: No model matches (``candidates`` holds close matches).
        ValueError: ``model_id`` is empty or not a string.
    """
    if not isinstance(model_id, str) or not model_id.strip():
        raise ValueError(f"model id must be a non-empty string, got {model_id!r}")
    key = model_id.strip()
    found = index.by_id.get(key) or index.by_key.get(key.lower())
    if found is not None:
        return found
    base, sep, variant = key.partition(":")
    if "/" not in base:
        ids = index.by_bare.get(base.lower(), ())
        if len(ids) == 1:
            return resolve(index, ids[0] + sep + variant)
        if len(ids) > 1:
            options = [i + sep + variant for i in ids]
            raise AmbiguousModelError(
                f"{model_id!r} matches several models: {', '.join(options)}; "
                "use the full 'author/slug' id",
                model_id=model_id,
                candidates=options,
            )
    elif sep:
        parent = index.by_id.get(base) or index.by_key.get(base.lower())
        if parent is not None:
            exact = index.by_id.get(f"{parent.id}:{variant}")
            if exact is not None:
                return exact
            # An unlisted variant is priced as its base, ``:free`` included: a free variant is
            # a model of its own in the catalog, and one that is not listed is not known to be
            # free (pricing it at zero would let the budget guard reserve nothing).
            return parent
    lowered = key.lower()
    close = [m.id for m in index.models if lowered in m.id.lower()][:5]
    if not close:
        close = difflib.get_close_matches(lowered, list(index.by_key), n=5, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ModelNotListedError(
        f"no model {model_id!r} in the OpenRouter catalog{hint}",
        model_id=model_id,
        candidates=close,
    )


# --------------------------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------------------------

Step = tuple[str, Callable[[ModelInfo], bool]]
"""One filter: what a model must do (in words, for "why none fits") and the check."""


def check_sort(sort: str) -> None:
    """Reject a sort order :func:`search` does not know.

    Raises:
        ValueError: ``sort`` is not one of :data:`SORTS`.
    """
    if sort not in SORTS:
        raise ValueError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")


def search(
    index: ModelIndex,
    text: str | None = None,
    *,
    supports: str | Iterable[str] | None = None,
    max_prompt_price: Price | None = None,
    max_completion_price: Price | None = None,
    min_context: int | None = None,
    output: str | None = "text",
    include_free: bool = True,
    free: bool = False,
    sort: Sort = "id",
) -> list[ModelInfo]:
    """The models matching every given filter, in the given order.

    The filters and orders are those of :meth:`ModelCatalog.search
    <openrouter_core.catalog.ModelCatalog.search>`.

    Raises:
        ValueError: An unknown capability or sort, a negative price or context, or
            ``free=True`` with ``include_free=False``.
    """
    check_sort(sort)
    steps = filters(
        index,
        text,
        supports=supports,
        max_prompt_price=max_prompt_price,
        max_completion_price=max_completion_price,
        min_context=min_context,
        output=output,
        include_free=include_free,
        free=free,
    )
    found = [info for info in index.models if all(keep(info) for _, keep in steps)]
    return sorted(found, key=_sort_key(sort))


def filters(
    index: ModelIndex,
    text: str | None,
    *,
    supports: str | Iterable[str] | None,
    max_prompt_price: Price | None,
    max_completion_price: Price | None,
    min_context: int | None,
    output: str | None,
    include_free: bool,
    free: bool,
) -> list[Step]:
    """The filters of :func:`search`, checked, each with what it asks of a model in words.

    Raises:
        ValueError: As :func:`search`.
    """
    wanted = _capabilities(supports, index.parameters)
    max_prompt = price_arg("max_prompt_price", max_prompt_price)
    max_completion = price_arg("max_completion_price", max_completion_price)
    if min_context is not None and (isinstance(min_context, bool) or min_context < 0):
        raise ValueError(f"min_context must be a non-negative int, got {min_context!r}")
    if free and not include_free:
        raise ValueError("free=True keeps only free models; include_free=False leaves them out")
    steps: list[Step] = []
    if output and output != "all":
        steps.append((f"produce {output}", lambda m: output in (m.output_modalities or ("text",))))
    words = text.lower().split() if text else []
    if words:
        steps.append(
            (
                f"match {text!r}",
                lambda m: all(
                    w in f"{m.id} {m.name} {m.canonical_slug or ''}".lower() for w in words
                ),
            )
        )
    steps.extend((f"support {name}", _supporting(name)) for name in wanted)
    if max_prompt is not None:
        steps.append(
            (
                f"charge at most {max_prompt} per input token",
                lambda m: m.pricing.prompt is not None and m.pricing.prompt <= max_prompt,
            )
        )
    if max_completion is not None:
        steps.append(
            (
                f"charge at most {max_completion} per output token",
                lambda m: (
                    m.pricing.completion is not None and m.pricing.completion <= max_completion
                ),
            )
        )
    if min_context is not None:
        steps.append(
            (
                f"have a {min_context:,}-token context",
                lambda m: (m.context_length or 0) >= min_context,
            )
        )
    if free:
        steps.append(("are free", lambda m: m.is_free))
    elif not include_free:
        steps.append(("are not free", lambda m: not m.is_free))
    return steps


def _supporting(capability: str) -> Callable[[ModelInfo], bool]:
    return lambda info: info.supports(capability)


def price_arg(name: str, value: Price | None, *, unit: str = "USD per token") -> Decimal | None:
    """A price argument as a ``Decimal`` (``None`` stays ``None``).

    Raises:
        ValueError: It is negative or not a number.
    """
    if value is None:
        return None
    number = to_decimal(value)
    if number is None or number < 0:
        raise ValueError(f"{name} must be a non-negative number ({unit}), got {value!r}")
    return number


def _capabilities(supports: str | Iterable[str] | None, known: frozenset[str]) -> list[str]:
    if supports is None:
        return []
    names = [supports] if isinstance(supports, str) else list(supports)
    wanted: list[str] = []
    for raw in names:
        for part in str(raw).split(","):
            name = part.strip()
            if not name:
                continue
            if name not in CAPABILITIES and name not in CAPABILITY_ALIASES and name not in known:
                choices = ", ".join(CAPABILITIES)
                raise ValueError(
                    f"unknown capability {name!r}; use one of {choices}, or a request parameter "
                    "some model supports (e.g. 'seed')"
                )
            wanted.append(name)
    return wanted


def _sort_key(sort: str) -> Callable[[ModelInfo], Any]:
    if sort == "price":
        return lambda m: (
            not m.pricing.known,
            m.pricing.prompt or 0,
            m.pricing.completion or 0,
            m.id,
        )
    if sort == "context":
        return lambda m: (-(m.context_length or 0), m.id)
    if sort == "name":
        return lambda m: (m.name.lower(), m.id)
    return lambda m: m.id


def describe_filters(**filters: Any) -> str:
    """The filters that were set, as ``(name=value, ...)`` for error messages."""
    defaults = {"output": "text", "include_free": True, "free": False}
    shown = [
        f"{k}={str(v)!r}" if isinstance(v, Decimal) else f"{k}={v!r}"
        for k, v in filters.items()
        if v is not None and not (k in defaults and v == defaults[k])
    ]
    return "(" + ", ".join(shown) + ")" if shown else "(no filters)"
