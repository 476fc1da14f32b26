"""The one error type the CLI turns into a message and a non-zero exit."""


class SundhedsgrafError(Exception):
    """A problem the user can fix (bad input, missing build); the message says what."""

    exit_code = 1
