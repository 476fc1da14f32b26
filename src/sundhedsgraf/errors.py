"""The one error type the CLI turns into a message and a non-zero exit."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SundhedsgrafError(Exception):
    """A problem the user can fix (bad input, missing build); the message says what."""

    exit_code = 1


@contextmanager
def naming(path: Path | str) -> Iterator[None]:
    """An OSError raised inside names `path` if it names no file: a failed write(2) (a full
    disk) does not, nor do pyoxigraph's errors ("Is a directory (os error 21)")."""
    try:
        yield
    except OSError as error:
        if error.filename is None:
            error.filename = str(path)
        raise
