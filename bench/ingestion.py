"""Ingestion against the embedding model's own speed, in one run on one generated corpus.

- the full pipeline's chunks per second (load, split, embed, write) against the bare model
  embedding the same chunk texts; goal: at least 80%. The process is warm: the model and the
  readers' libraries are loaded first, by ingesting a small inbox elsewhere
- peak memory (RSS) of the process
- a second ingest of the unchanged corpus, and one after changing 1% of the files, as shares
  of the first ingest's time; goals: at most 3% and 5%
- deleting 10% of the files, in seconds per file, at two corpus sizes (should not grow)

Usage: .venv/bin/python bench/ingestion.py [--files 160] [--out bench/results/ingestion.json]
(160 files make about 2,000 chunks; --files 800 about 10,000.)
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
from pathlib import Path

from common import open_service, print_table, save, timed  # bench/: first on the path
from corpus import build
from llama_index.core.schema import MetadataMode

from assistant.app import VendorIntel
from assistant.core.settings import PROJECT_ROOT


def delete_share(intel: VendorIntel, paths: list[Path]) -> float:
    """Seconds per file to drop 10% of the files from the index."""
    gone = paths[::10]
    for path in gone:
        path.unlink()
    return timed(lambda: intel.ingest(progress=False)) / len(gone)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=160)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench/results/ingestion.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "large"
        paths = build(root / "inbox", args.files)
        intel = open_service(root)
        model = intel.embed_model
        # Loading the model and the readers' and splitter's libraries, once per process, is
        # not ingestion: a small inbox of every format is ingested first, elsewhere.
        build(Path(folder) / "warm" / "inbox", 10, seed=1)
        warm = open_service(Path(folder) / "warm", model)
        warm.ingest(progress=False)
        warm.close()

        first = timed(lambda: intel.ingest(progress=False))
        chunks = intel.store.count()
        # In the order ingestion embedded them: a batch of similar lengths pads less.
        nodes = sorted(
            intel.store.vector_store.get_nodes(),
            key=lambda node: (str(node.ref_doc_id), int(node.metadata.get("chunk", 0))),
        )
        texts = [node.get_content(metadata_mode=MetadataMode.EMBED) for node in nodes]
        bare = timed(lambda: model.get_text_embedding_batch(texts))
        unchanged = timed(lambda: intel.ingest(progress=False))
        for path in paths[::100]:  # 1% of the files
            path.write_text(path.read_text("utf-8") + "\nUpdated after review.\n", "utf-8")
        changed = timed(lambda: intel.ingest(progress=False))
        delete_large = delete_share(intel, paths)
        intel.close()

        # A corpus a quarter the size, its embeddings already cached, for the deletion cost.
        small = Path(folder) / "small"
        small_paths = build(small / "inbox", args.files // 4)
        (small / "data").mkdir(parents=True)
        shutil.copy(root / "data" / "embeddings.sqlite3", small / "data" / "embeddings.sqlite3")
        small_intel = open_service(small)
        small_intel.ingest(progress=False)
        delete_small = delete_share(small_intel, small_paths)
        small_chunks = small_intel.store.count()
        small_intel.close()

    report = {
        "files": args.files,
        "chunks": chunks,
        "pipeline_chunks_per_s": round(chunks / first, 1),
        "bare_model_chunks_per_s": round(len(texts) / bare, 1),
        "pipeline_share_of_bare": round((chunks / first) / (len(texts) / bare), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "unchanged_resync_share": round(unchanged / first, 4),
        "one_percent_changed_share": round(changed / first, 4),
        "delete_s_per_file": round(delete_large, 4),
        "delete_s_per_file_quarter_corpus": round(delete_small, 4),
        "quarter_corpus_chunks": small_chunks,
    }
    goals = {
        "pipeline_share_of_bare": ">= 0.80",
        "unchanged_resync_share": "<= 0.03",
        "one_percent_changed_share": "<= 0.05",
        "delete_s_per_file": "flat across sizes",
    }
    print_table(report, "measure", goals)
    save(report, args.out)


if __name__ == "__main__":
    main()
