"""The langchain-tests standard suites for ``ChatOpenRouter``.

- ``ChatModelUnitTests``: construction, serialisation, tool binding, no network.
- ``ChatModelIntegrationTests`` against cassettes recorded from the emulator
  (``cassettes/langchain/``, replayed offline; re-record with ``make record``).
- The same integration suite live against the real API (``-m live`` with
  ``OPENROUTER_API_KEY``).

No standard test is overridden. The tests that download their input file from the internet
are marked xfail offline (``_OFFLINE_XFAIL``), with the reason.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from langchain_openrouter import ChatOpenRouter

MODEL = "anthropic/claude-haiku-4.5"
OVERRIDE_MODEL = "openai/gpt-4o-mini"
_DOWNLOADS = "downloads its input file from the internet, which the offline suite cannot reach"
_OFFLINE_XFAIL = {
    "test_pdf_inputs": _DOWNLOADS,
    "test_audio_inputs": _DOWNLOADS,
    "test_image_inputs": _DOWNLOADS,
    "test_image_tool_message": _DOWNLOADS,
    "test_pdf_tool_message": _DOWNLOADS,
    # Passes when the cassette was recorded live (a non-strict xfail then reports XPASS).
    "test_json_mode": "the emulator answers json_object with {'response': ...}; it cannot follow "
    "a format described only in the prompt",
}
# A long, fixed text for the prompt-caching helpers (Anthropic caches prefixes of 1024+ tokens).
_BOOK = " ".join(f"Paragraph {i}: the quick brown fox jumps over the lazy dog." for i in range(400))


class _Capabilities:
    """Everything ChatOpenRouter can do, declared for the standard suites."""

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatOpenRouter

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return True

    @property
    def supports_video_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        return True

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[str]]:
        details = ["reasoning_output", "cache_read_input", "cache_creation_input"]
        return {"invoke": details, "stream": details}

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return OVERRIDE_MODEL


class TestChatOpenRouterUnit(_Capabilities, ChatModelUnitTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": MODEL}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"OPENROUTER_API_KEY": "env-key"},
            {"model": MODEL},
            {"openrouter_api_key": "env-key"},
        )


class _Integration(_Capabilities, ChatModelIntegrationTests):
    """Shared by the cassette and live suites; ``_target_params`` says where requests go."""

    _target_params: dict[str, Any]

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": MODEL, **self._target_params}

    def _invoke(self, llm: BaseChatModel, messages: Any, *, stream: bool) -> AIMessage:
        if not stream:
            result = llm.invoke(messages)
            assert isinstance(result, AIMessage)
            return result
        full: AIMessageChunk | None = None
        for chunk in llm.stream(messages):
            assert isinstance(chunk, AIMessageChunk)
            full = chunk if full is None else full + chunk
        assert full is not None
        return full

    def _model(self, **kwargs: Any) -> ChatOpenRouter:
        return ChatOpenRouter(
            **{**self.standard_chat_model_params, **self.chat_model_params, **kwargs}
        )

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> AIMessage:
        llm = self._model(reasoning={"max_tokens": 1024}, max_tokens=2048, temperature=None)
        return self._invoke(llm, "What is 12 * 7? Think first.", stream=stream)

    def _cached_prompt(self, tag: str) -> list[Any]:
        system = SystemMessage(
            content=[
                {"type": "text", "text": f"[{tag}] You answer questions about this text."},
                {"type": "text", "text": _BOOK, "cache_control": {"type": "ephemeral"}},
            ]
        )
        return [system, HumanMessage("How many paragraphs are there?")]

    def invoke_with_cache_creation_input(self, *, stream: bool = False) -> AIMessage:
        return self._invoke(self._model(), self._cached_prompt(f"write-{stream}"), stream=stream)

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        messages = self._cached_prompt(f"read-{stream}")
        self._invoke(self._model(), messages, stream=stream)  # writes the cache
        return self._invoke(self._model(), messages, stream=stream)  # reads it


@pytest.mark.vcr
class TestChatOpenRouterCassettes(_Integration):
    @property
    def enable_vcr_tests(self) -> bool:
        return True

    @pytest.fixture(autouse=True)
    def _target(self, cassette_target: Any, request: pytest.FixtureRequest) -> None:
        self._target_params = cassette_target.params()
        reason = _OFFLINE_XFAIL.get(request.node.originalname)
        if reason is not None:
            request.applymarker(pytest.mark.xfail(reason=reason))


@pytest.mark.live
@pytest.mark.enable_socket
class TestChatOpenRouterLive(_Integration):
    @pytest.fixture(autouse=True)
    def _target(self) -> None:
        self._target_params = {}
