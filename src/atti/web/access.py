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
404 exactly as for an act that does not exist. A viewer without the drafts grant sees an act's
versions from its publication on; a reference to an act the viewer may not see names no id.
"""

from __future__ import annotations

from atti.archive.visibility import PUBLIC, Viewer
from atti.web.users import User

# The rule itself (what a viewer sees of each act, version and reference) is
# atti.archive.visibility's, the same for every copy of the data; the web only says who is who.
# Every signed-in role is the body's staff and reads the full text of an act that marks personal
# data (personal); the public is given its publication copy, personal data [omissis].
MATRIX = {
    "officer": Viewer(reserved=False, drafts=True, personal=True),
    "reviewer": Viewer(reserved=True, drafts=True, personal=True),
    "archivist": Viewer(reserved=True, drafts=False, personal=True),
    "admin": Viewer(reserved=True, drafts=True, personal=True),
}


def viewer_of(user: User | None) -> Viewer:
    return MATRIX.get(user.role, PUBLIC) if user is not None else PUBLIC
