"""Secrets: the API key appears nowhere but in the ``Authorization`` header it is sent in.

Each channel a key could leak through is scanned after real use of both frameworks against the
emulator: ``repr``/``str`` of every public object, every serialized form, LangChain callback,
tracer and ``astream_events`` payloads, LlamaIndex instrumentation events, spans and callback
payloads, DEBUG log records of every logger (``openai``, ``httpx``, ``httpx2``, ``httpcore``...),
exception messages and formatted tracebacks with their chained causes, the requests themselves
and a cassette recorded from them. A leak of a 16-character piece of the key counts too.
"""

from __future__ import annotations

import json
import logging
import pickle
import re
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rel_support import FAKE_KEY, LANGCHAIN, MODEL, Target

from openrouter_core import errors as core
from openrouter_core.testing import OpenRouterEmulator, replies

ROOT = Path(__file__).resolve().parents[2]
EMBEDDING_MODEL = "openai/text-embedding-3-small"
_SECRET = FAKE_KEY.removeprefix("sk-or-v1-")
# The whole key, and every 16-character piece of its secret part: a truncated key is a leak too.
FRAGMENTS = (FAKE_KEY, *(_SECRET[i : i + 16] for i in range(0, len(_SECRET) - 15, 8)))
KEY_SHAPED = re.compile(r"sk-or-v1-[A-Za-z0-9]{16,}")
LOGGERS = ("openai", "httpx", "httpx2", "httpcore", "httpcore2", "openrouter_core", "urllib3")


def leaks(text: str) -> list[str]:
    """The pieces of the key found in ``text``."""
    return [fragment for fragment in FRAGMENTS if fragment in text]


def _dump(value: Any) -> str:
    return json.dumps(value, default=repr, sort_keys=True)


# ------------------------------------------------------------------------------ use


def _langchain_model(emu: OpenRouterEmulator, **kwargs: Any) -> Any:
    from langchain_openrouter import ChatOpenRouter

    params = {"model": MODEL, "api_key": FAKE_KEY, "base_url": emu.base_url, "max_retries": 1}
    return ChatOpenRouter(**{**params, **kwargs})


def _llamaindex_model(emu: OpenRouterEmulator, **kwargs: Any) -> Any:
    from llama_index_openrouter import OpenRouter

    params = {"model": MODEL, "api_key": FAKE_KEY, "api_base": emu.base_url, "max_retries": 1}
    return OpenRouter(**{**params, **kwargs})


def _public_objects(emu: OpenRouterEmulator) -> dict[str, Any]:
    """Every public object that holds (or is built from) the key."""
    from langchain_openrouter import (
        ChatOpenRouter,
        OpenRouterEmbeddings,
        OpenRouterUsageCallbackHandler,
    )
    from llama_index_openrouter import OpenRouter, OpenRouterEmbedding, OpenRouterUsageEventHandler
    from openrouter_core import OpenRouterAccount, track_usage
    from openrouter_core.catalog import ModelCatalog
    from openrouter_core.client import ClientConfig, get_client

    config = ClientConfig.build(
        api_key=FAKE_KEY, base_url=emu.base_url, timeout=5, max_retries=0, model=MODEL
    )
    return {
        "ChatOpenRouter": ChatOpenRouter(model=MODEL, api_key=FAKE_KEY, base_url=emu.base_url),
        "OpenRouterEmbeddings": OpenRouterEmbeddings(
            model=EMBEDDING_MODEL, api_key=FAKE_KEY, base_url=emu.base_url
        ),
        "OpenRouter": OpenRouter(model=MODEL, api_key=FAKE_KEY, api_base=emu.base_url),
        "OpenRouterEmbedding": OpenRouterEmbedding(
            model_name=EMBEDDING_MODEL, api_key=FAKE_KEY, api_base=emu.base_url
        ),
        "OpenRouterAccount": OpenRouterAccount(api_key=FAKE_KEY, base_url=emu.base_url),
        "ModelCatalog": ModelCatalog(base_url=emu.base_url, disk_cache=False),
        "ClientConfig": config,
        "openai client": get_client(config),
        "OpenRouterUsageCallbackHandler": OpenRouterUsageCallbackHandler(),
        "OpenRouterUsageEventHandler": OpenRouterUsageEventHandler(),
        "track_usage": track_usage(),
    }


async def _use_everything(emu: OpenRouterEmulator) -> list[BaseException]:
    """Chat, stream, tools, embeddings, account lookups and failures through both frameworks.

    Returns the errors raised along the way.
    """
    from langchain_core.messages import HumanMessage
    from llama_index.core.llms import ChatMessage

    from langchain_openrouter import OpenRouterEmbeddings
    from llama_index_openrouter import OpenRouterEmbedding
    from openrouter_core import OpenRouterAccount

    errors: list[BaseException] = []

    def weather(city: str) -> str:
        """Weather in a city."""
        return f"sunny in {city}"

    lc = _langchain_model(emu)
    lc.invoke("Hello")
    await lc.ainvoke([HumanMessage("Hello")])
    list(lc.stream("Hello"))
    [chunk async for chunk in lc.astream("Hello")]
    lc.bind_tools([weather]).invoke("Weather in Paris?")
    emu.enqueue(replies.error(429, "Rate limited", headers={"retry-after-ms": "10"}))
    lc.invoke("Hello")  # retried by the SDK
    li = _llamaindex_model(emu)
    messages = [ChatMessage(role="user", content="Hello")]
    li.chat(messages)
    await li.achat(messages)
    list(li.stream_chat(messages))
    [r async for r in await li.astream_chat(messages)]
    li.complete("Hello")
    OpenRouterEmbeddings(
        model=EMBEDDING_MODEL, api_key=FAKE_KEY, base_url=emu.base_url
    ).embed_documents(["one", "two"])
    OpenRouterEmbedding(
        model_name=EMBEDDING_MODEL, api_key=FAKE_KEY, api_base=emu.base_url
    ).get_text_embedding("one")
    account = OpenRouterAccount(api_key=FAKE_KEY, base_url=emu.base_url)
    account.key_info()
    account.generation(emu.charges[0].generation_id)
    lc0, li0 = _langchain_model(emu, max_retries=0), _llamaindex_model(emu, max_retries=0)
    for failing in _FAILURES:
        for call in (lambda: lc0.invoke("Hello"), lambda: li0.chat(messages)):
            emu.enqueue(failing())
            try:
                call()
            except core.OpenRouterError as exc:
                errors.append(exc)
    for streaming in (lambda: list(lc.stream("Hello")), lambda: list(li.stream_chat(messages))):
        emu.enqueue(replies.midstream_error(2, 502, "Provider returned error"))
        try:
            streaming()
        except core.OpenRouterError as exc:
            errors.append(exc)
    return errors


_FAILURES: list[Callable[[], Any]] = [
    lambda: replies.error(401, "User not found."),
    lambda: replies.error(402, "This request requires more credits"),
    lambda: replies.error(403, "flagged", metadata={"reasons": ["x"], "flagged_input": "y"}),
    lambda: replies.error(404, "No endpoints found"),
    lambda: replies.error(400, "maximum context length is 200000 tokens"),
    lambda: replies.error(429, "Rate limited", headers={"retry-after-ms": "10"}),
    lambda: replies.error(503, "Provider returned error", metadata={"raw": '{"a": "b"}'}),
    lambda: replies.error_in_200("Provider returned error", 502),
    lambda: replies.drop_connection(1),
]


# ------------------------------------------------------------------------------ objects


def test_repr_and_str_of_every_public_object(openrouter_emulator: OpenRouterEmulator) -> None:
    objects = _public_objects(openrouter_emulator)
    objects["ChatOpenRouter"].invoke("Hello")  # lazily built state exists after a call
    objects["OpenRouter"].complete("Hello")
    objects["OpenRouterAccount"].key_info()

    found = {
        name: leaks(repr(obj) + str(obj))
        for name, obj in objects.items()
        if leaks(repr(obj) + str(obj))
    }
    assert found == {}


def _serialized_forms(obj: Any) -> dict[str, Callable[[], Any]]:
    """Every way the object serializes itself (LangChain, pydantic and LlamaIndex forms)."""
    from langchain_core.load import dumpd, dumps
    from langchain_core.load.serializable import Serializable

    forms: dict[str, Callable[[], Any]] = {}
    if isinstance(obj, Serializable):
        forms["dumps"] = lambda: dumps(obj)
        forms["dumpd"] = lambda: dumpd(obj)
    for name in ("model_dump", "model_dump_json", "to_dict", "to_json", "to_payload"):
        method = getattr(obj, name, None)
        if callable(method):
            forms[name] = method
    if hasattr(obj, "model_dump"):
        forms["model_dump(mode=json)"] = lambda: obj.model_dump(mode="json")
        forms["model_dump(by_alias)"] = lambda: obj.model_dump(by_alias=True)
    for name in ("_identifying_params", "metadata"):
        if isinstance(getattr(type(obj), name, None), property):
            forms[name] = lambda name=name: getattr(obj, name)
    return forms


def test_serialized_forms_hold_no_key(openrouter_emulator: OpenRouterEmulator) -> None:
    objects = _public_objects(openrouter_emulator)
    checked = []
    found = {}
    for name, obj in objects.items():
        for form, serialize in _serialized_forms(obj).items():
            text = _dump(serialize())
            checked.append(f"{name}.{form}")
            if leaks(text):
                found[f"{name}.{form}"] = leaks(text)
    assert found == {}
    # The forms that matter were really produced.
    for expected in (
        "ChatOpenRouter.dumps",
        "ChatOpenRouter.model_dump_json",
        "OpenRouter.to_json",
        "OpenRouter.to_dict",
        "OpenRouterEmbedding.to_json",
        "OpenRouterEmbeddings.model_dump_json",
    ):
        assert expected in checked


def test_a_key_in_default_headers_is_not_shown_or_serialized(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    from langchain_openrouter import ChatOpenRouter, OpenRouterEmbeddings
    from llama_index_openrouter import OpenRouter, OpenRouterEmbedding
    from openrouter_core.client import ClientConfig

    headers = {"Authorization": f"Bearer {FAKE_KEY}", "X-Title": "kept"}
    url = openrouter_emulator.base_url
    objects = {
        "ChatOpenRouter": ChatOpenRouter(model=MODEL, base_url=url, default_headers=headers),
        "OpenRouterEmbeddings": OpenRouterEmbeddings(base_url=url, default_headers=headers),
        "OpenRouter": OpenRouter(model=MODEL, api_base=url, default_headers=headers),
        "OpenRouterEmbedding": OpenRouterEmbedding(api_base=url, default_headers=headers),
        "ClientConfig": ClientConfig.build(
            api_key="another-key", base_url=url, timeout=None, max_retries=0, headers=headers
        ),
    }
    found = {}
    for name, obj in objects.items():
        texts = [repr(obj), str(obj)] + [_dump(f()) for f in _serialized_forms(obj).values()]
        if leaks("\n".join(texts)):
            found[name] = leaks("\n".join(texts))
    assert found == {}
    # Only the credential header is hidden; the others are still serialized.
    assert objects["OpenRouterEmbeddings"].model_dump()["default_headers"] == {"X-Title": "kept"}
    assert objects["OpenRouterEmbedding"].to_dict()["default_headers"] == {"X-Title": "kept"}


# ------------------------------------------------------------------------------ callbacks


class _LangChainRecorder:
    """A callback handler and a tracer that keep everything LangChain hands them."""

    def __init__(self) -> None:
        from langchain_core.callbacks import BaseCallbackHandler
        from langchain_core.tracers.base import BaseTracer

        recorder = self
        self.payloads: list[str] = []
        self.runs: list[str] = []

        class Handler(BaseCallbackHandler):
            def __getattribute__(self, name: str) -> Any:
                attribute = super().__getattribute__(name)
                if name.startswith("on_") and callable(attribute):

                    def record(*args: Any, **kwargs: Any) -> Any:
                        recorder.payloads.append(_dump([name, args, kwargs]))
                        return attribute(*args, **kwargs)

                    return record
                return attribute

        class Tracer(BaseTracer):
            def _persist_run(self, run: Any) -> None:
                recorder.runs.append(run.model_dump_json())

            def _end_trace(self, run: Any) -> None:
                super()._end_trace(run)
                recorder.runs.append(run.model_dump_json())

        self.handler = Handler()
        self.tracer = Tracer()


async def test_langchain_callback_tracer_and_event_payloads(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    emu = openrouter_emulator
    recorder = _LangChainRecorder()
    config: Any = {"callbacks": [recorder.handler, recorder.tracer]}
    llm = _langchain_model(emu)

    llm.invoke("Hello", config=config)
    await llm.ainvoke("Hello", config=config)
    list(llm.stream("Hello", config=config))
    emu.enqueue(replies.error(401, "User not found."))
    with pytest.raises(core.AuthenticationError):
        llm.invoke("Hello", config=config)
    events = [_dump(e) async for e in llm.astream_events("Hello", version="v2", config=config)]

    assert any("on_chat_model_start" in p for p in recorder.payloads)
    assert any("on_llm_error" in p for p in recorder.payloads)
    assert len(recorder.runs) >= 4
    assert any("on_chat_model_end" in e for e in events)
    assert leaks("\n".join(recorder.payloads)) == []
    assert leaks("\n".join(recorder.runs)) == []
    assert leaks("\n".join(events)) == []


async def test_llamaindex_instrumentation_and_callback_payloads(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.callbacks.base_handler import BaseCallbackHandler
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    from llama_index.core.instrumentation.span_handlers import SimpleSpanHandler
    from llama_index.core.llms import ChatMessage

    emu = openrouter_emulator
    seen: list[str] = []

    class Events(BaseEventHandler):
        @classmethod
        def class_name(cls) -> str:
            return "Events"

        def handle(self, event: Any, **kwargs: Any) -> None:
            seen.append(event.model_dump_json())
            seen.append(_dump(event.model_dump()))

    class Spans(SimpleSpanHandler):
        def new_span(self, id_: str, bound_args: Any, instance: Any = None, **kwargs: Any) -> Any:
            seen.append(_dump([id_, bound_args.arguments, repr(instance), kwargs]))
            return super().new_span(id_, bound_args, instance, **kwargs)

    class Callbacks(BaseCallbackHandler):
        def __init__(self) -> None:
            super().__init__([], [])

        def on_event_start(self, event_type: Any, payload: Any = None, **kwargs: Any) -> str:
            seen.append(_dump([event_type, payload, kwargs]))
            return kwargs.get("event_id", "")

        def on_event_end(self, event_type: Any, payload: Any = None, **kwargs: Any) -> None:
            seen.append(_dump([event_type, payload, kwargs]))

        def start_trace(self, trace_id: str | None = None) -> None:
            pass

        def end_trace(self, trace_id: str | None = None, trace_map: Any = None) -> None:
            pass

    root = get_dispatcher()
    events, spans = Events(), Spans()
    root.add_event_handler(events)
    root.add_span_handler(spans)
    try:
        llm = _llamaindex_model(emu, callback_manager=CallbackManager([Callbacks()]))
        messages = [ChatMessage(role="user", content="Hello")]
        llm.chat(messages)
        await llm.achat(messages)
        list(llm.stream_chat(messages))
        llm.complete("Hello")
        emu.enqueue(replies.error(401, "User not found."))
        with pytest.raises(core.AuthenticationError):
            llm.chat(messages)
    finally:
        root.event_handlers.remove(events)
        root.span_handlers.remove(spans)

    assert len(seen) > 20
    assert any("LLMChatStartEvent" in s for s in seen)
    assert leaks("\n".join(seen)) == []


# ------------------------------------------------------------------------------ logs


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of every logger at DEBUG: the root, and each logger that exists (the SDK's
    and the HTTP stack's named first, so they exist) set to DEBUG and propagating."""
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        logging.getLogger(name)
    loggers = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.propagate, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.propagate = True
        logger.disabled = False
    try:
        yield caplog
    finally:
        for logger, level, propagate, disabled in saved:
            logger.setLevel(level)
            logger.propagate = propagate
            logger.disabled = disabled


async def test_debug_logs_of_every_logger_hold_no_key(
    openrouter_emulator: OpenRouterEmulator, all_logs: pytest.LogCaptureFixture
) -> None:
    await _use_everything(openrouter_emulator)

    records = all_logs.records
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    text = "\n".join(formatter.format(r) + _dump(r.__dict__) for r in records)
    names = {r.name.split(".")[0] for r in records}
    http = "httpx2" if "httpx2" in names else "httpx"
    assert {"openai", http, f"httpcore{http[-1] if http.endswith('2') else ''}"} <= names
    assert len(records) > 100
    assert leaks(text) == []


# ------------------------------------------------------------------------------ errors


def _error_texts(error: BaseException) -> str:
    """Everything an error shows: message, repr, attributes, pickled form and tracebacks
    (chained causes included, and with the frames' local variables as error trackers
    capture them)."""
    chain = traceback.format_exception(error)
    with_locals = traceback.TracebackException.from_exception(error, capture_locals=True)
    pickled = pickle.dumps(error).decode("latin-1")
    texts = [str(error), repr(error), _dump(error.args), _dump(vars(error)), pickled]
    return "\n".join([*texts, *chain, *with_locals.format()])


async def test_error_messages_and_tracebacks_hold_no_key(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    errors = await _use_everything(openrouter_emulator)

    kinds = {type(e).__mro__[1].__name__ for e in errors}  # the core class behind each
    assert {
        "AuthenticationError",
        "InsufficientCreditsError",
        "ModerationError",
        "ModelNotFoundError",
        "ContextLengthExceededError",
        "RateLimitError",
        "ProviderError",
        "APIConnectionError",
    } <= kinds | {type(e).__name__ for e in errors}
    assert any(e.__cause__ is not None for e in errors)  # chained causes are formatted too
    found = {type(e).__name__: leaks(_error_texts(e)) for e in errors if leaks(_error_texts(e))}
    assert found == {}


async def test_timeout_and_missing_key_errors_hold_no_key(target: Target) -> None:
    emu = target.emulator
    emu.enqueue(replies.stall(5))
    with pytest.raises(core.RequestTimeoutError) as timeout:
        await target.answer(target.model(timeout=0.3))
    with pytest.raises(core.MissingAPIKeyError) as missing:
        await target.answer(target.model(api_key=None))
    assert leaks(_error_texts(timeout.value)) == []
    assert leaks(_error_texts(missing.value)) == []


# ------------------------------------------------------------------------------ wire, cassettes


async def test_the_key_travels_only_in_the_authorization_header(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    await _use_everything(openrouter_emulator)

    requests = openrouter_emulator.requests
    assert len(requests) > 30
    for request in requests:
        assert request.header("authorization") == f"Bearer {FAKE_KEY}"
        others = [f"{k}: {v}" for k, v in request.headers.items() if k.lower() != "authorization"]
        where = "\n".join([request.path, _dump(request.query), *others])
        assert leaks(where + request.raw_body.decode("utf-8", "replace")) == []


@pytest.mark.parametrize("framework", [LANGCHAIN, "llamaindex"])
def test_a_recorded_cassette_holds_no_key(
    openrouter_emulator: OpenRouterEmulator, tmp_path: Path, framework: str
) -> None:
    import vcr

    # The projects' recording settings (tests/langchain/conftest.py, test_li_cassettes.py).
    recorder = vcr.VCR(
        filter_headers=[("authorization", "REDACTED")],
        record_mode="all",
        decode_compressed_response=True,
    )
    cassette = tmp_path / "recorded.yaml"
    with recorder.use_cassette(str(cassette)):
        if framework == LANGCHAIN:
            llm = _langchain_model(openrouter_emulator)
            llm.invoke("Hello")
            list(llm.stream("Hello"))
        else:
            llm = _llamaindex_model(openrouter_emulator)
            llm.complete("Hello")
            list(llm.stream_complete("Hello"))

    text = cassette.read_text(encoding="utf-8")
    assert "REDACTED" in text
    assert "chat/completions" in text
    assert leaks(text) == []


def test_no_cassette_holds_a_key_shaped_string() -> None:
    files = [p for p in (ROOT / "cassettes").rglob("*") if p.is_file()]
    assert files
    found = [str(p) for p in files if KEY_SHAPED.search(p.read_text(errors="replace"))]
    assert found == []
