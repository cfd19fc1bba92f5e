"""Follow-up questions rewritten into standalone ones, so retrieval sees the whole question."""

from __future__ import annotations

import re

from assistant.core.catalog import VendorCatalog

# "and for Anthropic?", "what about Baidu?", "same for DeepSeek", "how about its roadmap?"
FOLLOW_UP_START = re.compile(
    r"^\s*(?:and|also|what about|how about|same (?:for|with)|and for|and what about|then)\b[\s,]*",
    re.IGNORECASE,
)
REFERS_BACK = re.compile(r"\b(?:it|its|they|their|them|that|this|those|these)\b", re.IGNORECASE)
QUESTION_START = re.compile(
    r"^\s*(?:what|which|who|when|where|why|how|did|does|do|is|are|was|were|can|could|should|"
    r"will|would|has|have|list|show|compare)\b",
    re.IGNORECASE,
)
FRAGMENT = 3  # words: "Anthropic?" or "for OpenAI" lean on the previous question


def is_follow_up(question: str) -> bool:
    words = question.split()
    if FOLLOW_UP_START.match(question):
        return True
    if len(words) <= FRAGMENT and not QUESTION_START.match(question):
        return True
    return len(words) <= 8 and bool(REFERS_BACK.search(question))


def standalone_question(previous: str | None, question: str, catalog: VendorCatalog) -> str:
    """Rewrite a follow-up using the previous standalone question; other questions stay as asked.

    A follow-up naming other vendors swaps them into the previous question ("and for
    Anthropic?"); one naming none is appended to it ("and its roadmap?").
    """
    question = " ".join(question.split())
    if not previous or not is_follow_up(question):
        return question
    new_vendors = catalog.mentions(question)
    if new_vendors:
        names = [name for _, _, name in new_vendors]
        old = catalog.mentions(previous)
        if not old:
            return f"{previous.rstrip(' ?')} for {' and '.join(dict.fromkeys(names))}?"
        if len(old) == 1:
            names = [" and ".join(dict.fromkeys(names))]
        rewritten, shift = previous, 0
        for index, (start, end, _) in enumerate(old):
            name = names[min(index, len(names) - 1)]
            rewritten = rewritten[: start + shift] + name + rewritten[end + shift :]
            shift += len(name) - (end - start)
        return rewritten
    addition = FOLLOW_UP_START.sub("", question).rstrip(" ?")
    return f"{previous.rstrip(' ?')}, {addition}?" if addition else previous
