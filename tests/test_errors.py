from __future__ import annotations

import json
import pickle
from decimal import Decimal

import openai
import pytest

from openrouter_core import transport
from openrouter_core.client import ClientConfig, get_client
from openrouter_core.errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ContextLengthExceededError,
    HTTPRequestTimeoutError,
    InsufficientCreditsError,
    ModelNotFoundError,
    ModerationError,
    OpenRouterError,
    PermissionDeniedError,
    ProviderError,
    RateLimitError,
    RequestTimeoutError,
    UnknownModelError,
    decode_raw,
    error_from_payload,
    map_errors,
    raise_for_error_body,
    translate_exception,
)
from openrouter_core.testing import OpenRouterEmulator, replies


class _Headers(dict):
    def get(self, key, default=None):  # case-insensitive like HTTP headers
        for k, v in self.items():
            if k.lower() == key.lower():
                return v
        return default


class _Request:
    def __init__(self, retry_count: int | None) -> None:
        self.headers = _Headers()
        if retry_count is not None:
            self.headers["X-Stainless-Retry-Count"] = str(retry_count)


class _Response:
    def __init__(
        self, headers: dict[str, str] | None = None, retry_count: int | None = None
    ) -> None:
        self.headers = _Headers(headers or {})
        self.request = _Request(retry_count)


@pytest.mark.parametrize(
    ("status", "cls", "sdk_cls"),
    [
        (400, BadRequestError, openai.BadRequestError),
        (401, AuthenticationError, openai.AuthenticationError),
        (402, InsufficientCreditsError, openai.APIStatusError),
        (403, PermissionDeniedError, openai.PermissionDeniedError),
        (404, ModelNotFoundError, openai.NotFoundError),
        (408, HTTPRequestTimeoutError, openai.APIStatusError),
        (429, RateLimitError, openai.RateLimitError),
        (502, ProviderError, openai.InternalServerError),
        (503, ProviderError, openai.InternalServerError),
        (409, APIStatusError, openai.APIStatusError),
    ],
)
def test_status_to_class_and_sdk_compatibility(status: int, cls: type, sdk_cls: type) -> None:
    err = error_from_payload({"code": status, "message": "nope"}, status_code=status, model="a/b")
    assert type(err) is cls
    assert isinstance(err, OpenRouterError)
    assert isinstance(err, sdk_cls)
    assert isinstance(err, openai.OpenAIError)
    assert err.status_code == status
    assert err.message == "nope"
    assert "'a/b'" in str(err)
    assert str(status) in str(err)


def test_an_http_408_is_a_request_timeout_and_still_the_sdks_status_error(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    # The SDK raises a plain APIStatusError for a 408: code catching that keeps working.
    openrouter_emulator.enqueue(replies.error(408, "Request timed out"))
    config = ClientConfig.build(
        api_key="test-key", base_url=openrouter_emulator.base_url, max_retries=0, timeout=10.0
    )
    body = {"model": "a/b", "messages": [{"role": "user", "content": "Hi"}]}
    with pytest.raises(openai.APIStatusError) as info:
        transport.complete(get_client(config), body)
    err = info.value
    assert isinstance(err, RequestTimeoutError)
    assert isinstance(err, APIStatusError)
    assert err.status_code == 408
    assert err.response is not None
    assert err.response.status_code == 408
    assert "Raise timeout" in str(err)


def test_a_client_side_timeout_is_the_sdks_timeout_error_without_a_status(
    openrouter_emulator: OpenRouterEmulator,
) -> None:
    openrouter_emulator.enqueue(replies.stall(3))
    config = ClientConfig.build(
        api_key="test-key", base_url=openrouter_emulator.base_url, max_retries=0, timeout=0.3
    )
    body = {"model": "a/b", "messages": [{"role": "user", "content": "Hi"}]}
    with pytest.raises(RequestTimeoutError) as info:
        transport.complete(get_client(config), body)
    err = info.value
    assert type(err) is RequestTimeoutError
    assert isinstance(err, openai.APITimeoutError)
    assert not isinstance(err, openai.APIStatusError)
    assert err.status_code is None


def test_an_unknown_model_id_is_both_a_bad_request_and_a_model_not_found() -> None:
    # OpenRouter answers an id it does not know with a 400, not a 404.
    err = error_from_payload(
        {"code": 400, "message": "nope/missing is not a valid model ID"},
        status_code=400,
        model="nope/missing",
    )
    assert type(err) is UnknownModelError
    assert isinstance(err, ModelNotFoundError)
    assert isinstance(err, BadRequestError)
    assert isinstance(err, openai.BadRequestError)
    assert isinstance(err, openai.NotFoundError)
    assert err.status_code == 400
    assert "https://openrouter.ai/models" in str(err)
    # any other 400 stays a plain bad request
    other = error_from_payload({"code": 400, "message": "temperature: bad"}, status_code=400)
    assert type(other) is BadRequestError


def test_recorded_429_keeps_provider_and_raw(wire) -> None:
    body = wire.json("pa_err_429.response.json")
    err = error_from_payload(
        body["error"], status_code=429, response=_Response({"Retry-After": "7"}, 2)
    )
    assert isinstance(err, RateLimitError)
    assert err.provider_name == "Google"
    assert "rate-limited upstream" in str(err.raw)
    assert err.retry_after == 7.0
    assert err.attempts == 3
    assert "(provider Google)" in str(err)


def test_recorded_401_and_402(wire) -> None:
    auth = error_from_payload(wire.json("rl_err_401.response.json")["error"], status_code=401)
    assert isinstance(auth, AuthenticationError)
    assert "OPENROUTER_API_KEY" in str(auth)
    credits = error_from_payload(wire.json("q_err_402_credits.response.json")["error"])
    assert isinstance(credits, InsufficientCreditsError)
    assert credits.provider_name is None
    assert "credits" in str(credits).lower()


def test_retry_after_from_metadata_and_ms_header() -> None:
    err = error_from_payload(
        {"code": 429, "message": "slow down", "metadata": {"retry_after_seconds": 12}}
    )
    assert err.retry_after == 12.0
    err = error_from_payload(
        {"code": 429, "message": "x"}, response=_Response({"retry-after-ms": "1500"})
    )
    assert err.retry_after == 1.5


def test_raw_json_inside_a_string_inside_a_string_is_decoded() -> None:
    inner = json.dumps({"error": {"message": "upstream died", "details": json.dumps({"code": 17})}})
    err = error_from_payload(
        {
            "code": 502,
            "message": "Provider returned error",
            "metadata": {"provider_name": "GMICloud", "raw": json.dumps(inner)},
        },
        status_code=502,
    )
    assert isinstance(err, ProviderError)
    assert err.raw == {"error": {"message": "upstream died", "details": {"code": 17}}}
    assert err.metadata["raw"] == err.raw
    assert decode_raw("plain words") == "plain words"
    assert decode_raw('{"broken": ') == '{"broken": '


def test_moderation_metadata() -> None:
    err = error_from_payload(
        {
            "code": 403,
            "message": "Your input was flagged",
            "metadata": {
                "reasons": ["violence"],
                "flagged_input": "some...text",
                "provider_name": "OpenAI",
                "model_slug": "openai/gpt-4o",
            },
        },
        status_code=403,
    )
    assert isinstance(err, ModerationError)
    assert isinstance(err, PermissionDeniedError)
    assert err.reasons == ["violence"]
    assert err.flagged_input == "some...text"


@pytest.mark.parametrize(
    "payload",
    [
        {
            "code": 400,
            "message": "This endpoint's maximum context length is 200000 tokens. "
            "However, you requested about 2500021 tokens",
        },
        {"code": 400, "message": "bad", "metadata": {"error_type": "context_length_exceeded"}},
    ],
)
def test_context_length_detection(payload: dict) -> None:
    err = error_from_payload(payload, status_code=400)
    assert isinstance(err, ContextLengthExceededError)
    assert isinstance(err, BadRequestError)
    assert "context" in str(err).lower()


def test_error_type_used_when_code_is_not_a_status() -> None:
    err = error_from_payload(
        {"code": "x", "message": "m", "metadata": {"error_type": "rate_limit_exceeded"}}
    )
    assert isinstance(err, RateLimitError)
    assert err.error_type == "rate_limit_exceeded"


def test_200_with_error_body_raises_with_usage() -> None:
    body = {
        "id": "gen-5",
        "error": {"code": 502, "message": "upstream failed"},
        "usage": {"prompt_tokens": 4, "completion_tokens": 0, "total_tokens": 4, "cost": 0.00002},
    }
    with pytest.raises(ProviderError) as info:
        raise_for_error_body(body, model="x/y")
    assert info.value.usage is not None
    assert info.value.usage.cost == Decimal("0.00002")
    assert info.value.generation_id == "gen-5"


def test_null_choices_is_an_error_not_an_empty_answer() -> None:
    with pytest.raises(ProviderError, match="no choices"):
        raise_for_error_body({"id": "gen-1", "choices": None})
    with pytest.raises(ProviderError, match="JSON object"):
        raise_for_error_body([1, 2])
    usage = {"prompt_tokens": 4, "completion_tokens": 0, "total_tokens": 4, "cost": 0.00001}
    with pytest.raises(ProviderError, match="no choices") as info:
        raise_for_error_body({"id": "gen-2", "choices": [], "usage": usage})
    assert info.value.generation_id == "gen-2"
    assert info.value.usage is not None
    assert info.value.usage.input_tokens == 4  # billed usage still reported
    ok = {"id": "gen", "choices": [{"index": 0, "message": {"content": "x"}}]}
    assert raise_for_error_body(ok) is ok
    assert raise_for_error_body({"data": []}, require_choices=False) == {"data": []}


@pytest.mark.parametrize("finish", ["error", None])
def test_a_choice_error_in_a_200_is_an_error_with_the_partial_text(finish: str | None) -> None:
    body = {
        "id": "gen-7",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Half an ans"},
                "finish_reason": finish,
                "error": {"code": 502, "message": "Provider returned error"},
            }
        ],
        "usage": {"prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7, "cost": 0.0001},
    }
    with pytest.raises(ProviderError) as info:
        raise_for_error_body(body, model="x/y")
    assert info.value.partial_text == "Half an ans"
    assert info.value.generation_id == "gen-7"
    assert info.value.usage is not None
    assert info.value.usage.output_tokens == 3
    del body["choices"][0]["error"]
    body["choices"][0]["finish_reason"] = "error"
    with pytest.raises(ProviderError, match="ended the response"):
        raise_for_error_body(body)


def test_map_errors_translates_transport_exceptions_by_class_hierarchy() -> None:
    # Shaped like httpx's exception tree, which this package never imports.
    ns: dict = {}
    exec(  # noqa: S102 - builds classes that live in a module named like the HTTP library
        "class HTTPError(Exception): pass\n"
        "class TransportError(HTTPError): pass\n"
        "class TimeoutException(TransportError): pass\n"
        "class ReadTimeout(TimeoutException): pass\n"
        "class RemoteProtocolError(TransportError): pass\n",
        ns,
    )
    for name in (
        "HTTPError",
        "TransportError",
        "TimeoutException",
        "ReadTimeout",
        "RemoteProtocolError",
    ):
        ns[name].__module__ = "httpx2._exceptions"
    with pytest.raises(RequestTimeoutError) as timeout, map_errors("m/x"):
        raise ns["ReadTimeout"]("read timed out")
    assert isinstance(timeout.value.__cause__, ns["ReadTimeout"])
    with pytest.raises(APIConnectionError), map_errors("m/x"):
        raise ns["RemoteProtocolError"](
            "peer closed connection without sending complete message body"
        )
    with pytest.raises(KeyError), map_errors():
        raise KeyError("unrelated errors pass through")


def test_already_typed_errors_pass_through_unchanged() -> None:
    original = RateLimitError("x", status_code=429)
    assert translate_exception(original) is None
    with pytest.raises(RateLimitError) as info, map_errors():
        raise original
    assert info.value is original


def test_errors_pickle_and_keep_fields() -> None:
    err = error_from_payload(
        {"code": 429, "message": "m", "metadata": {"provider_name": "P"}}, model="a/b"
    )
    copy = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert type(copy) is RateLimitError
    assert (copy.status_code, copy.provider_name, copy.model) == (429, "P", "a/b")
    assert str(copy) == str(err)
