"""The vendor facts of the inbox in SQLite under the data dir, kept in step with their files."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from assistant.core.records import EvalResult, Facts, Workflow
from assistant.storage.sqlite import open_sqlite

TABLES = ("workflows", "evals", "vendor_aliases")


def _columns(kind: type[Any]) -> list[str]:
    return [f.name for f in fields(kind)]


class FactStore:
    """Tables `workflows`, `evals` and `vendor_aliases`; each row names its file and locator."""

    def __init__(self, path: Path) -> None:
        tables = [
            f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(_columns(kind))});"
            for table, kind in (("workflows", Workflow), ("evals", EvalResult))
        ]
        tables.append("CREATE TABLE IF NOT EXISTS vendor_aliases (vendor, aliases, source);")
        self._db, self._lock = open_sqlite(path, "\n".join(tables))
        self._drop_older_layouts("\n".join(tables))

    def _drop_older_layouts(self, schema: str) -> None:
        """Tables written with other columns are dropped and made again: the records are read
        from their files again at the next ingestion, which reads every fact file once."""
        stale = [
            table
            for table, kind in (("workflows", Workflow), ("evals", EvalResult))
            if [row[1] for row in self._db.execute(f"PRAGMA table_info({table})")] != _columns(kind)
        ]
        if stale:
            with self._db:
                for table in stale:
                    self._db.execute(f"DROP TABLE {table}")
                self._db.executescript(schema)

    def replace_all(self, facts: dict[str, Facts]) -> None:
        """Swap in the facts of every registry and eval file, in one transaction."""
        with self._lock, self._db:
            for table in TABLES:
                self._db.execute(f"DELETE FROM {table}")
            self._insert_facts(facts)

    def replace(self, facts: dict[str, Facts], removed: list[str]) -> None:
        """Swap in the facts of these files and drop those of removed ones, in one transaction."""
        sources = [(source,) for source in [*facts, *removed]]
        with self._lock, self._db:
            for table in TABLES:
                self._db.executemany(f"DELETE FROM {table} WHERE source = ?", sources)
            self._insert_facts(facts)

    def _insert_facts(self, facts: dict[str, Facts]) -> None:
        for source, found in facts.items():
            self._insert("workflows", found.workflows)
            self._insert("evals", found.evals)
            self._db.executemany(
                "INSERT INTO vendor_aliases VALUES (?, ?, ?)",
                [(v, json.dumps(a), source) for v, a in found.vendor_aliases.items()],
            )

    def _insert(self, table: str, records: list[Workflow] | list[EvalResult]) -> None:
        for record in records:
            row = {
                k: json.dumps(v) if isinstance(v, list) else v for k, v in asdict(record).items()
            }
            marks = ", ".join("?" * len(row))
            self._db.execute(f"INSERT INTO {table} VALUES ({marks})", list(row.values()))

    def workflows(self) -> list[Workflow]:
        return [
            Workflow(**{**row, "aliases": json.loads(row["aliases"] or "[]")})
            for row in self._select("workflows", "ORDER BY name")
        ]

    def evals(self) -> list[EvalResult]:
        return [EvalResult(**row) for row in self._select("evals", "ORDER BY date, model")]

    def vendor_aliases(self) -> dict[str, list[str]]:
        with self._lock:
            rows = self._db.execute("SELECT vendor, aliases FROM vendor_aliases").fetchall()
        return {vendor: json.loads(aliases) for vendor, aliases in rows}

    def _select(self, table: str, order: str) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._db.execute(f"SELECT * FROM {table} {order}")
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        self._db.close()
