"""The library's English codes, as the Italian pages say them (WCAG 2.1 SC 3.1.2: a page in
Italian has no English text unless marked ``lang="en"``).

Roles (atti.web.users.ROLES) and the reasons of versions (VersionRecord.reason) are codes
shared with the CLI and the JSON API, which keep them; only the pages translate. A code this
module does not know is given back as it is with ``None``, for the page to mark it English.
"""

from __future__ import annotations

__all__ = ["motivo_versione", "ruolo"]

RUOLI = {"officer": "funzionario", "reviewer": "revisore", "archivist": "archivista", "admin": "amministratore"}

# VersionRecord.reason: atti.archive's codes; a relation's tipo (rettifica, annullamento...) is Italian already.
MOTIVI = {
    "signed": "firmato",
    "published": "pubblicato",
    "imported": "importato",
    "draft-created": "bozza creata",
    "draft-saved": "bozza salvata",
    "draft-rendered": "bozza salvata e impaginata",
    "draft-submitted": "bozza inviata in verifica",
    "draft-reviewed": "bozza revisionata",
    "timestamp-renewed": "marca temporale rinnovata",
}
_ITALIANI = {"proroga", "modifica", "rettifica", "integrazione", "annullamento"}


def ruolo(role: str) -> str:
    return RUOLI.get(role, role)


def motivo_versione(reason: str | None) -> tuple[str, bool]:
    """(the words, whether they are Italian) for a version's reason."""
    text = (reason or "").strip()
    if text in MOTIVI:
        return MOTIVI[text], True
    return text, text in _ITALIANI or not text
