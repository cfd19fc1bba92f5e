"""Errors the shells show to users as they are; each says what to do next and carries the HTTP
status and command-line exit code it is reported with."""


class VendorIntelError(RuntimeError):
    """An error whose message is for the user: shown as it is, in place of an answer."""

    http_status = 500
    exit_code = 2


class StoreUnavailableError(VendorIntelError):
    """The vector store cannot be opened or reached."""

    http_status = 503


class EmbeddingModelError(VendorIntelError):
    """The embedding model could not be loaded."""

    http_status = 503


class DataDirError(VendorIntelError):
    """A write under the data directory was refused: the disk is full or read-only."""

    http_status = 507  # Insufficient Storage


class RequestError(VendorIntelError):
    """A request the service will not carry out as asked; the message says what to change."""

    http_status = 400


class NotFoundError(VendorIntelError):
    """What the request names does not exist; the message says how to list what does."""

    http_status = 404
    exit_code = 1


class IngestionBusyError(VendorIntelError):
    """Another ingestion holds the inbox for longer than a request waits."""

    http_status = 503
    retry_after = 10  # seconds, sent as Retry-After


class IngestionStoppedError(VendorIntelError):
    """An ingestion cut short because the service is stopping; the next start finishes it."""

    http_status = 503
    retry_after = 10


# What a shell reports to the user as it is, in place of an answer or an ingestion report.
SERVICE_ERRORS = (VendorIntelError,)
