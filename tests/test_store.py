"""The chunk store: Qdrant Edge in the process, the same query plan as a server, and the
embedded store of earlier versions (qdrant-client's local mode) moved into it at start."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.schema import MetadataMode, NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)
from qdrant_client import QdrantClient

from assistant.app import VendorIntel
from assistant.core.settings import Settings
from assistant.storage.edge import EdgeEngine
from assistant.storage.plan import DOC_ID_KEY, Engine, Match, pages
from assistant.storage.server import ServerEngine
from assistant.storage.vector_store import HybridVectorStore
from tests.conftest import SAMPLES, EmbedCounter

# Made by the version before Qdrant Edge: `vendorintel ingest` of samples/inbox.
LOCAL_MODE_STORE = Path(__file__).parent / "fixtures" / "local-mode-store"
NOTES = [
    ("Vendor A", "contract", "Our OpenAI contract renews on 2027-03-31 with a 60-day notice."),
    ("Vendor A", "news", "OpenAI shipped a faster model for customer support teams."),
    ("Vendor B", "contract", "The Mistral agreement caps latency at 900 ms for the EU region."),
    ("Vendor B", "news", "Mistral opened an office in Singapore to serve Asian customers."),
    ("Vendor C", "eval", "Reference QX-5512 tracks the ticket about the billing export."),
]


def stored_notes(engine: Engine, embed_model: BaseEmbedding) -> HybridVectorStore:
    store = HybridVectorStore(engine)
    nodes = []
    for n, (vendor, doc_type, text) in enumerate(NOTES):
        node = TextNode(
            text=text,
            embedding=embed_model.get_text_embedding(text),
            metadata={"vendors": [vendor], "doc_type": doc_type, "source": f"note-{n}.md"},
        )
        node.relationships[NodeRelationship.SOURCE] = RelatedNodeInfo(node_id=f"note-{n}.md")
        nodes.append(node)
    store.add(nodes)
    return store


def hybrid(question: str, model: BaseEmbedding, **filters: str | list[str]) -> VectorStoreQuery:
    return VectorStoreQuery(
        query_embedding=model.get_query_embedding(question),
        query_str=question,
        similarity_top_k=5,
        sparse_top_k=5,
        hybrid_top_k=5,
        mode=VectorStoreQueryMode.HYBRID,
        alpha=0.7,
        filters=MetadataFilters(
            filters=[
                MetadataFilter(
                    key=key,
                    value=value,
                    operator=FilterOperator.IN if isinstance(value, list) else FilterOperator.EQ,
                )
                for key, value in filters.items()
            ]
        )
        if filters
        else None,
    )


def sources(store: HybridVectorStore, query: VectorStoreQuery) -> list[str]:
    return [str(node.metadata["source"]) for node in store.query(query).nodes or []]


@pytest.fixture(params=["edge", "server"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    """Qdrant Edge, and qdrant-client as against a server (its in-memory mode)."""
    if request.param == "edge":
        return EdgeEngine(tmp_path / "edge" / "chunks")
    return ServerEngine(QdrantClient(location=":memory:"), "chunks")


def test_filters_keep_to_the_vendor_and_the_kind_of_document(
    engine: Engine, embed_model: BaseEmbedding
) -> None:
    store = stored_notes(engine, embed_model)
    question = "When does the contract renew?"

    assert sources(store, hybrid(question, embed_model, vendors="Vendor B")) == [
        "note-2.md",
        "note-3.md",
    ]
    assert sources(store, hybrid(question, embed_model, doc_type="contract")) == [
        "note-0.md",
        "note-2.md",
    ]
    either = sources(store, hybrid(question, embed_model, vendors=["Vendor A", "Vendor C"]))
    assert set(either) == {"note-0.md", "note-1.md", "note-4.md"}
    assert either[0] == "note-0.md"


def test_a_scroll_keeps_to_the_documents_asked_and_brings_their_vectors(
    engine: Engine, embed_model: BaseEmbedding
) -> None:
    stored_notes(engine, embed_model)
    asked = (Match(DOC_ID_KEY, ("note-1.md", "note-3.md")),)

    hits = [hit for page in pages(engine, [DOC_ID_KEY], True, asked) for hit in page]

    assert sorted(hit.payload[DOC_ID_KEY] for hit in hits) == ["note-1.md", "note-3.md"]
    expected = embed_model.get_text_embedding(NOTES[3][2])
    (third,) = [hit for hit in hits if hit.payload[DOC_ID_KEY] == "note-3.md"]
    assert np.dot(third.dense, expected) == pytest.approx(1.0, abs=1e-2)


def test_a_hybrid_query_finds_an_id_by_its_keyword_and_scores_by_cosine(
    engine: Engine, embed_model: BaseEmbedding
) -> None:
    store = stored_notes(engine, embed_model)
    query = hybrid("Which note cites QX-5512?", embed_model)

    result = store.query(query)

    assert result.nodes and result.nodes[0].metadata["source"] == "note-4.md"
    expected = np.dot(
        embed_model.get_text_embedding(NOTES[4][2]), np.asarray(query.query_embedding)
    )
    assert result.similarities and result.similarities[0] == pytest.approx(expected, abs=1e-3)


def test_the_embedded_store_and_a_server_rank_alike(
    tmp_path: Path, embed_model: BaseEmbedding
) -> None:
    edge = stored_notes(EdgeEngine(tmp_path / "edge" / "chunks"), embed_model)
    server = stored_notes(ServerEngine(QdrantClient(location=":memory:"), "chunks"), embed_model)

    for question in ["Mistral latency cap", "Who opened an office in Singapore?"]:
        assert sources(edge, hybrid(question, embed_model)) == sources(
            server, hybrid(question, embed_model)
        )


def test_a_second_owner_of_the_embedded_store_is_told_who_has_it(tmp_path: Path) -> None:
    first = EdgeEngine(tmp_path / "edge" / "chunks")

    with pytest.raises(Exception, match="in use by another vendorintel process"):
        EdgeEngine(tmp_path / "edge" / "chunks")
    first.close()
    EdgeEngine(tmp_path / "edge" / "chunks").close()  # free again once closed


@pytest.fixture
def old_data_dir(tmp_path: Path) -> Settings:
    """A data dir as the version before Qdrant Edge left it, over a copy of its inbox."""
    data, inbox = tmp_path / "data", tmp_path / "inbox"
    shutil.copytree(LOCAL_MODE_STORE, data)
    shutil.copytree(SAMPLES, inbox)
    return Settings(data_dir=data, inbox=inbox, watch_inbox=False, _env_file=None)  # type: ignore[call-arg]


def chunk_count(settings: Settings) -> int:
    client = QdrantClient(path=str(settings.qdrant_path))
    try:
        return int(client.count(settings.store.collection).count)
    finally:
        client.close()


def test_a_store_from_before_qdrant_edge_is_moved_without_embedding_again(
    old_data_dir: Settings,
    make_intel: Callable[[Settings], VendorIntel],
    embed_counter: EmbedCounter,
) -> None:
    chunks_before = chunk_count(old_data_dir)

    intel = make_intel(old_data_dir)
    report = intel.ingest(progress=False)
    embedded_by_ingest = list(embed_counter.texts)
    answer = intel.ask("What uptime does Alibaba Cloud commit to for qwen-max?")

    assert not old_data_dir.qdrant_path.exists()  # moved, not left beside the new store
    assert not [p.name for p in old_data_dir.edge_path.iterdir() if ".migrating" in p.name]
    assert intel.store.count() == chunks_before
    assert report.unchanged == len(intel.documents()) and not report.changed
    # Every chunk vector came from the old store: what is embedded is for the vendor signals
    # (the documents' sentences and the described kinds), read once as the old dir has none.
    chunks = [n.get_content(MetadataMode.EMBED) for n in intel.store.vector_store.get_nodes()]
    assert not set(embedded_by_ingest) & set(chunks)
    assert "99.9%" in answer.answer
    assert "contracts/alibaba-cloud-sla.md" in {c.source for c in answer.citations}


def test_a_move_cut_short_is_redone_from_the_old_store(
    old_data_dir: Settings, make_intel: Callable[[Settings], VendorIntel]
) -> None:
    chunks_before = chunk_count(old_data_dir)
    target = old_data_dir.edge_path / old_data_dir.store.collection
    partial = EdgeEngine(target.with_name(target.name + ".migrating"))  # as a kill left it
    partial.create(384)
    partial.close()

    intel = make_intel(old_data_dir)

    assert intel.store.count() == chunks_before
    assert not target.with_name(target.name + ".migrating").exists()
    assert intel.ingest(progress=False).unchanged == len(intel.documents())
