"""`make bench`: client cost of each integration, as ratios to the bare openai SDK in one run.

The server (``benchmarks/server.py``) runs in its own process pinned to one core and the
clients run here pinned to the other, so client CPU time is what gets measured. Every client's
answer is checked before anything is timed. Clients are interleaved round-robin, so drift on
the machine affects all of them alike. Results print as a table of medians and p95s and, unless
``--quick``, are written to ``benchmarks/RESULTS.md``.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from benchmarks.clients import Adapter, available
from benchmarks.server import WORD

HERE = Path(__file__).resolve().parent
CALL_CHUNKS = 20


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
    imports: int


FULL = Plan(
    rounds=15,
    calls=40,
    small=10,
    big=210,
    streams=4,
    concurrent=500,
    concurrent_rounds=5,
    constructs=300,
    memory_calls=2000,
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
    imports=1,
)

# measure -> (target description, check on (value, ratio))
TARGETS: dict[str, tuple[str, Callable[[float, float | None], bool]]] = {
    "call CPU (ms/call)": ("<= 1.0x SDK", lambda v, r: r is not None and r <= 1.0),
    "stream CPU, sync (us/chunk)": ("<= 0.75x SDK", lambda v, r: r is not None and r <= 0.75),
    "stream CPU, async (us/chunk)": ("<= 0.75x SDK", lambda v, r: r is not None and r <= 0.75),
    "500 concurrent async calls (s)": ("<= 1.0x SDK", lambda v, r: r is not None and r <= 1.0),
    "import over framework (ms)": ("<= +150 ms", lambda v, r: v <= 150),
    "second instance (ms)": ("<= 0.5 ms", lambda v, r: v <= 0.5),
    "memory growth over calls (MB)": ("<= 1 MB", lambda v, r: v <= 1.0),
}


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


def start_server() -> tuple[subprocess.Popen[str], str]:
    cpu = (
        ["--cpu", "1"]
        if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1
        else []
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.server", *cpu],
        cwd=HERE.parent,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}/api/v1"


def check(
    adapters: dict[str, dict[int, Adapter]], loop: asyncio.AbstractEventLoop, plan: Plan
) -> None:
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


def measure(plan: Plan, quick: bool) -> tuple[dict[str, Series], list[str]]:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})
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
        check(adapters, loop, plan)
        names = list(adapters)
        for _ in range(plan.rounds):
            for name in names:
                a = adapters[name][CALL_CHUNKS]
                t = time.process_time()
                for _ in range(plan.calls):
                    a.call()
                results["call CPU (ms/call)"].add(
                    name, (time.process_time() - t) / plan.calls * 1e3
                )
            for name in names:
                small, big = adapters[name][plan.small], adapters[name][plan.big]
                t = time.process_time()
                for _ in range(plan.streams):
                    big.stream()
                t_big = time.process_time() - t
                t = time.process_time()
                for _ in range(plan.streams):
                    small.stream()
                t_small = time.process_time() - t
                per = (t_big - t_small) / plan.streams / (plan.big - plan.small) * 1e6
                results["stream CPU, sync (us/chunk)"].add(name, per)
            for name in names:
                small, big = adapters[name][plan.small], adapters[name][plan.big]

                async def streams(adapter: Adapter) -> None:
                    for _ in range(plan.streams):
                        await adapter.astream()

                t = time.process_time()
                loop.run_until_complete(streams(big))
                t_big = time.process_time() - t
                t = time.process_time()
                loop.run_until_complete(streams(small))
                t_small = time.process_time() - t
                per = (t_big - t_small) / plan.streams / (plan.big - plan.small) * 1e6
                results["stream CPU, async (us/chunk)"].add(name, per)

        async def burst(adapter: Adapter) -> list[str]:
            return await asyncio.gather(*(adapter.acall() for _ in range(plan.concurrent)))

        for name in names:  # warm-up: every client opens its connections once, untimed
            loop.run_until_complete(burst(adapters[name][CALL_CHUNKS]))
        for _ in range(plan.concurrent_rounds):
            for name in names:
                a = adapters[name][CALL_CHUNKS]

                t = time.perf_counter()
                answers = loop.run_until_complete(burst(a))
                results["500 concurrent async calls (s)"].add(name, time.perf_counter() - t)
                assert all(x == WORD * CALL_CHUNKS for x in answers)
        for name in names:
            a = adapters[name][CALL_CHUNKS]
            a.construct()
            for _ in range(max(3, plan.rounds)):
                t = time.perf_counter()
                for _ in range(plan.constructs):
                    a.construct()
                results["second instance (ms)"].add(
                    name, (time.perf_counter() - t) / plan.constructs * 1e3
                )
        for name in names:
            a = adapters[name][CALL_CHUNKS]
            for _ in range(min(200, plan.memory_calls)):
                a.call()
            gc.collect()
            before = _rss_mb()
            for _ in range(plan.memory_calls):
                a.call()
            gc.collect()
            results["memory growth over calls (MB)"].add(name, max(0.0, _rss_mb() - before))
        for name, _, framework in found:
            if not framework:
                continue
            package = {
                "ChatOpenRouter": "langchain_openrouter",
                "OpenRouter (LlamaIndex)": "llama_index_openrouter",
                "ChatOpenAI": "langchain_openai",
            }[name]
            for _ in range(plan.imports):
                code = (
                    f"import time; import {framework}; t = time.perf_counter(); import {package}; "
                    "print((time.perf_counter() - t) * 1000)"
                )
                out = subprocess.run(
                    [sys.executable, "-c", code], capture_output=True, text=True, check=True
                )
                results["import over framework (ms)"].add(name, float(out.stdout))
        if quick:
            notes.append("quick mode: few samples; numbers prove the harness runs, not the targets")
    finally:
        loop.close()
        server.terminate()
        server.wait()
    return results, notes


def table(results: dict[str, Series]) -> tuple[str, bool]:
    lines = [
        "| measure | client | median | p95 | vs SDK | target | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    all_met = True
    for measure_name, series in results.items():
        target, ok = TARGETS[measure_name]
        base = series.samples.get("openai SDK")
        base_median = statistics.median(base) if base else None
        for client, values in series.samples.items():
            med = statistics.median(values)
            ratio = med / base_median if base_median else None
            ours = client in ("ChatOpenRouter", "OpenRouter (LlamaIndex)")
            met = ok(med, ratio) if ours else None
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
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for dist in (
        "openrouter-frameworks",
        "openai",
        "langchain-core",
        "langchain-openai",
        "llama-index-core",
        "orjson",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"{dist} {metadata.version(dist)}")
    return (
        f"- machine: {platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores\n"
        f"- python: {platform.python_version()}\n- versions: {', '.join(versions)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few samples only (under a minute)")
    parser.add_argument(
        "--out", type=Path, default=None, help="results file (default RESULTS.md unless --quick)"
    )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    results, notes = measure(plan, args.quick)
    text, met = table(results)
    print(text)
    for note in notes:
        print(f"note: {note}")
    print("all targets met" if met else "SOME TARGETS NOT MET")
    out = args.out or (None if args.quick else HERE / "RESULTS.md")
    if out is not None:
        command = "python -m benchmarks.run" + (" --quick" if args.quick else "")
        out.write_text(
            "# Benchmark results\n\n"
            "Client cost of each integration against a minimal local OpenRouter-shaped server "
            "(its own process, pinned to core 1; the client pinned to core 0), medians and p95 "
            "over interleaved rounds, with ratios to the bare `openai` SDK measured in the same "
            "run.\n\n"
            f"- command: `{command}` (`make bench`)\n- date: {time.strftime('%Y-%m-%d')}\n"
            f"{environment()}\n\n{text}\n\n"
            + ("All targets met.\n" if met else "Some targets are not met.\n"),
            encoding="utf-8",
        )
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
