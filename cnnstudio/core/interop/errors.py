"""The one error the interop package raises: a message in the user's terms."""


class InteropError(ValueError):
    """A model that cannot be imported or exported; the message says why and what to do."""
