"""``POST /chat/completions`` on the emulator: routing, refusals, answers, streams and failures.

A request is checked (messages present), routed to a catalog model and provider
(:func:`~openrouter_core.testing._catalog.resolve_route`), refused where OpenRouter refuses it
(an output modality the model lacks, a prompt over the context window, tool definitions the
upstream rejects; :mod:`~openrouter_core.testing._checks`), then answered from the scripted
reply queue or by the generic model, as JSON or SSE, and billed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from openrouter_core.testing import replies as _replies
from openrouter_core.testing._billing import Billing, BillRequest
from openrouter_core.testing._catalog import Route, RoutingError, resolve_route
from openrouter_core.testing._checks import Refusal, context_refusal, tools_refusal
from openrouter_core.testing._http import HttpRequest, Responder
from openrouter_core.testing._images import IMAGE_OUTPUT_TOKENS, image_data_url
from openrouter_core.testing._model import (
    GENERIC_SENTENCE,
    completion_tokens,
    generic_completion,
    native_finish_reason,
    reasoning_details_for,
    reasoning_text_of,
    service_tier_for,
)
from openrouter_core.testing._render import (
    SSE_DONE,
    Completion,
    ResponseMeta,
    ToolCall,
    completion_body,
    content_chunks,
    dumps,
    error_body,
    error_chunk,
    keepalive_bytes,
    processing_comment,
    sse_event,
    stream_chunks,
)
from openrouter_core.testing._state import EmulatorState, Options
from openrouter_core.testing._usage import (
    CacheOutcome,
    PromptAnalysis,
    UsageNumbers,
    analyze_prompt,
    apply_cache,
    compute_usage,
    merge_usage,
    message_text,
    text_tokens,
    usage_payload,
)
from openrouter_core.testing._wire import send_error, send_error_reply, send_json

__all__ = ["ChatCompletions"]


@dataclass(frozen=True)
class _Exchange:
    """Per-request state of one chat completion."""

    request: HttpRequest
    body: Mapping[str, Any]
    route: Route
    meta: ResponseMeta
    analysis: PromptAnalysis
    cache: CacheOutcome
    stream: bool
    options: Options
    images: int

    def usage(self, completion: Completion | None, reasoning_tokens: int) -> UsageNumbers:
        images = 0 if completion is None else len(completion.images) * IMAGE_OUTPUT_TOKENS
        count = 0 if completion is None else completion_tokens(completion, reasoning_tokens)
        return compute_usage(
            prompt_tokens=self.analysis.prompt_tokens,
            completion_tokens=count + images,
            prices=self.route.prices,
            reasoning_tokens=reasoning_tokens,
            cache=self.cache,
            audio_tokens=self.analysis.audio_tokens,
            video_tokens=self.analysis.video_tokens,
            image_tokens=images,
        )

    def bill_request(self) -> BillRequest:
        return BillRequest(
            generation_id=self.meta.id,
            requested_model=self.route.requested,
            model_id=self.route.model_id,
            served_model=self.meta.model,
            provider=self.meta.provider,
            router=self.route.router,
            streamed=self.stream,
            media=sum(self.analysis.media.values()),
            body=self.body,
            request=self.request,
        )


def _wants_images(body: Mapping[str, Any]) -> bool:
    modalities = body.get("modalities")
    return isinstance(modalities, list) and "image" in modalities


def _outputs(route: Route) -> list[str]:
    architecture = route.model.get("architecture") or {}
    return list(architecture.get("output_modalities") or ["text"])


def _tool_tokens(body: Mapping[str, Any]) -> int:
    return sum(text_tokens(dumps(tool).decode()) for tool in body.get("tools") or ())


def _max_output(body: Mapping[str, Any]) -> int:
    value = body.get("max_completion_tokens") or body.get("max_tokens")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _last_user_text(body: Mapping[str, Any]) -> str:
    for message in reversed(body.get("messages") or ()):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return message_text(message.get("content"))
    prompt = body.get("prompt")
    return prompt if isinstance(prompt, str) else ""


class ChatCompletions:
    """Answers ``POST /chat/completions``.

    Args:
        state: The shared state.
        billing: Where generations are billed.
    """

    def __init__(self, state: EmulatorState, billing: Billing) -> None:
        self._state = state
        self._billing = billing

    async def _refuse(self, out: Responder, refusal: Refusal) -> None:
        await send_error(
            out,
            refusal.status,
            refusal.message,
            metadata=refusal.metadata,
            user_id=self._state.user_id,
        )

    def _route(self, body: Mapping[str, Any], reply: _replies.Reply | None) -> Route:
        state = self._state
        route = resolve_route(
            body,
            state.by_id,
            state.providers,
            auto_model=state.auto_model,
            lenient=reply is not None,
        )
        override_model = getattr(reply, "model", None)
        override_provider = getattr(reply, "provider", None)
        if override_model or override_provider:
            route = replace(
                route,
                served=override_model or route.served,
                provider=override_provider or route.provider,
            )
        return route

    def _refusal(
        self, body: Mapping[str, Any], route: Route, analysis: PromptAnalysis
    ) -> Refusal | None:
        if not route.model:
            return None
        if _wants_images(body) and "image" not in _outputs(route):
            message = (
                "No endpoints found that support the requested output modalities: "
                + ", ".join(str(m) for m in body.get("modalities") or ())
            )
            return Refusal(404, message, {})
        tools = _tool_tokens(body)
        refusal = context_refusal(
            route.model,
            text_tokens=max(0, analysis.prompt_tokens - tools),
            tool_tokens=tools,
            output_tokens=_max_output(body),
        )
        return refusal or tools_refusal(body, family=route.family, provider=route.provider)

    async def handle(self, request: HttpRequest, out: Responder, body: dict[str, Any]) -> None:
        """Answer one chat request."""
        state = self._state
        messages = body.get("messages")
        if not (isinstance(messages, list) and messages) and not isinstance(
            body.get("prompt"), str
        ):
            message = 'Input required: specify "prompt" or "messages"'
            await send_error(out, 400, message, user_id=state.user_id)
            return
        reply, options = await state.next_reply("chat")
        if isinstance(reply, _replies.ErrorReply):
            await send_error_reply(out, reply, state.user_id)
            return
        try:
            route = self._route(body, reply)
        except RoutingError as exc:
            user_id = state.user_id if exc.with_user_id else None
            await send_error(out, exc.status, exc.message, user_id=user_id)
            return
        analysis = analyze_prompt(body, cache_scope=route.served)
        refusal = self._refusal(body, route, analysis)
        if refusal is not None:
            await self._refuse(out, refusal)
            return
        cache = CacheOutcome()
        if route.supports_caching:
            with state.lock:
                cache = apply_cache(analysis, state.cache)
                state.cache.update(cache.new_keys)
        meta = ResponseMeta(
            id=state.new_generation_id(),
            created=state.now(),
            model=route.served,
            provider=route.provider,
            service_tier=service_tier_for(route.provider),
        )
        exchange = _Exchange(
            request=request,
            body=body,
            route=route,
            meta=meta,
            analysis=analysis,
            cache=cache,
            stream=body.get("stream") is True,
            options=options,
            images=1 if _wants_images(body) and "image" in _outputs(route) else 0,
        )
        await self._dispatch(out, exchange, reply)

    async def _dispatch(
        self, out: Responder, exchange: _Exchange, reply: _replies.Reply | None
    ) -> None:
        headers = [("X-Generation-Id", exchange.meta.id)]
        if isinstance(reply, _replies.ErrorIn200Reply):
            await self._serve_error_in_200(out, exchange, reply, headers)
        elif isinstance(reply, _replies.MidstreamErrorReply):
            await self._serve_midstream_error(out, exchange, reply, headers)
        elif isinstance(reply, _replies.DropConnectionReply):
            await self._serve_drop(out, exchange, reply, headers)
        else:
            if isinstance(reply, (_replies.TextReply, _replies.ToolCallsReply)):
                completion, reasoning_tokens = self._scripted(reply, exchange.route)
                override = reply.usage
                same_chunk = isinstance(reply, _replies.ToolCallsReply) and reply.same_chunk
            else:
                completion, reasoning_tokens = self._generic(exchange)
                override, same_chunk = None, False
            numbers = exchange.usage(completion, reasoning_tokens)
            usage = merge_usage(usage_payload(numbers), override)
            self._billing.bill_chat(
                exchange.bill_request(), completion, numbers, usage, failed=False
            )
            await self._serve_completion(out, exchange, completion, usage, headers, same_chunk)

    # ------------------------------------------------------------------ completions

    def _with_images(self, exchange: _Exchange, completion: Completion) -> Completion:
        if not exchange.images:
            return completion
        prompt = _last_user_text(exchange.body)
        url = image_data_url(prompt, exchange.body.get("image_config"))
        return replace(completion, images=(url,))

    def _scripted(
        self, reply: _replies.TextReply | _replies.ToolCallsReply, route: Route
    ) -> tuple[Completion, int]:
        reasoning = reply.reasoning
        details: tuple[Mapping[str, Any], ...] | None = reply.reasoning_details
        if details is None and reasoning:
            details = reasoning_details_for(route.family, reasoning)
        if reasoning is None and details is not None:
            reasoning = reasoning_text_of(details)
        reasoning_tokens = text_tokens(reasoning or "")
        native = reply.native_finish_reason or native_finish_reason(
            route.family, reply.finish_reason
        )
        if isinstance(reply, _replies.TextReply):
            completion = Completion(
                content=reply.content,
                reasoning=reasoning,
                reasoning_details=details,
                finish_reason=reply.finish_reason,
                native_finish_reason=native,
                annotations=None if reply.annotations is None else list(reply.annotations),
            )
        else:
            calls = tuple(
                ToolCall(
                    call.id or self._state.tool_call_id(route, call.name, i),
                    call.name,
                    call.arguments,
                )
                for i, call in enumerate(reply.calls)
            )
            completion = Completion(
                content=reply.content,
                reasoning=reasoning,
                reasoning_details=details,
                tool_calls=calls,
                finish_reason=reply.finish_reason,
                native_finish_reason=native,
            )
        return completion, reasoning_tokens

    def _generic(self, exchange: _Exchange) -> tuple[Completion, int]:
        route = exchange.route
        completion, reasoning_tokens = generic_completion(
            exchange.body,
            route,
            lambda name, index: self._state.tool_call_id(route, name, index),
        )
        if exchange.images:
            prompt = " ".join(_last_user_text(exchange.body).split())[:120]
            completion = replace(completion, content=f"Here is an image of {prompt}")
        return self._with_images(exchange, completion), reasoning_tokens

    def _partial_text(self, exchange: _Exchange, content: str | None, chunks: int) -> str:
        if content is None:
            completion, _ = self._generic(exchange)
            content = completion.content or GENERIC_SENTENCE
        return content[: max(0, chunks) * exchange.options.chunk_chars]

    # ------------------------------------------------------------------ sending

    async def _serve_completion(
        self,
        out: Responder,
        exchange: _Exchange,
        completion: Completion,
        usage: Mapping[str, Any],
        headers: Sequence[tuple[str, str]],
        same_chunk: bool,
    ) -> None:
        options = exchange.options
        if not exchange.stream:
            payload = completion_body(exchange.meta, completion, usage)
            await send_json(
                out, 200, payload, headers=headers, whitespace=options.keepalive_whitespace
            )
            return
        chunks = stream_chunks(
            exchange.meta,
            completion,
            usage,
            chunk_chars=options.chunk_chars,
            usage_chunk=options.usage_chunk,
            same_chunk=same_chunk,
        )
        await self._stream(out, exchange, chunks, headers, done=True)

    async def _stream(
        self,
        out: Responder,
        exchange: _Exchange,
        chunks: Sequence[Mapping[str, Any]],
        headers: Sequence[tuple[str, str]],
        *,
        done: bool,
    ) -> None:
        options = exchange.options
        await out.start_stream(200, headers=headers)
        try:
            for _ in range(options.processing_comments):
                await out.write_chunk(processing_comment())
            for chunk in chunks:
                if options.chunk_delay:
                    await asyncio.sleep(options.chunk_delay)
                await out.write_chunk(sse_event(chunk))
            if done:
                await out.write_chunk(SSE_DONE)
                await out.end_stream()
        except ConnectionError:
            self._billing.mark_cancelled(exchange.meta.id)
            raise

    async def _serve_error_in_200(
        self,
        out: Responder,
        exchange: _Exchange,
        reply: _replies.ErrorIn200Reply,
        headers: Sequence[tuple[str, str]],
    ) -> None:
        numbers = exchange.usage(None, 0)
        usage = None if reply.usage is None else merge_usage(usage_payload(numbers), reply.usage)
        self._billing.bill_chat(exchange.bill_request(), None, numbers, usage, failed=True)
        error: dict[str, Any] = {"code": reply.code, "message": reply.message}
        if reply.metadata is not None:
            error["metadata"] = dict(reply.metadata)
        if exchange.stream:
            chunk = error_chunk(exchange.meta, error, finish_reason="error", usage=usage)
            await self._stream(out, exchange, [chunk], headers, done=True)
            return
        payload = error_body(reply.code, reply.message, metadata=reply.metadata)
        if usage is not None:
            payload["usage"] = usage
        await send_json(
            out, 200, payload, headers=headers, whitespace=exchange.options.keepalive_whitespace
        )

    async def _serve_midstream_error(
        self,
        out: Responder,
        exchange: _Exchange,
        reply: _replies.MidstreamErrorReply,
        headers: Sequence[tuple[str, str]],
    ) -> None:
        text = self._partial_text(exchange, reply.content, reply.after_chunks)
        error: dict[str, Any] = {"code": reply.code, "message": reply.message}
        if reply.metadata is not None:
            error["metadata"] = dict(reply.metadata)
        completion = Completion(
            content=text,
            finish_reason=reply.finish_reason,
            native_finish_reason=None,
            error=error,
        )
        numbers = exchange.usage(completion, 0)
        usage = merge_usage(usage_payload(numbers), reply.usage)
        self._billing.bill_chat(exchange.bill_request(), completion, numbers, usage, failed=True)
        if not exchange.stream:
            payload = completion_body(exchange.meta, completion, usage)
            await send_json(
                out, 200, payload, headers=headers, whitespace=exchange.options.keepalive_whitespace
            )
            return
        chunks = content_chunks(exchange.meta, text, exchange.options.chunk_chars)
        chunks.append(
            error_chunk(exchange.meta, error, finish_reason=reply.finish_reason, usage=usage)
        )
        await self._stream(out, exchange, chunks, headers, done=True)

    async def _serve_drop(
        self,
        out: Responder,
        exchange: _Exchange,
        reply: _replies.DropConnectionReply,
        headers: Sequence[tuple[str, str]],
    ) -> None:
        text = self._partial_text(exchange, reply.content, reply.after_chunks)
        completion = Completion(content=text, finish_reason=None)
        numbers = exchange.usage(completion, 0)
        self._billing.bill_chat(exchange.bill_request(), completion, numbers, None, failed=True)
        self._billing.mark_cancelled(exchange.meta.id)
        if not exchange.stream:
            if reply.after_chunks <= 0:
                await out.abort()
                return
            full = completion_body(exchange.meta, completion, usage_payload(numbers))
            data = keepalive_bytes(exchange.options.keepalive_whitespace) + dumps(full)
            await out.send_truncated(200, data, len(data) // 2, headers=headers)
            return
        chunks = content_chunks(exchange.meta, text, exchange.options.chunk_chars)
        await self._stream(out, exchange, chunks, headers, done=False)
        await out.abort()
