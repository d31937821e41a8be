"""Who may see which act: the access matrix of the web archive.

=============  ======================  ==============  ===========================
role           published, not reserved  reserved acts   drafts (bozza, in verifica,
                                                         firmato)
=============  ======================  ==============  ===========================
public         yes                      no              no
officer        yes                      no              yes
reviewer       yes                      yes             yes
archivist      yes                      yes             no
admin          yes                      yes             yes
=============  ======================  ==============  ===========================

An act that is both reserved and a draft needs both grants. Officers write drafts but do not
read reserved acts; archivists keep what is published, reserved or not, and have no business
with drafts; reviewers check both. Whatever is hidden from a viewer is hidden everywhere: search
results, counts, facets, snippets, downloads, links from other acts, and a direct URL answers
404 exactly as for an act that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from atti.archive.records import ActRecord
from atti.archive.search import PUBLISHED_STATES, Filters
from atti.web.users import User


@dataclass(frozen=True)
class Grant:
    reserved: bool
    drafts: bool


PUBLIC = Grant(reserved=False, drafts=False)
MATRIX = {
    "officer": Grant(reserved=False, drafts=True),
    "reviewer": Grant(reserved=True, drafts=True),
    "archivist": Grant(reserved=True, drafts=False),
    "admin": Grant(reserved=True, drafts=True),
}


def grant_of(user: User | None) -> Grant:
    return MATRIX.get(user.role, PUBLIC) if user is not None else PUBLIC


def is_reserved(record: ActRecord) -> bool:
    return record.riservato


def is_draft(record: ActRecord) -> bool:
    return record.stato not in PUBLISHED_STATES


def can_see(user: User | None, record: ActRecord) -> bool:
    grant = grant_of(user)
    return (grant.reserved or not is_reserved(record)) and (grant.drafts or not is_draft(record))


def search_filters(user: User | None, filters: Filters) -> Filters:
    """The user's filters narrowed to what the viewer may see, enforced by the catalog's query
    itself, so counts, facets and pages agree with the results and nothing hidden is counted."""
    grant = grant_of(user)
    return replace(filters, public_only=False, hide_reserved=not grant.reserved, hide_unpublished=not grant.drafts)
