"""Compatibility: ``BudgetExceededError`` under its old module; this module only re-exports.

The error lives in :mod:`openrouter_core.accounting.budget`. Importing this module imports the
``openai`` SDK (the error subclasses its errors), as before.
"""

from openrouter_core.accounting.budget import BudgetExceededError

__all__ = ["BudgetExceededError"]
