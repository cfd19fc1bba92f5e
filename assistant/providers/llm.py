"""The one module that knows language-model providers: OpenAI-compatible endpoints tried in
order, each failure (timeout, connection, 429, 5xx, bad key) passing to the next."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.core.models import Restart, Token

if TYPE_CHECKING:
    from llama_index.core.llms import LLM, ChatMessage

    from assistant.core.settings import LLMProvider

logger = logging.getLogger(__name__)
INSTALL_HINT = "pip install 'vendorintel[llm]' (or llama-index-llms-openai-like)"


class LLMUnavailableError(RuntimeError):
    """Every provider failed; `failures` says why, one line each (never a key)."""

    def __init__(self, failures: list[str]) -> None:
        super().__init__("; ".join(failures) or "no language-model provider is configured")
        self.failures = failures


@dataclass(frozen=True)
class Generation:
    """A finished reply and who wrote it."""

    text: str
    provider: str
    model: str
    latency_ms: int
    prompt_tokens: int
    completion_tokens: int

    @property
    def label(self) -> str:
        return f"{self.provider} ({self.model})"


Message = tuple[str, str]  # (role, content)


def count_tokens(text: str) -> int:
    """Tokens as OpenAI models count them (tiktoken, with llama-index's bundled encoding)."""
    from llama_index.core.utils import get_tokenizer

    return len(get_tokenizer()(text))


def failure_reason(exc: BaseException, timeout_s: float) -> str:
    """Why a call failed, from the error's type and status only (messages may echo input)."""
    import httpx
    import openai

    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return f"timed out after {timeout_s:g} s"
    if isinstance(exc, openai.APIConnectionError):
        return "could not connect"
    if isinstance(exc, openai.RateLimitError):
        return "rate limited (HTTP 429)"
    if isinstance(exc, openai.AuthenticationError):
        return "API key refused (HTTP 401): check its environment variable"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, httpx.HTTPError):
        return "connection lost mid-answer"
    return type(exc).__name__


class ProviderChain:
    """Tries each configured provider in order; see `stream` and `complete`."""

    def __init__(self, providers: Sequence[LLMProvider], temperature: float = 0.0) -> None:
        import_openai_like()  # fail at start, saying what to install, not at the first question
        self.providers = list(providers)
        self.temperature = temperature
        self._clients: dict[str, LLM] = {}

    def client(self, provider: LLMProvider) -> LLM:
        if provider.name not in self._clients:
            self._clients[provider.name] = build_client(provider, self.temperature)
        return self._clients[provider.name]

    def complete(self, messages: Sequence[Message]) -> Generation:
        """The whole reply of the first provider that answers."""
        for event in self._run(messages, stream=False):
            if isinstance(event, Generation):
                return event
        raise AssertionError("unreachable: _run ends with a Generation or raises")

    def stream(self, messages: Sequence[Message]) -> Iterator[Token | Restart | Generation]:
        """Tokens as they arrive, a Restart when a provider fails mid-reply, then the
        Generation; raises LLMUnavailableError when every provider has failed."""
        yield from self._run(messages, stream=True)

    def _run(
        self, messages: Sequence[Message], stream: bool
    ) -> Iterator[Token | Restart | Generation]:
        import httpx
        import openai

        chat = to_chat_messages(messages)
        prompt_tokens = sum(count_tokens(content) for _, content in messages)
        failures: list[str] = []
        for provider in self.providers:
            started = time.perf_counter()
            parts: list[str] = []
            try:
                llm = self.client(provider)
                if stream:
                    for chunk in llm.stream_chat(chat):
                        if chunk.delta:
                            parts.append(chunk.delta)
                            yield Token(chunk.delta)
                else:
                    parts.append(llm.chat(chat).message.content or "")
            # httpx errors are those of a stream cut after it started (openai wraps the rest).
            except (openai.OpenAIError, httpx.HTTPError) as exc:
                reason = failure_reason(exc, provider.timeout_s)
                failures.append(f"{provider.name}: {reason}")
                logger.warning("provider %s failed: %s; trying the next", provider.name, reason)
                if parts:
                    yield Restart(f"{provider.name} {reason}")
                continue
            text = "".join(parts)
            generation = Generation(
                text=text,
                provider=provider.name,
                model=provider.model,
                latency_ms=round((time.perf_counter() - started) * 1000),
                prompt_tokens=prompt_tokens,
                completion_tokens=count_tokens(text),
            )
            logger.info(
                "answered by %s in %d ms: %d prompt tokens, %d completion tokens",
                generation.label,
                generation.latency_ms,
                generation.prompt_tokens,
                generation.completion_tokens,
            )
            yield generation
            return
        raise LLMUnavailableError(failures)


def to_chat_messages(messages: Sequence[Message]) -> list[ChatMessage]:
    from llama_index.core.llms import ChatMessage, MessageRole

    return [ChatMessage(role=MessageRole(role), content=content) for role, content in messages]


def build_client(provider: LLMProvider, temperature: float) -> LLM:
    """An OpenAI-like client without its own retries: the chain moves on instead."""
    openai_like = import_openai_like()
    key = provider.api_key.get_secret_value() if provider.api_key else "none"
    kwargs: dict[str, Any] = {
        "model": provider.model,
        "api_base": provider.base_url,
        "api_key": key,
        "is_chat_model": True,
        "context_window": provider.context_window,
        "max_tokens": provider.max_tokens,
        "temperature": temperature,
        "timeout": provider.timeout_s,
        "max_retries": 0,
    }
    llm: LLM = openai_like(**kwargs)
    return llm


def import_openai_like() -> Callable[..., LLM]:
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError as exc:
        raise ImportError(
            f"VENDORINTEL_LLM=openai needs the OpenAI-compatible client: {INSTALL_HINT}."
        ) from exc
    return OpenAILike
