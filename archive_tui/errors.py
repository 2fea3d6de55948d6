"""The one exception type for errors a user can cause."""


class ArchiveError(Exception):
    """A user error: a Chinese message naming the file, row or field. Nothing was changed."""

    def __init__(self, message: str, *, details: list[str] | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.field = field  # the form field the message belongs next to, if any

    def __str__(self) -> str:
        return "\n".join([self.message, *self.details])
