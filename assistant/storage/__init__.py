"""Where things are kept: chunks in Qdrant, records and caches in SQLite, the data dir."""
