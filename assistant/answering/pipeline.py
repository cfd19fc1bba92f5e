"""From a question to a cited answer: gather the evidence (passages and records), then answer
extractively or through a language model, falling back to extractive when none answers."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from llama_index.core.schema import QueryBundle

from assistant.answering.evidence import (
    RECORD_TYPES,
    Evidence,
    QuestionVectors,
    TermsSearch,
    about,
    clean_question,
    document_passages,
    merged,
    terms_searches,
)
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.followups import standalone_question
from assistant.answering.generation import words
from assistant.answering.intents import Intents
from assistant.answering.model_events import ModelEvents, names
from assistant.answering.part_search import PartSearch
from assistant.answering.parts import Part
from assistant.answering.records import ROLLBACK
from assistant.answering.retrieval import Focus, retrieve, years_in
from assistant.answering.support import on_topic, support_question, with_support
from assistant.answering.terms import missing_terms, without_names
from assistant.core.models import Answer, Restart, Token
from assistant.providers.llm import LLMUnavailableError

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.schema import NodeWithScore

    from assistant.answering.generation import GroundedAnswerer
    from assistant.answering.records import FactAnswerer
    from assistant.core.catalog import VendorCatalog
    from assistant.core.messages import Messages
    from assistant.core.settings import AnsweringSettings
    from assistant.storage.chunks import ChunkStore

logger = logging.getLogger(__name__)
KIND_FIT = 0.4  # how well a question must fit a kind of document to be asked of it first
KIND_MARGIN = 0.1  # and by how much better than news
KIND_ABSENT_FIT = 0.5  # how well it must fit to say a vendor without that kind lacks the answer
Events = Generator[Token | Restart | Answer, None, None]
Writing = Generator[Token | Restart, None, Answer]  # yields as it writes, returns the answer
MARKUP_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


class Answering:
    """From a question to its cited answer: the question path, wired by the app.

    `store_lock` is held around each read of the store only (the embedded store is not safe
    across threads); the model, the catalog and the records are asked for when needed, as
    they load lazily and change with each ingestion.
    """

    def __init__(
        self,
        settings: AnsweringSettings,
        store: ChunkStore,
        store_lock: AbstractContextManager[object],
        embed_model: Callable[[], BaseEmbedding],
        sentence_model: Callable[[], BaseEmbedding],
        catalog: Callable[[], VendorCatalog],
        records: Callable[[], FactAnswerer],
        messages: Messages,
        generator: GroundedAnswerer | None,
        max_question_chars: int,
    ) -> None:
        self.settings = settings
        self.store = store
        self.store_lock = store_lock
        self._embed_model = embed_model
        self._sentence_model = sentence_model
        self.catalog = catalog
        self.records = records
        self.message = messages
        self.generator = generator
        self.max_question_chars = max_question_chars
        self._query_vectors = QuestionVectors(lambda q: self.embed_model.get_query_embedding(q))
        # Set by the app: answer a question for the checkpoint list or the signals, if it is one.
        self.routes: list[Callable[[str, str | None], Answer | None]] = []
        self.model_events: ModelEvents  # set by the app: what a sentence says of a model

    @property
    def embed_model(self) -> BaseEmbedding:
        """The embedding model, loaded on first use."""
        return self._embed_model()

    def embed_query(self, question: str) -> list[float]:
        return self._query_vectors(question)

    def ask(self, question: str, vendor: str | None = None, top_k: int | None = None) -> Answer:
        """A short answer where every sentence cites its source, or a plain 'no evidence'."""
        events = self.events(question, vendor, top_k, stream=False)
        return [e for e in events if isinstance(e, Answer)][-1]

    def events(self, question: str, vendor: str | None, top_k: int | None, stream: bool) -> Events:
        """Tokens as the answer is written (when `stream`), restarts, then the final Answer."""
        limit = self.max_question_chars
        question, shortened = clean_question(question, limit)
        notice = self.message("question_shortened", limit=f"{limit:,}") if shortened else None
        if not any(c.isalnum() for c in question):  # nothing to search for
            yield Answer(answer=self.message("empty_question"), status="insufficient_evidence")
            return
        with self.store_lock:
            empty = not self.store.exists()
        if empty:
            yield Answer(answer=self.message("empty_index"), status="insufficient_evidence")
            return
        listed = next(filter(None, (route(question, vendor) for route in self.routes)), None)
        if listed is not None:
            if stream:
                yield from words(listed)
            yield listed
            return
        evidence = self.evidence(question, vendor, top_k or self.settings.top_k)
        if self.generator is None:
            answer = self.extractive(evidence)
            if stream:
                yield from words(answer)
        else:
            answer = yield from self.generated(evidence, stream)
        if notice:
            notices = " ".join(filter(None, [notice, answer.notice]))
            answer = answer.model_copy(update={"notice": notices})
        yield answer

    def standalone_question(self, previous: str | None, question: str) -> str:
        """A follow-up ("and for Anthropic?") rewritten with the previous question, by the
        language model when there is one, else by rules."""
        if previous and self.generator is not None:
            try:
                rewritten = self.generator.rewrite(previous, question)
            except LLMUnavailableError:
                rewritten = None
            if rewritten:
                return rewritten
        return standalone_question(previous, question, self.catalog())

    def evidence(self, question: str, vendor: str | None, top_k: int) -> Evidence:
        canonical = self.catalog().canonical(vendor) if vendor else None
        embedding = self.embed_query(question)
        focus = self.focus(question)
        passages = self.search(question, embedding, canonical, top_k, focus=focus)
        evidence = Evidence(question, embedding, canonical, passages, named=focus.vendors)
        self.search_parts(evidence, top_k, focus)
        from_records = sum(p.node.metadata.get("doc_type") in RECORD_TYPES for p in passages[:5])
        records = self.records()
        evidence.records = records.answer(question, embedding, from_records, canonical)
        if evidence.records is None:
            self.of_kind(evidence, records.intents, focus.vendors, top_k)
        if evidence.records is not None:
            rollback = bool(ROLLBACK.search(question))
            evidence.terms = terms_searches(
                question, evidence.records, rollback, self.message, self.embed_query
            )
        return evidence

    def search_parts(self, evidence: Evidence, top_k: int, focus: Focus) -> None:
        """Each part of a compound question searched on its own ("..., and by when?"), so
        every part has passages that can answer it."""
        parts, found = self.parts_found(evidence.question, evidence.vendor, top_k, focus)
        evidence.parts = parts
        evidence.passages = merged(evidence.passages, found)

    def parts_found(
        self, question: str, vendor: str | list[str] | None, top_k: int, focus: Focus
    ) -> tuple[list[Part], list[NodeWithScore]]:
        """The parts of a compound question, each with the passages its own search found."""
        parts = PartSearch(
            lambda text, embedding, vendor, top_k, focus: self.search(
                text, embedding, vendor, top_k, focus=focus
            ),
            self.embed_query,
            self.catalog(),
        )
        return parts.parts_found(question, vendor, top_k, focus)

    def of_kind(self, evidence: Evidence, intents: Intents, vendors: list[str], top_k: int) -> None:
        """A question for one kind of document (a contract's terms, a roadmap, an earnings
        note) is answered from that kind first; a vendor named with none of it is absent."""
        reading, bare = intents.read(evidence.embedding), without_names(evidence.question)
        kind = reading.document_kind
        fit = reading.documents[kind]
        if kind == "article" or fit < KIND_FIT or fit < reading.documents["article"] + KIND_MARGIN:
            return
        if bare and bare != evidence.question:  # "what did Anthropic report?": earnings, of whom
            fit = max(fit, intents.read(self.embed_query(bare)).documents[kind])
        if not self.search(evidence.question, evidence.embedding, None, 1, doc_type=kind):
            return  # the inbox holds no document of that kind: the folders say nothing
        evidence.kind = kind
        found: list[NodeWithScore] = []
        evidence.asked = [evidence.vendor] if evidence.vendor else vendors[:2]
        asked: list[str | None] = [*evidence.asked] or [None]
        for vendor in asked:
            hits = self.search(evidence.question, evidence.embedding, vendor, top_k, doc_type=kind)
            if vendor is not None and not hits and fit >= KIND_ABSENT_FIT:
                evidence.absent.append(vendor)
            found += hits
        evidence.passages = merged(found, evidence.passages)

    def focus(self, question: str) -> Focus:
        """The companies and years a question names (companies from the documents too)."""
        return Focus(self.catalog().detect(question), years_in(question))

    def search(
        self,
        question: str,
        embedding: list[float],
        vendor: str | list[str] | None,
        top_k: int,
        doc_type: str | None = None,
        focus: Focus | None = None,
    ) -> list[NodeWithScore]:
        query = QueryBundle(question, embedding=embedding)
        with self.store_lock:  # held for the search only, not for embedding or answering
            return retrieve(
                self.store,
                self.embed_model,
                query,
                top_k,
                vendor,
                doc_type,
                focus,
                alpha=self.settings.hybrid_alpha,
                rerank=self.settings.rerank_candidates,
            )

    def extract(
        self,
        question: str,
        embedding: list[float],
        hits: list[NodeWithScore],
        vendor: str | None,
        parts: list[Part] | None = None,
        exact: bool = True,
        kind: str | None = None,
    ) -> Answer:
        """The extractive answer from retrieved passages (see assistant/answering/extractive.py)."""
        answerer = ExtractiveAnswerer(
            self._sentence_model(),  # behind the content cache: a sentence is embedded once
            self.settings.min_evidence_score,
            self.settings.answer_sentences,
            self.catalog().names_for,
            self.message,
        )
        return answerer.answer(
            question,
            embedding,
            hits,
            lambda missing: self.no_evidence(question, vendor, missing),
            parts or (),
            exact,
            kind,
        )

    def extract_found(
        self,
        question: str,
        embedding: list[float],
        vendor: str | None,
        top_k: int,
        doc_type: str | None = None,
    ) -> Answer:
        """The extractive answer from the passages a search finds."""
        hits = self.search(question, embedding, vendor, top_k, doc_type)
        return self.extract(question, embedding, hits, vendor)

    def extractive(self, evidence: Evidence) -> Answer:
        """Cited sentences; registry and eval answers come from the records, then passages
        support them, and a rollback answer gets the vendor's deprecation terms."""
        if evidence.records is None:
            return self.from_documents(evidence)
        keep = on_topic(evidence.records, self.catalog().detect, self.records().workflows)
        answer = with_support(evidence.records, self.support(evidence), keep=keep)
        for search in evidence.terms:
            hits = self.vendor_terms(search)
            # The terms search names the snapshot to roll back to; the terms may not.
            found = self.extract(search.query, search.embedding, hits, search.vendor, exact=False)
            if search.model:
                found = self.model_events.retirements(search.model, found)
            elif found.status != "answered":  # how long it stays callable is not in our terms
                said = self.message(
                    "rollback_terms_missing", vendor=search.vendor, versions=search.versions
                )
                answer = answer.model_copy(update={"answer": f"{answer.answer} {said}"})
            answer = with_support(answer, found, limit=1)
        return answer

    def vendor_terms(self, search: TermsSearch) -> list[NodeWithScore]:
        """A vendor's terms: how long it keeps a version callable (its contracts only); whether a
        model is going away (its contracts, else its documents, only passages naming it)."""
        top_k, model = self.settings.top_k, search.model
        args = (search.query, search.embedding, search.vendor, top_k)
        hits = self.search(*args, doc_type="contract")
        if not hits and model:
            hits = document_passages(self.search(*args))  # not our own rows
        return [h for h in hits if not model or names(model, h.node.get_content())]

    def from_documents(self, evidence: Evidence) -> Answer:
        """Cited sentences from the passages about what the question names; what no document
        of the asked kind covers is said plainly."""
        missing = self.message(
            "no_document_of_kind", kind=evidence.kind, vendors=" or ".join(evidence.absent)
        )
        if evidence.absent and len(evidence.absent) == len(evidence.asked):
            return Answer(answer=missing, status="insufficient_evidence")
        # The records were asked and did not answer: their raw rows would not either.
        passages = about(document_passages(evidence.passages), evidence.named)
        answer = self.extract(
            evidence.question,
            evidence.embedding,
            passages,
            evidence.vendor,
            evidence.parts,
            kind=evidence.kind,
        )
        if answer.status != "answered" or not evidence.absent:
            return answer
        return answer.model_copy(update={"answer": f"{answer.answer} {missing}"})

    def support(self, evidence: Evidence) -> Answer:
        """Passages that add to a records answer: about its vendors, never its own rows again."""
        records = evidence.records
        focus = records.focus if records is not None and records.focus else None
        question, embedding, hits = evidence.question, evidence.embedding, evidence.passages
        if records is not None and records.beyond:
            question = support_question(records, self.message)
            embedding = self.embed_query(question)
        parts: list[Part] = []
        if focus:
            top_k = self.settings.top_k
            hits = self.search(question, embedding, focus, top_k)
            parts, found = self.parts_found(question, focus, top_k, self.focus(question))
            hits = merged(hits, found)
        return self.extract(question, embedding, document_passages(hits), evidence.vendor, parts)

    def generated(self, evidence: Evidence, stream: bool) -> Writing:
        """The language model's answer, checked, with the records' table and chart kept."""
        answer = yield from self._generate(evidence, stream)
        records = evidence.records
        if records is not None and answer.status == "answered" and answer.notice is None:
            answer = answer.model_copy(update={"table": records.table, "trend": records.trend})
        return answer

    def _generate(self, evidence: Evidence, stream: bool) -> Writing:
        generator = self.generator
        assert generator is not None
        names_for = self.catalog().names_for
        if evidence.records is None and (
            not evidence.passages or missing_terms(evidence.question, evidence.passages, names_for)
        ):
            # A name or figure asked about is in no passage: the model is not asked.
            answer = self.extractive(evidence)
            if stream:
                yield from words(answer)
            return answer
        passages = list(evidence.passages)
        for search in evidence.terms:
            passages += self.vendor_terms(search)[:2]
        no_evidence = self.no_evidence(evidence.question, evidence.vendor, [])
        try:
            if stream:
                return (
                    yield from generator.stream(
                        evidence.question, passages, evidence.records, no_evidence
                    )
                )
            return generator.answer(evidence.question, passages, evidence.records, no_evidence)
        except LLMUnavailableError as exc:
            logger.warning("no language model answered (%s); answering extractively", exc)
            fallback = self.extractive(evidence).model_copy(
                update={"notice": self.message("llm_unavailable")}
            )
            if stream:
                yield from words(fallback)
            return fallback

    def no_evidence(self, question: str, vendor: str | None, missing: list[str]) -> str:
        reply = self.message(
            "insufficient_evidence_vendor" if vendor else "insufficient_evidence",
            # The question is quoted back as text: tags in it are dropped, not echoed.
            question=" ".join(MARKUP_TAG.sub(" ", question).split()),
            vendor=vendor or "",
        )
        if missing:
            terms = ", ".join(f'"{t}"' for t in missing)
            reply += " " + self.message("missing_terms", terms=terms)
        return reply
