"""The error the budget guard of :func:`~openrouter_core.accounting.tracking.track_usage` raises.

It lives in a module of its own because it subclasses
:class:`~openrouter_core.errors.OpenRouterError`, which imports the ``openai`` SDK: the rest of
:mod:`openrouter_core.accounting` stays importable without it, and loads this module only when
a request is refused.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openrouter_core.errors import OpenRouterError

__all__ = ["BudgetExceededError"]


def _usd(value: Decimal) -> str:
    return f"${format(value, 'f')}"


class BudgetExceededError(OpenRouterError):
    """A request was not sent because it would take spend past ``track_usage(max_cost=...)``.

    Raised before anything is sent, so nothing was billed for it.

    Attributes:
        spent: Spend of the ledger when the request was refused (USD), including the worst
            case held by calls still in flight.
        limit: The ``max_cost`` of the block (USD).
        worst_case: The most the refused request could have cost, when its prices were known.
    """

    hint = "Raise max_cost, lower max_tokens, or pick a cheaper model."

    def __init__(
        self,
        *,
        spent: Decimal,
        limit: Decimal,
        model: str | None,
        worst_case: Decimal | None = None,
        **kwargs: Any,
    ) -> None:
        self.spent = spent
        self.limit = limit
        self.worst_case = worst_case
        target = f"model {model!r}" if model else "the default model"
        if spent >= limit:
            reason = f"spend so far {_usd(spent)} has reached the limit of {_usd(limit)}"
        else:
            reason = (
                f"it could cost up to {_usd(worst_case or Decimal(0))}, which would take spend "
                f"from {_usd(spent)} past the limit of {_usd(limit)}"
            )
        super().__init__(
            f"budget exceeded: the request to {target} was not sent; {reason}",
            model=model,
            **kwargs,
        )

    def _describe(self) -> str:
        return f"{self.message.rstrip('.')}. {self.hint}"
