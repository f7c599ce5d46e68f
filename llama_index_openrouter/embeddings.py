"""``OpenRouterEmbedding``: a LlamaIndex embedding model on OpenRouter's ``POST /embeddings``."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import Field, PrivateAttr, SecretStr, field_serializer, model_validator

from openrouter_core import gateway
from openrouter_core.embeddings import DEFAULT_BATCH_SIZE, DEFAULT_EMBEDDING_MODEL, check_texts
from openrouter_core.options import ProviderPreferences
from openrouter_core.settings import ClientConfig, public_headers

__all__ = ["OpenRouterEmbedding"]

_ALIASES = {"model": "model_name", "base_url": "api_base", "batch_size": "embed_batch_size"}


class OpenRouterEmbedding(BaseEmbedding):
    """Embed texts with any OpenRouter embedding model, in LlamaIndex.

    LlamaIndex splits batches by ``embed_batch_size``; each batch is one ``POST /embeddings``
    through the shared ``openai`` client (retries and timeouts are the SDK's), and every
    batch's tokens and exact cost reach the usage observers (the ledger). The key is read
    from ``OPENROUTER_API_KEY`` at the first call when not given; it never appears in
    ``repr`` or in ``to_dict()`` / ``to_json()``.

    Example:
        .. code-block:: python

            from llama_index_openrouter import OpenRouterEmbedding

            embed_model = OpenRouterEmbedding(model="openai/text-embedding-3-small")
            vectors = embed_model.get_text_embedding_batch(["first text", "second text"])
            query = embed_model.get_query_embedding("what is in the first text?")
    """

    model_name: str = Field(
        default=DEFAULT_EMBEDDING_MODEL, description="The OpenRouter embedding model id."
    )
    embed_batch_size: int = Field(
        default=DEFAULT_BATCH_SIZE, gt=0, le=2048, description="Texts per request."
    )
    api_key: SecretStr | None = Field(
        default=None,
        exclude=True,
        description="The OpenRouter key; default $OPENROUTER_API_KEY (never serialized).",
    )
    api_base: str | None = Field(
        default=None, description="API root; default $OPENROUTER_BASE_URL or the public API."
    )
    dimensions: int | None = Field(
        default=None, gt=0, description="Vector size, for models that can shorten it."
    )
    provider: ProviderPreferences | None = Field(
        default=None, description="Provider routing preferences (order, only, sort...)."
    )
    timeout: float | None = Field(default=None, description="Seconds to wait for each request.")
    max_retries: int = Field(default=2, ge=0, description="Retries the SDK makes.")
    app_url: str | None = Field(default=None, description="Sent as HTTP-Referer.")
    app_title: str | None = Field(default=None, description="Sent as X-Title.")
    default_headers: dict[str, str] | None = Field(
        default=None,
        repr=False,
        description="Extra headers for every request (credential headers never serialized).",
    )
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Further body fields sent with every request."
    )

    _config: Any = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _accept_aliases(cls, data: Any) -> Any:
        # ``model=``/``base_url=``/``batch_size=`` read as the LlamaIndex field names.
        if isinstance(data, dict):
            for alias, name in _ALIASES.items():
                if alias in data and name not in data:
                    data = {**data, name: data[alias]}
                    del data[alias]
        return data

    @field_serializer("default_headers")
    def _serialize_headers(self, headers: dict[str, str] | None) -> dict[str, str] | None:
        return public_headers(headers)

    @classmethod
    def class_name(cls) -> str:
        """The serialization id."""
        return "OpenRouterEmbedding"

    def _client_config(self) -> ClientConfig:
        # Built at the first call, not in the constructor, so construction stays offline.
        config: ClientConfig | None = self._config
        if config is None:
            config = self._config = ClientConfig.build(
                api_key=self.api_key,
                base_url=self.api_base,
                timeout=self.timeout,
                max_retries=self.max_retries,
                headers=self.default_headers,
                model=self.model_name,
                app_url=self.app_url,
                app_title=self.app_title,
            )
        return config

    def _settings(self) -> dict[str, Any]:
        return {
            "batch_size": self.embed_batch_size,
            "dimensions": self.dimensions,
            "provider": self.provider,
            "extra": self.additional_kwargs,
        }

    def _embed(self, texts: list[str]) -> list[list[float]]:
        texts = check_texts(texts)
        if not texts:
            return []
        return gateway.embed(self._client_config(), self.model_name, texts, **self._settings())

    async def _aembed(self, texts: list[str]) -> list[list[float]]:
        texts = check_texts(texts)
        if not texts:
            return []
        config = self._client_config()
        return await gateway.aembed(config, self.model_name, texts, **self._settings())

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return (await self._aembed([query]))[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text])[0]

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return (await self._aembed([text]))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return await self._aembed(texts)
