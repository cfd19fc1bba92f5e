"""Errors the shells report to users; kept apart so the command line can name them without
importing the store, the model or llama-index."""


class StoreUnavailableError(RuntimeError):
    """The vector store cannot be opened or reached."""


class EmbeddingModelError(RuntimeError):
    """The embedding model could not be loaded."""
