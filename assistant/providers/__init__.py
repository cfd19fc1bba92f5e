"""The models: the bundled embedding model and the optional language-model providers."""
