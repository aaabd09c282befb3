"""The one exception type that reaches users as a single line."""


class DicomrefError(Exception):
    """A problem the user can fix: the CLI prints the message alone and exits non-zero."""
