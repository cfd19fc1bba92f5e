"""Errors the shells report to users; kept apart so the command line can name them without
importing the store, the model or llama-index."""

from ingest.disk import DataDirError


class StoreUnavailableError(RuntimeError):
    """The vector store cannot be opened or reached."""


class EmbeddingModelError(RuntimeError):
    """The embedding model could not be loaded."""


# What a shell reports to the user as it is, in place of an answer or an ingestion report.
SERVICE_ERRORS = (StoreUnavailableError, EmbeddingModelError, DataDirError)
