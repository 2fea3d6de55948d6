"""The one exception type for errors a user can cause."""


class ArchiveError(Exception):
    """A user error: a Chinese message naming the file, row or field. Nothing was changed."""

    def __init__(self, message: str, *, details: list[str] | None = None, field: str | None = None,
                 fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.field = field or next(iter(fields or {}), None)  # the form field the message belongs next to
        self.fields = fields or ({field: message} if field else {})  # every field with its own message

    def __str__(self) -> str:
        return "\n".join([self.message, *self.details])
