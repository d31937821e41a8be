"""What a location names when it is a URL: the PostgreSQL URL itself, and how to print it.

A path given on the command line goes through ``pathlib.Path``, which turns ``postgresql://h/db``
into ``postgresql:/h/db``; :func:`database_url` restores it, so a URL must name a host (or a
user, ``postgresql://atti@/atti?host=/run/postgresql``): ``postgresql:///db`` cannot be told
from ``postgresql://db``.
"""

from __future__ import annotations

import re
from pathlib import Path

_SCHEME = re.compile(r"^(?:postgres|postgresql):/+(?P<rest>.*)$", re.DOTALL)


def database_url(location: Path | str) -> str | None:
    """The PostgreSQL URL ``location`` names, or None for a directory."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        return text
    match = _SCHEME.match(text)  # a URL that went through Path (one slash left)
    return f"postgresql://{match['rest']}" if match else None


def redacted(location: Path | str) -> str:
    """What ``location`` names, for messages and reports: a URL without its password."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", str(location))
