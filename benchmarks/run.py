"""`make bench`: client cost of each integration, as ratios to the bare openai SDK in one run.

How it measures:

- The server (``benchmarks/server.py``) runs in its own process pinned to one core and the
  clients run here pinned to the other, so the client CPU time is what gets measured.
- Every client's answer (sync and async, plain and streamed, short and long) is checked before
  anything is timed, and the answers of every concurrent burst are checked too.
- Clients are interleaved round-robin in one process, so drift on the machine (other
  processes, CPU frequency) affects all of them alike; the order rotates every round, so no
  client always runs first or always follows the same neighbour. A full garbage collection
  runs before each timed segment, so no client is charged for the garbage the previous one
  left; each still pays for every collection its own allocations trigger.
- The model catalog is not prefetched (the bench server has no ``/models``), so no background
  download runs during the timings.
- A streamed chunk costs ``(CPU of a long stream - CPU of a short one) / extra chunks``, which
  removes the per-request cost from the per-chunk figure.
- Results are medians and p95s over the rounds, with ratios to the bare ``openai`` SDK
  (``openai.OpenAI`` for sync measures, ``openai.AsyncOpenAI`` for async ones) measured in the
  same run.
- Memory per in-flight stream: many async streams are opened at once on one event loop, each
  reads its first chunk and waits; the Python heap they hold then (``tracemalloc``), divided by
  their number, is the figure. Every stream is then read to the end and its text checked.
- Import cost is measured in fresh interpreters as the time to import the integration's model
  class after its framework's own chat-model base class is already imported (the "framework
  alone" baseline, which every user of that framework's chat models pays anyway):
  ``langchain_core.language_models.chat_models.BaseChatModel`` for ``ChatOpenRouter`` and
  ``ChatOpenAI``, ``llama_index.core.llms.function_calling.FunctionCallingLLM`` (with the LLM
  base classes it imports) for the LlamaIndex ``OpenRouter``. The baseline's own time is
  reported for reference, and so is whether importing the class pulled in the ``openai`` SDK.
  Bytecode is cached (one untimed import first), as it is for a package installed with pip.

Results print as a table and, unless ``--quick``, are written to ``benchmarks/RESULTS.md``.
Timings are facts about one machine on one day, never test assertions; ``--quick`` only proves
the harness works.

Usage: ``python -m benchmarks.run [--quick] [--out PATH]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.clients import MODEL, SDK, Adapter, BareSDK, LlamaIndexAdapter, available
from benchmarks.server import WORD

HERE = Path(__file__).resolve().parent
CALL_CHUNKS = 20
OURS = ("ChatOpenRouter", "OpenRouter (LlamaIndex)")


@dataclass
class Plan:
    rounds: int
    calls: int
    small: int
    big: int
    streams: int
    concurrent: int
    concurrent_rounds: int
    constructs: int
    memory_calls: int
    held_streams: int
    held_rounds: int
    imports: int


FULL = Plan(
    rounds=21,
    calls=40,
    small=10,
    big=210,
    streams=4,
    concurrent=500,
    concurrent_rounds=15,
    constructs=300,
    memory_calls=2000,
    held_streams=500,
    held_rounds=3,
    imports=7,
)
QUICK = Plan(
    rounds=2,
    calls=5,
    small=5,
    big=45,
    streams=1,
    concurrent=50,
    concurrent_rounds=1,
    constructs=20,
    memory_calls=60,
    held_streams=50,
    held_rounds=1,
    imports=1,
)

CALL_SYNC = "call CPU, sync (ms/call)"
CALL_ASYNC = "call CPU, async (ms/call)"
STREAM_SYNC = "stream CPU, sync (us/chunk)"
STREAM_ASYNC = "stream CPU, async (us/chunk)"
CONCURRENT = "500 concurrent async calls (s)"
IMPORT = "import over framework (ms)"
FRAMEWORK = "framework alone, import (ms)"
CONSTRUCT = "second instance (ms)"
MEMORY = "memory growth over calls (MB)"
STREAM_MEMORY = "memory per in-flight stream (KB)"

Check = Callable[[float, "float | None"], bool]
# measure -> (target description, check on (median, ratio to the SDK)); None: for reference
TARGETS: dict[str, tuple[str, Check | None]] = {
    CALL_SYNC: ("<= 1.0x SDK", lambda v, r: r is not None and r <= 1.0),
    CALL_ASYNC: ("<= 1.0x SDK", lambda v, r: r is not None and r <= 1.0),
    STREAM_SYNC: ("<= 0.75x SDK", lambda v, r: r is not None and r <= 0.75),
    STREAM_ASYNC: ("<= 0.75x SDK", lambda v, r: r is not None and r <= 0.75),
    CONCURRENT: ("<= 1.0x SDK", lambda v, r: r is not None and r <= 1.0),
    IMPORT: ("<= +150 ms", lambda v, r: v <= 150),
    FRAMEWORK: ("(reference)", None),
    CONSTRUCT: ("<= 0.5 ms", lambda v, r: v <= 0.5),
    MEMORY: ("<= 1 MB", lambda v, r: v <= 1.0),
    STREAM_MEMORY: ("(reference)", None),
}
# The import statement timed for each client, after its framework baseline.
IMPORTS = {
    "ChatOpenRouter": "from langchain_openrouter import ChatOpenRouter",
    "OpenRouter (LlamaIndex)": "from llama_index_openrouter import OpenRouter",
    "ChatOpenAI": "from langchain_openai import ChatOpenAI",
}


METHOD = """\
## Method

- The server (`benchmarks/server.py`) answers every request with the same OpenRouter-shaped
  reply (JSON, or an SSE stream with `provider`, `native_finish_reason` and a final `usage`
  chunk with `cost`). It runs in its own process, pinned to core 1 where the system allows;
  the clients run in one process (pinned to core 0), so client CPU time is what is measured.
- Every client's answers (sync and async, plain and streamed, short and long) are checked
  before anything is timed; the answers of every concurrent burst are checked too.
- Clients are interleaved round-robin, the order rotating every round; a full garbage
  collection runs before each timed segment, so no client pays for the garbage of the one
  before it.
- call CPU: process CPU time per sequential non-streaming call (`invoke`/`ainvoke`,
  `chat`/`achat`, `chat.completions.create`). stream CPU: CPU of a {big}-chunk stream minus that
  of a {small}-chunk one, per extra chunk. 500 concurrent: wall time of `asyncio.gather` over
  {concurrent} async calls on one event loop, after a warm-up burst.
- import: a fresh interpreter imports the framework's chat-model base class first (what every
  user of that framework's chat models imports anyway), then our class; the second import is
  timed. Baselines: `from langchain_core.language_models.chat_models import BaseChatModel` for
  `ChatOpenRouter` and `ChatOpenAI`, `from llama_index.core.llms.function_calling import
  FunctionCallingLLM` (it brings the LLM base classes) for `OpenRouter`. Bytecode is cached, as
  for a package installed with pip. The baseline's own time is reported for reference.
- second instance: time to construct the model again, nothing sent. memory: growth over
  {memory_calls} sequential calls after {warmup} warm-up calls, after a collection: the larger of
  resident memory growth and the Python heap still allocated (tracemalloc, started after the
  warm-up).
- memory per in-flight stream: {held_streams} async streams ({chunks} chunks each) opened at once
  on one event loop, each reading its first chunk and then waiting until all have; the Python
  heap allocated meanwhile (tracemalloc, after a collection) divided by {held_streams}, after one
  untimed burst. The streams are then read to the end and every text is checked.
- The model catalog is not prefetched (the bench server has no `/models`).
"""


@dataclass
class Series:
    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, client: str, value: float) -> None:
        self.samples.setdefault(client, []).append(value)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def _can_pin() -> bool:
    return hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.server", *(["--cpu", "1"] if _can_pin() else [])],
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}/api/v1"


def check(adapters: dict[str, dict[int, Adapter]], loop: asyncio.AbstractEventLoop) -> None:
    """Every client answers every way correctly before anything is timed."""
    for name, by_len in adapters.items():
        for chunks, adapter in by_len.items():
            want = WORD * chunks
            got = {
                "call": adapter.call(),
                "stream": adapter.stream(),
                "acall": loop.run_until_complete(adapter.acall()),
                "astream": loop.run_until_complete(adapter.astream()),
            }
            for kind, text in got.items():
                if text != want:
                    raise SystemExit(
                        f"{name} {kind}({chunks} chunks) answered {text[:60]!r}, "
                        f"expected {want[:60]!r}"
                    )


def _rotated(names: list[str], number: int) -> list[str]:
    """The clients in round ``number``'s order: each goes first in turn (no fixed neighbour)."""
    shift = number % len(names)
    return names[shift:] + names[:shift]


def _cpu(work: Callable[..., object], *args: object) -> float:
    """CPU seconds of ``work(*args)``, after a full collection of what came before."""
    gc.collect()
    start = time.process_time()
    work(*args)
    return time.process_time() - start


def _wall(work: Callable[..., object], *args: object) -> tuple[float, object]:
    """Wall seconds and result of ``work(*args)``, after a full collection."""
    gc.collect()
    start = time.perf_counter()
    result = work(*args)
    return time.perf_counter() - start, result


async def _open_stream(adapter: Adapter) -> tuple[AsyncIterator[Any], Callable[[Any], str]]:
    """An async stream of ``adapter``'s client, not read yet, and how to get a chunk's text."""
    if isinstance(adapter, BareSDK):
        sdk_stream = await adapter.aclient.chat.completions.create(
            model=MODEL, messages=adapter.messages, stream=True
        )
        return aiter(sdk_stream), lambda c: (c.choices and c.choices[0].delta.content) or ""
    if isinstance(adapter, LlamaIndexAdapter):
        return aiter(await adapter.llm.astream_chat(adapter.messages)), lambda r: r.delta or ""
    model = adapter.model  # type: ignore[attr-defined]
    return aiter(model.astream(adapter.messages)), lambda c: str(c.content)


async def _held_stream(adapter: Adapter, opened: Callable[[], None], go: asyncio.Event) -> str:
    """Read the first chunk, report it, wait for ``go``, then read the rest; the whole text."""
    chunks, text = await _open_stream(adapter)
    parts = [text(await anext(chunks))]
    opened()
    await go.wait()
    parts += [text(chunk) async for chunk in chunks]
    return "".join(parts)


def held_stream_kb(adapter: Adapter, count: int, loop: asyncio.AbstractEventLoop) -> float:
    """KB of Python heap per stream while ``count`` streams are open and partly read at once."""

    async def run() -> tuple[int, list[str]]:
        go, all_open = asyncio.Event(), asyncio.Event()
        waiting = count

        def opened() -> None:
            nonlocal waiting
            waiting -= 1
            if not waiting:
                all_open.set()

        gc.collect()
        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            tasks = [asyncio.ensure_future(_held_stream(adapter, opened, go)) for _ in range(count)]
            await asyncio.wait_for(all_open.wait(), 300)
            gc.collect()
            held = tracemalloc.get_traced_memory()[0] - start
        finally:
            tracemalloc.stop()
        go.set()
        return held, await asyncio.gather(*tasks)

    held, texts = loop.run_until_complete(run())
    if texts != [WORD * CALL_CHUNKS] * count:
        raise SystemExit(f"{type(adapter).__name__}: an in-flight stream answered wrongly")
    return held / count / 1e3


def _import_ms(framework: str, statement: str) -> tuple[float, float, bool]:
    """(framework alone, our import over it, whether it imported openai) in a fresh process."""
    code = (
        "import sys, time\n"
        "t0 = time.perf_counter()\n"
        f"{framework}\n"
        "t1 = time.perf_counter()\n"
        f"{statement}\n"
        "t2 = time.perf_counter()\n"
        "print((t1 - t0) * 1000, (t2 - t1) * 1000, 'openai' in sys.modules)\n"
    )
    # Bytecode is written and reused, as for any installed package (pip compiles it at install),
    # even where the environment turns it off (PYTHONDONTWRITEBYTECODE).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE.parent,
        env=env,
    )
    alone, ours, openai_loaded = out.stdout.split()
    return float(alone), float(ours), openai_loaded == "True"


def measure(plan: Plan, quick: bool) -> tuple[dict[str, Series], list[str]]:
    if _can_pin():
        os.sched_setaffinity(0, {0})
    # The bench server has no /models: no background model-catalog download (which a real
    # process does once, then finds on disk) may retry in the middle of the timings.
    os.environ["OPENROUTER_CATALOG_PREFETCH"] = "0"
    server, base_url = start_server()
    loop = asyncio.new_event_loop()
    results: dict[str, Series] = {name: Series() for name in TARGETS}
    notes: list[str] = []
    try:
        found = available()
        adapters = {
            name: {n: factory(base_url, n) for n in (CALL_CHUNKS, plan.small, plan.big)}
            for name, factory, _ in found
        }
        check(adapters, loop)
        names = list(adapters)
        extra = plan.big - plan.small

        def calls(adapter: Adapter) -> None:
            for _ in range(plan.calls):
                adapter.call()

        def acalls(adapter: Adapter) -> None:
            async def run() -> None:
                for _ in range(plan.calls):
                    await adapter.acall()

            loop.run_until_complete(run())

        def streams(adapter: Adapter) -> None:
            for _ in range(plan.streams):
                adapter.stream()

        def astreams(adapter: Adapter) -> None:
            async def run() -> None:
                for _ in range(plan.streams):
                    await adapter.astream()

            loop.run_until_complete(run())

        def burst(adapter: Adapter) -> list[str]:
            async def run() -> list[str]:
                return await asyncio.gather(*(adapter.acall() for _ in range(plan.concurrent)))

            return loop.run_until_complete(run())

        def construct(adapter: Adapter) -> None:
            for _ in range(plan.constructs):
                adapter.construct()

        for number in range(plan.rounds):
            order = _rotated(names, number)
            for name in order:
                seconds = _cpu(calls, adapters[name][CALL_CHUNKS])
                results[CALL_SYNC].add(name, seconds / plan.calls * 1e3)
            for name in order:
                seconds = _cpu(acalls, adapters[name][CALL_CHUNKS])
                results[CALL_ASYNC].add(name, seconds / plan.calls * 1e3)
            for stream_measure, run_streams in ((STREAM_SYNC, streams), (STREAM_ASYNC, astreams)):
                for name in order:
                    small, big = adapters[name][plan.small], adapters[name][plan.big]
                    seconds = _cpu(run_streams, big) - _cpu(run_streams, small)
                    results[stream_measure].add(name, seconds / plan.streams / extra * 1e6)

        for name in names:  # warm-up: every client opens its connections once, untimed
            burst(adapters[name][CALL_CHUNKS])
        for number in range(plan.concurrent_rounds):
            for name in _rotated(names, number):
                seconds, answers = _wall(burst, adapters[name][CALL_CHUNKS])
                if answers != [WORD * CALL_CHUNKS] * plan.concurrent:
                    raise SystemExit(f"{name}: a concurrent call answered wrongly")
                results[CONCURRENT].add(name, seconds)

        for name in names:
            adapters[name][CALL_CHUNKS].construct()
        for _ in range(max(3, plan.rounds)):
            for name in names:
                seconds, _ = _wall(construct, adapters[name][CALL_CHUNKS])
                results[CONSTRUCT].add(name, seconds / plan.constructs * 1e3)

        for name in names:
            a = adapters[name][CALL_CHUNKS]
            for _ in range(min(200, plan.memory_calls)):
                a.call()
            # Two views of growth, the larger reported: resident memory (what the process costs)
            # and the Python heap as tracemalloc counts it (fine-grained: a client, a pool or a
            # record kept per call shows here long before it moves resident memory by a page).
            gc.collect()
            before = _rss_mb()
            tracemalloc.start()
            for _ in range(plan.memory_calls):
                a.call()
            gc.collect()
            heap = tracemalloc.get_traced_memory()[0] / 1e6
            tracemalloc.stop()
            results[MEMORY].add(name, max(heap, _rss_mb() - before))

        for name in names:  # warm-up: imports, caches, the pool's first connections
            held_stream_kb(adapters[name][CALL_CHUNKS], plan.held_streams, loop)
        for number in range(plan.held_rounds):
            for name in _rotated(names, number):
                kb = held_stream_kb(adapters[name][CALL_CHUNKS], plan.held_streams, loop)
                results[STREAM_MEMORY].add(name, kb)

        for name, _, framework in found:  # warm-up, untimed: bytecode gets cached
            if framework:
                _import_ms(framework, IMPORTS[name])
        for _ in range(plan.imports):
            for name, _, framework in found:
                if not framework:
                    continue
                alone, ours, openai_loaded = _import_ms(framework, IMPORTS[name])
                results[FRAMEWORK].add(name, alone)
                results[IMPORT].add(name, ours)
                if openai_loaded and name in OURS:
                    notes.append(f"importing {name} imported the openai SDK")
        for name, _, framework in found:
            if framework:
                notes.append(f"import baseline of {name}: `{framework}`")
        if quick:
            notes.append("quick mode: few samples; numbers prove the harness runs, not the targets")
    finally:
        loop.close()
        server.terminate()
        server.wait()
    return results, list(dict.fromkeys(notes))


def table(results: dict[str, Series]) -> tuple[str, bool]:
    lines = [
        "| measure | client | median | p95 | vs SDK | target | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    all_met = True
    for measure_name, series in results.items():
        target, ok = TARGETS[measure_name]
        base = series.samples.get(SDK)
        base_median = statistics.median(base) if base else None
        for client, values in series.samples.items():
            med = statistics.median(values)
            ratio = med / base_median if base_median else None
            ours = client in OURS and ok is not None
            met = ok(med, ratio) if ours and ok is not None else None
            if met is False:
                all_met = False
            lines.append(
                f"| {measure_name} | {client} | {med:.3f} | {_p95(values):.3f} | "
                f"{f'{ratio:.2f}x' if ratio is not None else '-'} | {target if ours else ''} | "
                f"{'yes' if met else ('NO' if met is False else '')} |"
            )
    return "\n".join(lines), all_met


def environment() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = []
    for dist in (
        "openrouter-frameworks",
        "openai",
        "httpx",
        "httpx2",
        "pydantic",
        "orjson",
        "langchain-core",
        "langchain-openai",
        "llama-index-core",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"{dist} {metadata.version(dist)}")
    load = ""
    with contextlib.suppress(OSError, AttributeError):
        load = ", load average at start {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    return (
        f"- machine: {platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores"
        f"{load}\n"
        f"- python: {platform.python_implementation()} {platform.python_version()}\n"
        f"- versions: {', '.join(versions)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few samples only (under a minute)")
    parser.add_argument(
        "--out", type=Path, default=None, help="results file (default RESULTS.md unless --quick)"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    env = environment()  # before the run: the load average is the machine's, not ours
    started = time.perf_counter()
    results, notes = measure(plan, args.quick)
    elapsed = time.perf_counter() - started
    text, met = table(results)
    print(text)
    for note in notes:
        print(f"note: {note}")
    print("all targets met" if met else "SOME TARGETS NOT MET")
    out = args.out or (None if args.quick else HERE / "RESULTS.md")
    if out is not None:
        command = (
            "`python -m benchmarks.run --quick`"
            if args.quick
            else "`make bench` (`python -m benchmarks.run`)"
        )
        note_lines = "".join(f"- {note}\n" for note in notes)
        pinning = ", pinned to core 1; the clients pinned to core 0" if _can_pin() else ""
        out.write_text(
            "# Benchmark results\n\n"
            "Client cost of each integration against a minimal local OpenRouter-shaped server "
            f"(its own process{pinning}), as medians and "
            "p95s over interleaved rounds, with ratios to the bare `openai` SDK measured in the "
            "same run; how each figure is measured is described below. Timings are facts about "
            "one machine on one day.\n\n"
            f"- command: {command}, {elapsed:.0f} s\n"
            f"- date: {time.strftime('%Y-%m-%d')}\n"
            f"{env}\n\n{text}\n\n{note_lines}\n"
            + ("All targets met.\n" if met else "Some targets are not met.\n")
            + "\n"
            + METHOD.format(
                big=plan.big,
                small=plan.small,
                concurrent=plan.concurrent,
                memory_calls=plan.memory_calls,
                warmup=min(200, plan.memory_calls),
                held_streams=plan.held_streams,
                chunks=CALL_CHUNKS,
            ),
            encoding="utf-8",
        )
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
