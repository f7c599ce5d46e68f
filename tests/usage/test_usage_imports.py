"""Import-time rules for the usage modules and the public names they add."""

from __future__ import annotations

import subprocess
import sys

import langchain_openrouter
import llama_index_openrouter
import openrouter_core


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_the_ledger_and_otel_modules_never_import_a_framework() -> None:
    code = (
        "import sys, openrouter_core.ledger, openrouter_core.budget, openrouter_core.otel\n"
        "import openrouter_core.accounting.otel, openrouter_core.accounting.calls\n"
        "from openrouter_core import track_usage\n"
        "with track_usage(): pass\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('langchain_core', 'langchain', 'llama_index', "
        "'langchain_openrouter', 'llama_index_openrouter'))))"
    )
    assert _run(code) == ""


def test_track_usage_and_the_accounting_package_need_neither_the_sdk_nor_the_transport() -> None:
    code = (
        "import sys\n"
        "from openrouter_core.accounting import CallBook, UsageLedger, track_usage\n"
        "with track_usage(max_cost=1) as ledger: pass\n"
        "CallBook('test', lambda: [ledger])\n"
        "print('openai' in sys.modules, 'openrouter_core.transport' in sys.modules)"
    )
    assert _run(code) == "False False"


def test_the_old_module_paths_name_the_same_objects() -> None:
    from openrouter_core import accounting, budget, ledger, otel
    from openrouter_core.accounting import budget as accounting_budget
    from openrouter_core.accounting import otel as accounting_otel

    for name in ledger.__all__:
        assert getattr(ledger, name) is getattr(accounting, name), name
    assert budget.BudgetExceededError is accounting_budget.BudgetExceededError
    assert accounting.BudgetExceededError is budget.BudgetExceededError
    for name in otel.__all__:
        assert getattr(otel, name) is getattr(accounting_otel, name), name


def test_the_handlers_and_the_ledger_do_not_import_the_openai_sdk() -> None:
    # langsmith (under langchain_core's chat models) may import opentelemetry itself when it is
    # installed; what matters is that our packages add neither the SDK nor our exporter.
    code = (
        "import sys, langchain_core.language_models.chat_models, llama_index.core.llms\n"
        "otel_before = 'opentelemetry' in sys.modules\n"
        "import openrouter_core.ledger, langchain_openrouter, llama_index_openrouter\n"
        "from langchain_openrouter import OpenRouterUsageCallbackHandler\n"
        "from llama_index_openrouter import OpenRouterUsageEventHandler\n"
        "OpenRouterUsageCallbackHandler(); OpenRouterUsageEventHandler()\n"
        "print('openai' in sys.modules, ('opentelemetry' in sys.modules) == otel_before,"
        " 'openrouter_core.otel' in sys.modules)"
    )
    assert _run(code) == "False True False"


def test_public_names() -> None:
    from openrouter_core.accounting import UsageLedger, UsageRecord, track_usage
    from openrouter_core.budget import BudgetExceededError

    assert openrouter_core.track_usage is track_usage
    assert openrouter_core.UsageLedger is UsageLedger
    assert openrouter_core.UsageRecord is UsageRecord
    assert openrouter_core.BudgetExceededError is BudgetExceededError
    assert {"track_usage", "UsageLedger", "UsageRecord", "BudgetExceededError"} <= set(
        openrouter_core.__all__
    )
    assert {"OpenRouterUsageCallbackHandler", "get_openrouter_callback"} <= set(
        langchain_openrouter.__all__
    )
    assert {
        "OpenRouterUsageEventHandler",
        "attach_usage_handler",
        "detach_usage_handler",
        "get_openrouter_usage_handler",
    } <= set(llama_index_openrouter.__all__)
