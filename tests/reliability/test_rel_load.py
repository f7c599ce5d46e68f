"""Load: concurrency, threads, long streams and many calls, for both frameworks.

- 1,000 concurrent async requests through one model instance and 8 threads sharing one
  instance: every answer is the right one, one connection pool serves them (counted where
  ``openrouter_core.client`` builds clients and pools), and ``track_usage()`` totals equal the
  emulator's charges exactly.
- A 10,000-chunk stream: the memory it takes (``tracemalloc`` peak) is a small multiple of the
  text, not a per-chunk amount.
- 2,000 sequential calls: no client is built and no memory is kept after warm-up (traced over
  the last 1,000).

The memory tests talk to an emulator in another process (``emulator_process.py``), so only the
client is measured.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rel_support import FRAMEWORKS, LANGCHAIN, Target, run_in_threads

from openrouter_core import UsageLedger, track_usage
from openrouter_core.testing import OpenRouterEmulator

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent


def _question(i: int) -> str:
    return f"question number {i}"


def _check_usage(usage: UsageLedger, emu: OpenRouterEmulator, calls: int) -> None:
    charges = emu.charges
    assert len(charges) == calls
    assert usage.requests == calls
    assert usage.failed_requests == 0
    assert usage.total_cost == emu.total_cost > 0  # exact: Decimal against Decimal
    assert usage.input_tokens == sum(c.prompt_tokens for c in charges)
    assert usage.output_tokens == sum(c.completion_tokens for c in charges)
    assert sorted(r.generation_id for r in usage.records) == sorted(
        c.generation_id for c in charges
    )


# ------------------------------------------------------------------------------ concurrency


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_1000_concurrent_async_requests_through_one_instance(
    framework: str,
    openrouter_emulator: OpenRouterEmulator,
    constructions: collections.Counter[str],
) -> None:
    from openrouter_core import client

    emu = openrouter_emulator
    plain, streaming = Target(framework, "acall", emu), Target(framework, "astream", emu)
    model = plain.model(max_retries=2)  # one instance for every request

    async def ask(i: int) -> str:
        target = streaming if i % 2 else plain
        return target.text(await target.answer(model, _question(i)))

    with track_usage() as usage:
        answers = await asyncio.gather(*(ask(i) for i in range(1000)))

    for i, answer in enumerate(answers):
        assert answer.startswith(f"You said: {_question(i)}\n"), (i, answer[:80])
    _check_usage(usage, emu, 1000)
    assert constructions["AsyncOpenAI"] == 1
    assert constructions["DefaultAsyncHttpxClient"] == 1
    loop = asyncio.get_running_loop()
    [pool] = client._loops[loop].pools.values()  # one pool for the base URL on this loop
    [sdk_client] = client._loops[loop].clients.values()
    assert sdk_client._client is pool


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_8_threads_share_one_instance(
    framework: str,
    openrouter_emulator: OpenRouterEmulator,
    constructions: collections.Counter[str],
) -> None:
    from openrouter_core import client

    emu = openrouter_emulator
    plain, streaming = Target(framework, "call", emu), Target(framework, "stream", emu)
    model = plain.model(max_retries=2)
    ledger = UsageLedger()
    answers: dict[int, str] = {}

    def worker(thread: int) -> None:
        with track_usage(ledger=ledger):
            for n in range(25):
                i = thread * 25 + n
                target = streaming if n % 2 else plain
                answer = target.answer_sync(model, _question(i))
                answers[i] = target.text(answer)

    run_in_threads(worker, 8, timeout=120)

    assert sorted(answers) == list(range(200))
    for i, answer in answers.items():
        assert answer.startswith(f"You said: {_question(i)}\n"), (i, answer[:80])
    _check_usage(ledger, emu, 200)
    assert constructions["OpenAI"] == 1  # one client and one pool, shared by the 8 threads
    assert constructions["DefaultHttpxClient"] == 1
    [sdk_client] = [c for cfg, c in client._sync_clients.items() if cfg.base_url == emu.base_url]
    assert sdk_client._client is client._sync_pools[emu.base_url]


# ------------------------------------------------------------------------------ memory


CHUNKS = 10_000
CHUNK_CHARS = 8
NETWORK_BUFFERING = 600_000


def _stream_reader(target: Target, model: Any) -> Callable[[], Any]:
    """A function reading one whole stream, keeping only a character count (a coroutine
    function for the async modes).

    LangChain is read through ``_stream``/``_astream``, the generators ``BaseChatModel.stream``
    drives: ``stream()`` itself keeps every chunk until the end to report the run to callbacks
    (langchain_core's behaviour, about 2 KB per chunk), which is not this package's memory.
    """
    if target.framework == LANGCHAIN:
        from langchain_core.messages import HumanMessage

        prompt = [HumanMessage("Hi")]
        if target.mode == "stream":
            return lambda: sum(len(c.text) for c in model._stream(prompt))

        async def read_langchain() -> int:
            return sum([len(c.text) async for c in model._astream(prompt)])

        return read_langchain
    from llama_index.core.llms import ChatMessage

    messages = [ChatMessage(role="user", content="Hi")]
    if target.mode == "stream":
        return lambda: sum(len(r.delta or "") for r in model.stream_chat(messages))

    async def read_llamaindex() -> int:
        return sum([len(r.delta or "") async for r in await model.astream_chat(messages)])

    return read_llamaindex


async def _measure(read: Callable[[], Any], is_async: bool) -> tuple[int, int, int]:
    """Read a stream to warm up, then read another one under ``tracemalloc``.

    Returns:
        The characters of both streams and the peak memory of the second, in bytes.
    """
    warm = await read() if is_async else read()  # imports, the pool on this loop, caches
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        received = await read() if is_async else read()
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    return warm, received, peak


@pytest.mark.parametrize("mode", ["stream", "astream"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_10000_chunk_stream_keeps_memory_flat(
    framework: str, mode: str, emulator_process: Callable[..., str]
) -> None:
    text_chars = CHUNKS * CHUNK_CHARS
    url = emulator_process(text_chars=text_chars, chunk_chars=CHUNK_CHARS, times=2)
    target = Target(framework, mode, base_url=url)
    read = _stream_reader(target, target.model())

    warm, received, peak = asyncio.run(_measure(read, target.is_async))

    assert warm == received == text_chars
    # The whole text is held (and copied) a few times. On top of that, an async stream has a
    # few hundred KB of network buffering whatever its length (asyncio reads up to 256 KiB from
    # the socket at once). One object kept per chunk (~60 bytes or more, for 10,000 chunks)
    # breaks either bound.
    network = NETWORK_BUFFERING if target.is_async else 64_000
    assert peak < 5 * text_chars + network, f"{peak:,} bytes for {text_chars:,} characters"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_2000_sequential_calls_do_not_grow_memory(
    framework: str,
    emulator_process: Callable[..., str],
    constructions: collections.Counter[str],
) -> None:
    url = emulator_process()
    plain = Target(framework, "call", base_url=url)
    streaming = Target(framework, "stream", base_url=url)
    model = plain.model()

    def call(i: int) -> str:
        target = streaming if i % 2 else plain
        return target.text(target.answer_sync(model, "Same question"))

    for i in range(100):  # warm-up: the pool, its connection, lazy imports and caches
        call(i)
    built = sum(constructions.values())
    for i in range(1000):
        assert call(i).startswith("You said: Same question")
    # The second thousand runs under tracemalloc (it triples the cost of a call): whatever a
    # call leaves behind shows in any thousand calls.
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(1000, 2000):
            assert call(i).startswith("You said: Same question")
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()

    assert sum(constructions.values()) == built  # no client or pool per call
    # Still allocated after 1,000 more calls (15-25 KB of bounded caches in the HTTP stack):
    # keeping a small tuple per call in a list (64 bytes) fails this.
    assert kept < 64_000, f"{kept:,} bytes kept by 1,000 calls"
