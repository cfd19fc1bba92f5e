"""Retrieval: keyword and embedding search together, companies and years the question names
ranked first, and an evaluation command that measures it against a plain dense baseline."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from qdrant_client import QdrantClient
from qdrant_client.http import models as rest

from assistant.answering.retrieval import Focus, by_best_sentence, years_in
from assistant.app import VendorIntel
from assistant.core.settings import Settings
from assistant.storage.sparse import tokens
from tests.builders import markdown, write
from tests.conftest import SAMPLES
from tests.test_cli import vendorintel

FILLER = (
    "The agreement covers hosted inference for internal workflows. Service levels are reviewed "
    "each quarter with the vendor's account team, and credits apply when uptime falls short."
)


def sources_for(intel: VendorIntel, question: str, k: int = 3) -> list[str]:
    answerer = intel.answering
    embedding = intel.embed_model.get_query_embedding(question)
    focus = Focus(intel.catalog.detect(question), years_in(question))
    hits = answerer.search(question, embedding, None, k * 3, focus=focus)
    return list(dict.fromkeys(h.node.metadata["source"] for h in hits))[:k]


def test_terms_keep_model_ids_figures_and_fiscal_years_whole() -> None:
    terms = tokens("3M's FY2023 revenue of 1,234.5 on qwen-max at AT&T (10-K).")

    for kept in ("3m", "fy2023", "1234.5", "qwen-max", "qwen", "max", "at&t", "10-k", "revenue"):
        assert kept in terms
    assert "of" not in terms and "on" not in terms


def test_years_named_in_a_question() -> None:
    assert years_in("Capex in FY2018 versus fiscal year 2017 and FY23?") == ["2018", "2017", "2023"]


def test_an_exact_reference_finds_its_document_among_look_alikes(
    intel: VendorIntel, inbox: Path
) -> None:
    for n in range(8):
        reference = "NW-4471-Q" if n == 5 else f"NW-{1000 + n}-A"
        write(
            inbox / "contracts" / f"agreement-{n}.md",
            markdown(f"Hosting agreement {n}", f"{FILLER} Contract reference {reference}."),
        )
    assert intel.ingest(progress=False).ok

    assert sources_for(intel, "Which agreement has contract reference NW-4471-Q?")[0] == (
        "contracts/agreement-5.md"
    )


def test_the_company_and_year_a_question_names_rank_first(
    make_intel: Callable[[Settings], VendorIntel], settings: Settings, inbox: Path
) -> None:
    for company in ("Acme Corporation", "Globex Holdings"):
        for year in ("2022", "2023"):
            body = f"{FILLER} Net revenue grew this year, driven by cloud services."
            write(
                inbox / f"{company.split()[0].lower()}-{year}" / "page-3.md",
                markdown(f"{company} 10-K {year}, page 3", body, vendors=[company], period=year),
            )
    first = make_intel(settings)
    assert first.ingest(progress=False).ok
    first.close()
    reopened = make_intel(settings)

    # "Globex" is learned from front matter ("Globex Holdings"), also after a restart.
    top = sources_for(reopened, "What drove Globex's net revenue growth in FY2023?", k=1)

    assert top == ["globex-2023/page-3.md"]


def test_an_index_from_before_keyword_search_is_rebuilt(
    make_intel: Callable[[Settings], VendorIntel], settings: Settings, inbox: Path
) -> None:
    write(inbox / "notes" / "a.md", markdown("Uptime note", FILLER))
    write(inbox / "notes" / "b.md", markdown("Pricing note", FILLER + " Prices are fixed."))
    first = make_intel(settings)
    assert first.ingest(progress=False).added == 2
    first.close()
    shutil.rmtree(settings.edge_path)  # as an older version left it: a local-mode store
    client = QdrantClient(path=str(settings.qdrant_path))
    client.create_collection(
        settings.store.collection, vectors_config=rest.VectorParams(size=384, distance="Cosine")
    )
    client.close()

    again = make_intel(settings)
    report = again.ingest(progress=False)

    assert again.store.rebuilt and report.added == 2
    assert sources_for(again, "Are prices fixed?", k=1) == ["notes/b.md"]


@pytest.fixture
def sample_inbox_settings(
    make_intel: Callable[[Settings], VendorIntel], tmp_path: Path
) -> Settings:
    """The sample inbox, ingested, and its store released for a command to open."""
    settings = Settings(data_dir=tmp_path / "data", inbox=SAMPLES, _env_file=None)  # type: ignore[call-arg]
    intel = make_intel(settings)
    assert intel.ingest(progress=False).ok
    intel.close()
    return settings


def test_eval_prints_product_and_baseline_metrics_side_by_side(
    sample_inbox_settings: Settings, tmp_path: Path
) -> None:
    dataset = tmp_path / "questions.jsonl"
    rows = [
        {
            "id": "sla",
            "question": "What uptime does Alibaba Cloud commit to for qwen-max?",
            "gold_sources": ["contracts/alibaba-cloud-sla.md"],
            "answers": ["99.9%"],
        },
        {
            "id": "r1",
            "question": "Under what licence was DeepSeek-R1 released?",
            "gold_sources": ["articles/deepseek-r1-pricing.md"],
        },
    ]
    dataset.write_text("\n".join(json.dumps(r) for r in rows) + "\n")

    result = vendorintel(
        sample_inbox_settings, "eval", "--dataset", str(dataset), "--compare", "--json"
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] == 2
    keys = {
        "hit@1",
        "hit@5",
        "hit@10",
        "mrr@10",
        "recall_all@10",
        "citation_precision",
        "median_ms",
    }
    assert keys <= set(report["product"]) and keys <= set(report["baseline"])
    assert report["product"]["hit@1"] == 1.0 and report["product"]["answer_contains"] == 1.0
    assert 0 < report["product"]["citation_precision"] <= 1
    assert report["baseline"]["citation_precision"] is None  # no answers from a bare index
    assert 0 <= report["baseline"]["mrr@10"] <= 1 and report["baseline"]["median_ms"] > 0


def test_eval_names_the_line_of_a_bad_dataset(settings: Settings, tmp_path: Path) -> None:
    dataset = tmp_path / "questions.jsonl"
    dataset.write_text('{"id": "a", "question": "Q?", "gold_sources": ["x.md"]}\n{"id": "b"}\n')

    result = vendorintel(settings, "eval", "--dataset", str(dataset))

    assert result.returncode == 2
    assert "line 2" in result.stderr and "gold_sources" in result.stderr


def test_reranking_puts_the_chunk_with_the_answering_sentence_first(
    embed_model: BaseEmbedding,
) -> None:
    question = "When does the Globex agreement renew?"
    vague = TextNode(text="Office hours are nine to five. Parking is on level two.")
    exact = TextNode(text="Lunch is served at noon. The Globex agreement renews on 30 June 2027.")
    hits = [NodeWithScore(node=vague, score=0.9), NodeWithScore(node=exact, score=0.1)]
    query = QueryBundle(question, embedding=embed_model.get_query_embedding(question))

    assert [h.node for h in by_best_sentence(hits, query, embed_model)] == [exact, vague]


def test_keyword_search_follows_edits_and_deletions(intel: VendorIntel, inbox: Path) -> None:
    write(inbox / "notes" / "a.md", markdown("Note A", f"{FILLER} Reference QX-5512."))
    write(inbox / "notes" / "b.md", markdown("Note B", f"{FILLER} Reference ZT-9034."))
    assert intel.ingest(progress=False).ok
    assert sources_for(intel, "Which note cites QX-5512?", k=1) == ["notes/a.md"]

    write(inbox / "notes" / "b.md", markdown("Note B", f"{FILLER} Reference QX-5512 as well."))
    (inbox / "notes" / "a.md").unlink()
    intel.ingest(progress=False)

    assert sources_for(intel, "Which note cites QX-5512?", k=2) == ["notes/b.md"]
    assert set(intel.store.document_stats()) == {"notes/b.md"}
