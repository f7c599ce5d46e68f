"""``python -m openrouter_core``: browse the model catalog, price a call, check the key.

Commands::

    python -m openrouter_core models [TEXT] [--supports tools] [--max-price X] [--free]
                                     [--min-context N] [--sort price|context|name|id]
    python -m openrouter_core cheapest [TEXT] [--supports tools] [--prompt TEXT | --file PATH]
                                       [--output M] [--max-cost USD] [--free]
    python -m openrouter_core cost MODEL (--input N | --prompt TEXT | --file PATH) --output M
                                   [--cached N] [--reasoning N]
    python -m openrouter_core endpoints MODEL
    python -m openrouter_core key

Every command takes ``--json`` (OpenRouter's own objects for ``models``, ``endpoints`` and
``key``; the computed costs, as exact decimal strings in USD, for ``cost`` and ``cheapest``).
Prices on the command line and in tables are USD per million tokens; ``--max-cost`` is USD per
request. ``OPENROUTER_BASE_URL``, ``OPENROUTER_API_KEY`` (``key`` only) and
``OPENROUTER_CACHE_DIR`` are honoured. Run bare, it prints its help. Errors print one
``error:`` line on stderr; the exit code is 1 for a failed lookup or request and 2 for bad
arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from openrouter_core._version import __version__

if TYPE_CHECKING:
    from openrouter_core.catalog import ModelCatalog, ModelInfo, ModelPricing, RankedModel

__all__ = ["main"]

_MILLION = Decimal(1_000_000)
_CAPABILITY_COLUMN = (
    ("tools", "tools"),
    ("structured_outputs", "json"),
    ("reasoning", "reasoning"),
    ("vision", "vision"),
    ("pdf", "pdf"),
    ("audio", "audio"),
    ("video", "video"),
    ("embeddings", "embeddings"),
)

_ENDPOINT_HEADERS = (
    "PROVIDER", "TAG", "CONTEXT", "$/M IN", "$/M OUT", "UPTIME 30M", "LATENCY P50", "TOK/S P50",
    "QUANT",
)  # fmt: skip


class _UsageError(Exception):
    """Bad command-line input (exit code 2)."""


# --------------------------------------------------------------------------------------------
# Formatting (pure)
# --------------------------------------------------------------------------------------------


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros (``Decimal("7.50E-4")`` -> ``"0.00075"``)."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def _per_million(price: Decimal | None) -> str:
    """USD per token -> USD per million tokens, at least two decimals (``None`` -> ``"varies"``)."""
    if price is None:
        return "varies"
    text = _plain(price * _MILLION)
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def _count(value: int | None) -> str:
    return f"{value:,}" if value is not None else "-"


def _capabilities(info: ModelInfo) -> str:
    return ",".join(label for name, label in _CAPABILITY_COLUMN if info.supports(name))


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """Align columns: text left, the column indexes in ``right`` right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


def models_table(models: Sequence[ModelInfo]) -> str:
    """The ``models`` command's table."""
    rows = [
        [
            m.id,
            _count(m.context_length),
            _count(m.max_completion_tokens),
            _per_million(m.pricing.prompt),
            _per_million(m.pricing.completion),
            _capabilities(m),
        ]
        for m in models
    ]
    headers = ["MODEL", "CONTEXT", "MAX OUT", "$/M IN", "$/M OUT", "CAPABILITIES"]
    return format_table(headers, rows, right={1, 2, 3, 4})


def cheapest_table(best: RankedModel, limit: int | None) -> str:
    """The ``cheapest`` command's table: the models that fit, cheapest first."""
    shown = best.ranking[:limit] if limit is not None else best.ranking
    rows = [
        [
            c.id,
            _count(c.model.context_length),
            _per_million(c.model.pricing.prompt),
            _per_million(c.model.pricing.completion),
            f"${_plain(c.estimated_cost)}",
            f"${_plain(c.worst_case_cost)}",
        ]
        for c in shown
    ]
    headers = ["MODEL", "CONTEXT", "$/M IN", "$/M OUT", "ESTIMATE", "WORST CASE"]
    table = format_table(headers, rows, right={1, 2, 3, 4, 5})
    more = len(best.ranking) - len(shown)
    return table + (f"\n... and {more} more (--limit)" if more > 0 else "")


def cost_report(
    info: ModelInfo,
    *,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int,
    cache_write_tokens: int,
    reasoning_tokens: int,
    prompt_chars: int | None = None,
) -> str:
    """The ``cost`` command's breakdown, ending with the total.

    ``prompt_chars`` is the length of the prompt ``input_tokens`` was estimated from, if any.
    """
    pricing: ModelPricing = info.pricing
    parts = pricing.cost_parts(
        input_tokens,
        output_tokens,
        cached_tokens,
        reasoning_tokens,
        cache_write_tokens=cache_write_tokens,
    )
    prompt = pricing.prompt or Decimal(0)
    lines = [("model", info.id)]
    if prompt_chars is not None:
        lines.append(
            ("prompt", f"{prompt_chars:,} characters, estimated at {input_tokens:,} tokens")
        )

    def add(label: str, tokens: int, price: Decimal | None, amount: Decimal) -> None:
        lines.append((label, f"{tokens:,} tokens at ${_per_million(price)}/M = ${_plain(amount)}"))

    add("input", input_tokens - cached_tokens - cache_write_tokens, prompt, parts["input"])
    if cached_tokens:
        add("cached", cached_tokens, pricing.input_cache_read or prompt, parts["cache_read"])
    if cache_write_tokens:
        add(
            "cache write",
            cache_write_tokens,
            pricing.input_cache_write or prompt,
            parts["cache_write"],
        )
    # Same rule as ModelPricing.cost_parts: reasoning has its own line only when priced apart.
    separate = pricing.internal_reasoning is not None and pricing.internal_reasoning > 0
    output_billed = output_tokens - (reasoning_tokens if separate else 0)
    add("output", output_billed, pricing.completion, parts["output"])
    if separate and reasoning_tokens:
        add("reasoning", reasoning_tokens, pricing.internal_reasoning, parts["reasoning"])
    if parts["request"]:
        lines.append(("request", f"${_plain(parts['request'])}"))
    total = sum(parts.values(), Decimal(0))
    lines.append(("total", f"${_plain(total)}"))
    width = max(len(label) for label, _ in lines)
    return "\n".join(f"{label.ljust(width)}  {text}" for label, text in lines)


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def _price_arg(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a price: {value!r}") from None
    if not number.is_finite() or number < 0:
        raise argparse.ArgumentTypeError(f"a price must be a non-negative number: {value!r}")
    return number


def _tokens_arg(value: str) -> int:
    try:
        number = int(value.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a token count: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"a token count must be >= 0: {value!r}")
    return number


def _catalog(args: argparse.Namespace) -> ModelCatalog:
    from openrouter_core.catalog import ModelCatalog

    return ModelCatalog(
        base_url=args.base_url,
        cache_dir=args.cache_dir,
        timeout=args.timeout,
        max_retries=args.max_retries,
    )


def _per_token(value: Decimal | None) -> Decimal | None:
    return None if value is None else value / _MILLION


def _write_json(out: TextIO, value: Any) -> int:
    out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    return 0


def _search_text(args: argparse.Namespace) -> str | None:
    words = " ".join([*args.text, args.search or ""]).strip()
    return words or None


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    """The catalog filters shared by ``models`` and ``cheapest``."""
    max_in = args.max_input_price if args.max_input_price is not None else args.max_price
    max_out = args.max_output_price if args.max_output_price is not None else args.max_price
    return {
        "supports": args.supports,
        "max_prompt_price": _per_token(max_in),
        "max_completion_price": _per_token(max_out),
        "min_context": args.min_context,
        "include_free": not args.no_free,
        "free": args.free,
    }


def _prompt(args: argparse.Namespace) -> str | None:
    """The text of ``--prompt`` or ``--file`` (``-`` reads standard input), if given."""
    if args.prompt is not None:
        return str(args.prompt)
    if args.file is None:
        return None
    if args.file == "-":
        return sys.stdin.read()
    try:
        return Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _UsageError(f"cannot read {args.file}: {exc}") from exc


def _cmd_models(args: argparse.Namespace, out: TextIO) -> int:
    catalog = _catalog(args)
    if args.refresh:
        catalog.refresh()
    try:
        found = catalog.search(
            _search_text(args), **_filters(args), output=args.output, sort=args.sort
        )
    except ValueError as exc:
        raise _UsageError(str(exc)) from exc
    if args.limit is not None:
        found = found[: args.limit]
    if args.json:
        return _write_json(out, [dict(m.raw) or {"id": m.id} for m in found])
    if not found:
        sys.stderr.write("no models match\n")
        return 1
    out.write(models_table(found) + "\n")
    return 0


def _cmd_cheapest(args: argparse.Namespace, out: TextIO) -> int:
    text = _prompt(args)
    task: dict[str, Any] = {
        "prompt": text if text is not None else args.input,
        "output_tokens": args.output,
        "max_tokens": args.max_tokens,
        "max_cost": args.max_cost,
    }
    try:
        best = _catalog(args).cheapest(_search_text(args), **_filters(args), **task)
    except (TypeError, ValueError) as exc:
        raise _UsageError(str(exc)) from exc
    if args.json:
        data = best.to_dict(args.limit)
        return _write_json(out, {**data, "fallback_models": best.fallback_models(2)})
    out.write(cheapest_table(best, args.limit) + "\n")
    return 0


def _cmd_cost(args: argparse.Namespace, out: TextIO) -> int:
    from openrouter_core.accounting.prices import estimate_prompt_tokens
    from openrouter_core.catalog import PriceUnknownError, check_token_counts

    text = _prompt(args)
    chars = None if text is None else len(text)
    if text is not None:
        input_tokens = estimate_prompt_tokens({"messages": [{"role": "user", "content": text}]})
    else:
        input_tokens = args.input
    try:
        check_token_counts(input_tokens, args.output, args.cached, args.reasoning, args.cache_write)
    except ValueError as exc:
        raise _UsageError(str(exc)) from exc
    info = _catalog(args).get(args.model)
    if not info.pricing.known:
        raise PriceUnknownError(f"{info.id} lists no token prices (its cost depends on routing)")
    counts = {
        "input_tokens": input_tokens,
        "output_tokens": args.output,
        "cached_tokens": args.cached,
        "cache_write_tokens": args.cache_write,
        "reasoning_tokens": args.reasoning,
    }
    if args.json:
        parts = info.pricing.cost_parts(**counts)
        return _write_json(
            out,
            {
                "model": info.id,
                **counts,
                "prompt_characters": chars,
                "parts": {k: _plain(v) for k, v in parts.items()},
                "total": _plain(sum(parts.values(), Decimal(0))),
            },
        )
    out.write(cost_report(info, **counts, prompt_chars=chars) + "\n")
    return 0


def _cmd_endpoints(args: argparse.Namespace, out: TextIO) -> int:
    result = _catalog(args).endpoints(args.model)
    if args.json:
        return _write_json(out, dict(result.raw))
    rows = []
    for e in result.endpoints:
        latency = (e.latency_last_30m or {}).get("p50")
        throughput = (e.throughput_last_30m or {}).get("p50")
        rows.append(
            [
                e.provider_name,
                e.tag or "-",
                _count(e.context_length),
                _per_million(e.pricing.prompt),
                _per_million(e.pricing.completion),
                f"{e.uptime_last_30m:.1f}%" if e.uptime_last_30m is not None else "-",
                f"{latency:g}" if latency is not None else "-",
                f"{throughput:g}" if throughput is not None else "-",
                e.quantization or "-",
            ]
        )
    out.write(f"{result.id} ({result.name})\n")
    out.write(format_table(_ENDPOINT_HEADERS, rows, right={2, 3, 4, 5, 6, 7}) + "\n")
    return 0


def _cmd_key(args: argparse.Namespace, out: TextIO) -> int:
    from openrouter_core.account import OpenRouterAccount

    info = OpenRouterAccount(
        base_url=args.base_url, timeout=args.timeout, max_retries=args.max_retries
    ).key_info()
    if args.json:
        return _write_json(out, dict(info.raw))

    def money(value: Decimal | None, none: str = "-") -> str:
        return f"${_plain(value)}" if value is not None else none

    lines = [
        ("label", info.label or "-"),
        ("limit", money(info.limit, "unlimited")),
        ("remaining", money(info.limit_remaining, "unlimited")),
        ("usage", money(info.usage)),
        ("usage today", money(info.usage_daily)),
        ("usage this month", money(info.usage_monthly)),
        ("free tier", {True: "yes", False: "no", None: "-"}[info.is_free_tier]),
    ]
    width = max(len(label) for label, _ in lines)
    out.write("\n".join(f"{label.ljust(width)}  {text}" for label, text in lines) + "\n")
    return 0


# --------------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------------


def _capability_help() -> str:
    from openrouter_core.catalog import CAPABILITIES, CAPABILITY_ALIASES

    aliases: dict[str, list[str]] = {}
    for alias, name in CAPABILITY_ALIASES.items():
        aliases.setdefault(name, []).append(alias)
    names = [
        f"{name} (or {', '.join(aliases[name])})" if name in aliases else name
        for name in CAPABILITIES
    ]
    return (
        f"required capability: {', '.join(names)}; or any request parameter a model lists "
        "(seed, logprobs...); repeat or comma-separate for several"
    )


def _add_filters(parser: argparse.ArgumentParser, *, limit: int | None) -> None:
    """The filters ``models`` and ``cheapest`` share (``limit``: rows shown by default)."""
    parser.add_argument("text", nargs="*", metavar="TEXT", help="words in the id or name")
    parser.add_argument("--supports", action="append", metavar="CAP", help=_capability_help())
    parser.add_argument(
        "--max-price",
        type=_price_arg,
        metavar="X",
        help="highest input and output price, USD per million tokens",
    )
    parser.add_argument("--max-input-price", type=_price_arg, metavar="X")
    parser.add_argument("--max-output-price", type=_price_arg, metavar="X")
    parser.add_argument(
        "--min-context", type=_tokens_arg, metavar="N", help="smallest context window, tokens"
    )
    free = parser.add_mutually_exclusive_group()
    free.add_argument("--free", action="store_true", help="only models that cost nothing to call")
    free.add_argument("--no-free", action="store_true", help="leave out free models")
    parser.add_argument(
        "--limit",
        type=_tokens_arg,
        default=limit,
        metavar="N",
        help="show at most N rows" + (f" (default {limit})" if limit else ""),
    )


def _add_prompt(parser: argparse.ArgumentParser, *, tokens_help: str, required: bool) -> None:
    """``--input N``, ``--prompt TEXT`` or ``--file PATH``: the prompt, as tokens or text."""
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--input", type=_tokens_arg, metavar="N", help=tokens_help)
    group.add_argument(
        "--prompt",
        metavar="TEXT",
        help="the prompt's text; its tokens are estimated generously, as the budget guard does",
    )
    group.add_argument(
        "--file", metavar="PATH", help="read the prompt's text from a file ('-': standard input)"
    )


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--base-url", help="API root (default: $OPENROUTER_BASE_URL or the public API)"
    )
    common.add_argument(
        "--cache-dir", help="catalog cache directory (default: $OPENROUTER_CACHE_DIR or the user's)"
    )
    common.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="per request (default 30)"
    )
    common.add_argument(
        "--max-retries",
        type=_tokens_arg,
        default=2,
        metavar="N",
        help="retries on connection errors, 429 and 5xx (default 2)",
    )
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser = argparse.ArgumentParser(
        prog="python -m openrouter_core",
        description="Browse OpenRouter's models and prices, find the cheapest model for a task, "
        "estimate costs, check your key.",
        epilog="Run 'python -m openrouter_core COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"openrouter_core {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    models = commands.add_parser("models", parents=[common], help="list and filter models")
    _add_filters(models, limit=None)
    models.add_argument("--search", metavar="TEXT", help="words in the id or name")
    models.add_argument(
        "--output",
        default="text",
        metavar="MODALITY",
        help="output modality: text (default), embeddings, image, or all",
    )
    models.add_argument(
        "--sort", choices=["price", "context", "name", "id"], default="id", help="row order"
    )
    models.add_argument("--refresh", action="store_true", help="refetch the catalog now")
    models.set_defaults(run=_cmd_models)

    cheapest = commands.add_parser(
        "cheapest",
        parents=[common],
        help="the cheapest models for a task, within a per-request limit",
        description="Rank the models that can do a task by the estimated cost of one request; "
        "--max-cost keeps those whose worst case (prompt plus --max-tokens output, as the "
        "budget guard of track_usage(max_cost=...) computes it) stays within the limit.",
    )
    _add_filters(cheapest, limit=10)
    _add_prompt(cheapest, tokens_help="the prompt's size in tokens (default 3,000)", required=False)
    cheapest.add_argument(
        "--output",
        type=_tokens_arg,
        default=1000,
        metavar="M",
        help="expected output tokens (default 1,000)",
    )
    cheapest.add_argument(
        "--max-tokens",
        type=_tokens_arg,
        metavar="N",
        help="the output limit the request sends (default: --output)",
    )
    cheapest.add_argument(
        "--max-cost",
        type=_price_arg,
        metavar="USD",
        help="the most one request may cost in the worst case, USD",
    )
    cheapest.set_defaults(run=_cmd_cheapest, search=None)

    cost = commands.add_parser("cost", parents=[common], help="estimate what a call costs")
    cost.add_argument("model", help="model id or bare name, e.g. gpt-4o-mini")
    _add_prompt(cost, tokens_help="prompt tokens", required=True)
    cost.add_argument("--output", type=_tokens_arg, required=True, metavar="M")
    cost.add_argument("--cached", type=_tokens_arg, default=0, metavar="N", help="of the input")
    cost.add_argument("--cache-write", type=_tokens_arg, default=0, metavar="N")
    cost.add_argument("--reasoning", type=_tokens_arg, default=0, metavar="N", help="of the output")
    cost.set_defaults(run=_cmd_cost)

    endpoints = commands.add_parser(
        "endpoints", parents=[common], help="providers serving a model, with live stats"
    )
    endpoints.add_argument("model")
    endpoints.set_defaults(run=_cmd_endpoints)

    key = commands.add_parser("key", parents=[common], help="the API key's credit and usage")
    key.set_defaults(run=_cmd_key)
    return parser


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (bare, it prints the help)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stdout)
        return 0
    run: Callable[[argparse.Namespace, TextIO], int] = args.run
    from openrouter_core.catalog import CatalogError
    from openrouter_core.errors import OpenRouterError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = run(args, sys.stdout)
        except _UsageError as exc:
            sys.stderr.write(f"error: {_one_line(exc)}\n")
            code = 2
        except (CatalogError, OpenRouterError, ValueError) as exc:
            sys.stderr.write(f"error: {_one_line(exc)}\n")
            code = 1
        except KeyboardInterrupt:
            code = 130
    for warning in caught:
        sys.stderr.write(f"warning: {_one_line(Exception(warning.message))}\n")
    return code
