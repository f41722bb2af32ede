"""Domain errors: each carries one clear sentence for the person at the keyboard."""


class DomainError(Exception):
    """A rule said no. The message is shown as is, in the TUI and the CLI."""

    exit_code = 1


class NotFound(DomainError):
    exit_code = 4


class PermissionDenied(DomainError):
    exit_code = 5


class NotYours(NotFound, PermissionDenied):
    """A record the actor may not see, or that does not exist: one sentence for both, so a refusal never
    tells that the record is there ("There is no deal 14, or it is not yours."). Caught as NotFound and as
    PermissionDenied; exits like NotFound."""

    exit_code = 4

    def __init__(self, noun: str, record_id: object):
        super().__init__(hidden_text(noun, record_id))
        self.noun = noun
        self.record_id = record_id


def hidden_text(noun: str, record_id: object) -> str:
    """The one refusal for a record that is missing or not the actor's."""
    return f"There is no {noun} {record_id}, or it is not yours."


ID_MAX = 2 ** 63 - 1
LIMIT_MAX = 100_000


def id_range_text(what: str = "ID", high: int = ID_MAX) -> str:
    """The sentence for an id (or another whole number) outside what the database can hold."""
    return f"{what} must be a whole number from 1 to {high}."


class ValidationError(DomainError):
    """Bad input for one field (or several)."""

    exit_code = 2

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.field = field
        self.errors = errors or ({field: message} if field else {})


class StaleRecord(DomainError):
    """Someone else saved the record since it was opened."""

    exit_code = 6

    def __init__(self, message: str, changes: list[tuple[str, object, object]] | None = None):
        super().__init__(message)
        self.changes = changes or []


class StageGateError(DomainError):
    """A deal cannot enter a stage while fields that stage requires are empty."""

    exit_code = 3

    def __init__(self, message: str, missing: list[dict]):
        super().__init__(message)
        self.missing = missing


class NothingToDo(DomainError):
    exit_code = 7


class DatabaseSetupError(DomainError):
    """The database cannot be opened, reached, written or understood."""

    exit_code = 10


class DatabaseBusy(DatabaseSetupError):
    """Another writer held the database longer than the wait allows; the sentence names what holds it."""

    exit_code = 10


def database_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the database did not answer or refused" (not a rule saying no): screens
    and the CLI catch these to keep what was typed and say so, instead of importing the driver's types."""
    from peewee import DatabaseError, InterfaceError

    return (DatabaseError, InterfaceError, DatabaseBusy)


def database_error_text(exc: BaseException) -> str:
    """The first line of a database error, for a status line or a one-sentence message."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
