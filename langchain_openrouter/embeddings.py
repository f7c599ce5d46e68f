"""``OpenRouterEmbeddings``: LangChain embeddings through OpenRouter's ``POST /embeddings``."""

from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.utils import secret_from_env
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_serializer

from openrouter_core import gateway
from openrouter_core.embeddings import DEFAULT_BATCH_SIZE, DEFAULT_EMBEDDING_MODEL, check_texts
from openrouter_core.options import ProviderPreferences
from openrouter_core.settings import ClientConfig, public_headers

__all__ = ["OpenRouterEmbeddings"]


class OpenRouterEmbeddings(BaseModel, Embeddings):
    """Embed texts with any OpenRouter embedding model.

    Texts are sent in batches of ``batch_size`` (one ``POST /embeddings`` each), through the
    shared ``openai`` client, so retries and timeouts are the SDK's; every batch's tokens and
    exact cost reach the usage observers (the ledger). The key is a ``SecretStr`` and never
    appears in ``repr`` or serialized output.

    Example:
        .. code-block:: python

            from langchain_openrouter import OpenRouterEmbeddings

            embeddings = OpenRouterEmbeddings(model="openai/text-embedding-3-small")
            vectors = embeddings.embed_documents(["first text", "second text"])
            query = embeddings.embed_query("what is in the first text?")
    """

    model_config = ConfigDict(populate_by_name=True, extra="forbid", protected_namespaces=())

    model: str = DEFAULT_EMBEDDING_MODEL
    """The embedding model id, e.g. ``"openai/text-embedding-3-small"``."""
    openrouter_api_key: SecretStr | None = Field(
        alias="api_key", default_factory=secret_from_env("OPENROUTER_API_KEY", default=None)
    )
    """The OpenRouter key; read from ``OPENROUTER_API_KEY`` when not given."""
    openrouter_api_base: str | None = Field(default=None, alias="base_url")
    """API root; default ``$OPENROUTER_BASE_URL`` or ``https://openrouter.ai/api/v1``."""
    dimensions: int | None = Field(default=None, gt=0)
    """Vector size, for models that can shorten their output (``text-embedding-3-*``)."""
    batch_size: int = Field(default=DEFAULT_BATCH_SIZE, gt=0)
    """Texts per request."""
    provider: ProviderPreferences | None = None
    """Provider routing preferences (``order``, ``only``, ``ignore``, ``sort``...)."""
    request_timeout: float | None = Field(default=None, alias="timeout")
    """Seconds to wait for each request (``None``: the SDK default)."""
    max_retries: int = Field(default=2, ge=0)
    """Retries the SDK makes on connection errors, 429 and 5xx (``0`` = one attempt)."""
    app_url: str | None = None
    """Your app's URL, sent as ``HTTP-Referer`` for OpenRouter's app attribution."""
    app_title: str | None = None
    """Your app's name, sent as ``X-Title`` and ``X-OpenRouter-Title``."""
    default_headers: dict[str, str] | None = Field(default=None, repr=False)
    """Extra headers for every request (they win over the attribution headers); headers that
    carry credentials are never shown or serialized."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Further body fields sent with every request (e.g. ``{"input_type": "query"}``)."""

    _config: Any = PrivateAttr(default=None)

    @field_serializer("default_headers")
    def _serialize_headers(self, headers: dict[str, str] | None) -> dict[str, str] | None:
        return public_headers(headers)

    def _client_config(self) -> ClientConfig:
        # Built at the first call, not in the constructor, so construction stays offline.
        config: ClientConfig | None = self._config
        if config is None:
            config = self._config = ClientConfig.build(
                api_key=self.openrouter_api_key,
                base_url=self.openrouter_api_base,
                timeout=self.request_timeout,
                max_retries=self.max_retries,
                headers=self.default_headers,
                model=self.model,
                app_url=self.app_url,
                app_title=self.app_title,
            )
        return config

    def _settings(self) -> dict[str, Any]:
        return {
            "batch_size": self.batch_size,
            "dimensions": self.dimensions,
            "provider": self.provider,
            "extra": self.model_kwargs,
        }

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed a list of texts, in order.

        Raises:
            TypeError: ``texts`` is not a list of strings (before any request).
            MissingAPIKeyError: No key is configured (before any request).
            OpenRouterError: A request failed; no partial result is returned.
        """
        texts = check_texts(texts)
        if not texts:
            return []
        return gateway.embed(self._client_config(), self.model, texts, **self._settings())

    def embed_query(self, text: str) -> list[float]:
        """Embed one text."""
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Asynchronous :meth:`embed_documents`."""
        texts = check_texts(texts)
        if not texts:
            return []
        return await gateway.aembed(self._client_config(), self.model, texts, **self._settings())

    async def aembed_query(self, text: str) -> list[float]:
        """Asynchronous :meth:`embed_query`."""
        return (await self.aembed_documents([text]))[0]
