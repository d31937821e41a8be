"""What a location names when it is a URL: the PostgreSQL URL itself, and how to print it.

A location that starts with ``postgresql:`` or ``postgres:`` is a database URL, never a folder (a
folder of that name is written ``./postgresql:...``). A path given on the command line goes
through ``pathlib.Path``, which turns ``postgresql://h/db`` into ``postgresql:/h/db``;
:func:`database_url` restores it, so a URL must name a host (or a user,
``postgresql://atti@/atti?host=/run/postgresql``): ``postgresql:///db`` cannot be told from
``postgresql://db``. A URL that names no host and no user, or no database, or a port that is not
a number, is refused by name before anything connects.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from atti.errors import ConfigError
from atti.i18n import N_, _, translate

_SCHEME = re.compile(r"^(?:postgres|postgresql):/*(?P<rest>.*)$", re.DOTALL)
_FORM = N_("postgresql://USER@HOST[:PORT]/DATABASE (or postgresql://USER@/DATABASE?host=/run/postgresql)")


def database_url(location: Path | str) -> str | None:
    """The PostgreSQL URL ``location`` names, or None for a directory; ConfigError for a URL
    that cannot name an archive (see the module docstring)."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        url = text
    else:
        match = _SCHEME.match(text)  # a URL that went through Path (one slash left, or none)
        if match is None:
            return None
        url = f"postgresql://{match['rest']}"
    _check(url)
    return url


def _check(url: str) -> None:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    try:
        _port = parts.port  # parsing it refuses a port that is not a number
    except ValueError:
        raise ConfigError(
            _(
                "the archive's database URL {url} has a port that is not a number from 1 to 65535: write it as {form}"
            ).format(url=redacted(url), form=translate(_FORM))
        ) from None
    no_host = not (parts.hostname or parts.username or query.get("host"))
    no_database = not (unquote(parts.path.lstrip("/")) or query.get("dbname"))
    if no_host and no_database:
        message = _("the archive's database URL {url} names no host and no database: write it as {form}")
    elif no_host or no_database:
        message = _("the archive's database URL {url} names no {part}: write it as {form}")
    else:
        return
    raise ConfigError(message.format(url=redacted(url), part="host" if no_host else "database", form=translate(_FORM)))


def redacted(location: Path | str) -> str:
    """What ``location`` names, for messages and reports: a URL without its password."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", str(location))
