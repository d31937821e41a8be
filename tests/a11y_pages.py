"""The page states of ``atti serve`` that the accessibility tests check (tests/test_a11y.py), and
what they check: one list, read by the tests and by scripts/accessibility_doc.py, which writes
the declaration of accessibility's template (docs/accessibility.md) from it.

A page a later issue adds (the albo, a drafts list...) joins the checks by adding a
:class:`PageState` to :data:`PAGE_STATES`: its URL, who is signed in, and optionally what a
person does on the page before it is checked (a form sent with a mistake, say). Every state is
checked at every width of :data:`WIDTHS`, by axe-core and by the keyboard walk.

This module imports no browser: the declaration's generator reads it without one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# What axe-core checks: every rule of WCAG 2.0 and 2.1, levels A and AA.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
# CSS pixels: a desktop window and a phone (the layout changes at 48rem = 768 px).
WIDTHS = (1280, 390)
# The least contrast (WCAG 2.1) of a focus indicator (SC 1.4.11) and of a badge's text (SC 1.4.3).
FOCUS_CONTRAST = 3.0
TEXT_CONTRAST = 4.5


@dataclass(frozen=True)
class Ids:
    """The fixture archive's acts a page state may name (tests/test_web.py's build_archive)."""

    public: str  # published, rectified later
    rectifying: str  # rectifies the public one; markup in its oggetto
    reserved: str  # published, riservato
    draft: str  # a rendered draft in verifica (the review form for a reviewer)
    reserved_draft: str  # a reserved bozza, never rendered


# The steps a person takes on the page before it is checked: the Playwright page, the ids.
Steps = Callable[[Any, Ids], None]


@dataclass(frozen=True)
class PageState:
    name: str  # short, unique: the test's id
    description: str  # Italian: what the page shows, as the declaration lists it
    path: Callable[[Ids], str]
    role: str | None = None  # the signed-in user's role (tests/test_web.py's USERS); None: the public
    steps: Steps | None = None
    status: int = 200  # the answer's HTTP status before the steps
    tags: tuple[str, ...] = field(default=())


def _wrong_password(page: Any, ids: Ids) -> None:
    page.get_by_label("Nome utente").fill("ospite")  # no such user: no account's limit counts it
    page.get_by_label("Password").fill("sbagliata-123")
    with page.expect_navigation() as answer:
        page.get_by_role("button", name="Accedi").click()
    assert answer.value.status == 401


def _reject_without_note(page: Any, ids: Ids) -> None:
    with page.expect_navigation() as answer:
        page.get_by_role("button", name="Respingi").click()
    assert answer.value.status == 400  # refused: nothing is recorded


def _open_filters(page: Any, ids: Ids) -> None:
    page.locator("details.filters summary").click()


PAGE_STATES: list[PageState] = [
    PageState("ricerca", "ricerca: il modulo vuoto con i filtri chiusi", lambda i: "/"),
    PageState("filtri", "ricerca: i filtri aperti", lambda i: "/", steps=_open_filters),
    PageState("risultati", "ricerca: i risultati con le parole trovate evidenziate e i filtri per categoria",
              lambda i: "/?q=proroga"),
    PageState("filtro-applicato", "ricerca: un filtro per categoria applicato",
              lambda i: "/?q=proroga&stato=rettificato"),
    PageState("nessun-risultato", "ricerca: nessun risultato", lambda i: "/?q=inesistentissimo"),
    PageState("ricerca-errore", "ricerca: un filtro scritto male (l'anno) e il messaggio d'errore",
              lambda i: "/?anno=20x6", status=400),
    PageState("atto", "atto: dati, testo, anteprime, verifica delle firme, versioni e differenze, collegamenti",
              lambda i: f"/atti/{i.public}"),
    PageState("atto-rettifica", "atto: una rettifica che cita un altro atto", lambda i: f"/atti/{i.rectifying}"),
    PageState("accesso", "accesso: il modulo", lambda i: "/accesso"),
    PageState("accesso-errore", "accesso: nome o password errati", lambda i: "/accesso", steps=_wrong_password),
    PageState("non-trovato", "pagina d'errore: atto non trovato (404)", lambda i: "/atti/DO-2026-999", status=404),
    PageState("archivista-ricerca", "ricerca, con l'utente collegato", lambda i: "/?q=proroga", role="archivist"),
    PageState("archivista-riservato", "atto riservato, per un archivista", lambda i: f"/atti/{i.reserved}",
              role="archivist"),
    PageState("funzionario-bozza", "bozza in verifica, per chi la redige", lambda i: f"/atti/{i.draft}",
              role="officer"),
    PageState("funzionario-firma", "firma e pubblicazione delle bozze, senza firma remota configurata: come"
              " configurarla", lambda i: "/firma", role="officer"),
    PageState("revisore-bozza", "bozza in verifica con il modulo di revisione", lambda i: f"/atti/{i.draft}",
              role="reviewer"),
    PageState("revisore-errore", "modulo di revisione: respinta senza nota", lambda i: f"/atti/{i.draft}",
              role="reviewer", steps=_reject_without_note),
    PageState("revisore-bozza-riservata", "bozza riservata non ancora impaginata",
              lambda i: f"/atti/{i.reserved_draft}", role="reviewer"),
    PageState("amministratore-ricerca", "ricerca con le bozze, per un amministratore", lambda i: "/?stato=in+verifica",
              role="admin"),
]
