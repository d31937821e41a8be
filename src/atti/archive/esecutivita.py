"""When an archived act becomes executive (esecutività), and why.

- A delibera (art. 134 TUEL): from the 11th day of its publication on the albo (c. 3, "decorsi
  10 giorni dalla loro pubblicazione"), or at once, from its adoption, when the organ declared it
  immediately executable (c. 4).
- A determinazione with spending (art. 151 c. 4 and art. 183 c. 7 TUEL): from the visto di
  regolarità contabile attestante la copertura finanziaria; one without, from its signature.
- A decreto or an ordinanza: from its signature.

The act format of collegial delibere (issue 19: ``seduta.data``, ``immediata_eseguibilita`` (the
separate vote, None when not declared), ``visto_contabile.data`` and ``.esecutiva_dal``) is read
through :func:`declared`, which looks for those fields when present and otherwise falls back on
what every act has: a verifica or parere whose tipo names the regolarità contabile means
spending, signed in the same PDF, so executive at the signature.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from atti.archive.albo import current, rome_date
from atti.archive.archive import Archive
from atti.archive.records import ActRecord

# art. 134 c. 3 TUEL: executive "decorsi 10 giorni dalla loro pubblicazione": from the 11th day.
DAYS_AFTER_PUBLICATION = 10


@dataclass(frozen=True)
class Esecutivita:
    """``dal`` None: not executive yet (a delibera not yet published)."""

    dal: dt.date | None
    motivo: str  # the rule, in Italian, as pages show it
    norma: str

    def to_dict(self) -> dict[str, Any]:
        return {"dal": self.dal.isoformat() if self.dal else None, "motivo": self.motivo, "norma": self.norma}


@dataclass(frozen=True)
class Declared:
    """What the act declares that esecutività depends on."""

    immediatamente_eseguibile: bool = False
    adottata_il: dt.date | None = None  # the seduta's date (else the act's)
    spesa: bool = False  # it carries a visto contabile
    visto_il: dt.date | None = None  # the visto's date, when the act records it


def _field(obj: Any, *names: str) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def declared(act: Any) -> Declared:
    """Read from an act (:class:`atti.acts.model.Act`, with issue 19's fields when present)."""
    # Issue 19: ``immediata_eseguibilita`` is the separate vote that declared it (None: not declared).
    immediate = _field(act, "immediata_eseguibilita")
    immediate = immediate if isinstance(immediate, bool) else immediate is not None
    seduta = _field(act, "seduta")
    adopted = _field(seduta, "data") if seduta is not None else None
    # Issue 19: ``visto_contabile.esecutiva_dal``, else the visto's ``data``.
    visto = _field(act, "visto_contabile")
    visto_date = _field(visto, "esecutiva_dal", "data") if visto is not None else None
    tipi = [str(getattr(v, "tipo", "")) for v in [*(getattr(act, "verifiche", []) or []),
                                                  *(getattr(act, "pareri", []) or [])]]
    spesa = visto is not None or any("contabil" in t.lower() for t in tipi)
    return Declared(bool(immediate), adopted if isinstance(adopted, dt.date) else None, spesa,
                    visto_date if isinstance(visto_date, dt.date) else None)


def esecutivita(archive: Archive, record: ActRecord, act: Any) -> Esecutivita:
    """The act's esecutività: computed from the act, its signature and its albo publication."""
    d = declared(act)
    signed = rome_date(record.created_at)
    if record.tipo == "delibera":
        if d.immediatamente_eseguibile:
            return Esecutivita(d.adottata_il or record.data, "immediatamente eseguibile", "art. 134 c. 4 TUEL")
        pub = current(archive, record.id)
        if pub is None:
            return Esecutivita(None, "dall'11° giorno di pubblicazione all'albo: non ancora pubblicata",
                               "art. 134 c. 3 TUEL")
        return Esecutivita(pub.dal + dt.timedelta(days=DAYS_AFTER_PUBLICATION),
                           f"dall'11° giorno di pubblicazione all'albo (pubblicata dal {pub.dal:%d/%m/%Y})",
                           "art. 134 c. 3 TUEL")
    if record.tipo == "determinazione" and d.spesa:
        return Esecutivita(d.visto_il or signed, "dal visto di regolarità contabile attestante la copertura "
                           "finanziaria", "art. 151 c. 4 e art. 183 c. 7 TUEL")
    return Esecutivita(signed, "dalla sottoscrizione", "art. 151 c. 4 TUEL" if record.tipo == "determinazione"
                       else "")
