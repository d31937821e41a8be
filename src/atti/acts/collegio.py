"""Checks of the collegial acts' and the visto contabile's own rules, before an act may be signed.

A deliberazione is the minutes of a seduta: who presides is among the presenti, nobody is both
present and absent, the votes are no more than the presenti and approve the proposal, and the
minutes are signed by the presidente and the segretario verbalizzante (artt. 97 and 134 TUEL).
A vote or a separate vote on immediata eseguibilità belongs to a seduta. A visto contabile
comes after the act it is on, and the act is esecutiva from the visto on, not before (art. 183,
comma 7, TUEL).
"""

from __future__ import annotations

from atti.acts.model import Votazione
from atti.acts.source import LoadedAct, Path_, dotted
from atti.errors import Problem
from atti.i18n import _


def _person(name: str) -> str:
    return " ".join(name.casefold().split())


def collegial_problems(loaded: LoadedAct) -> list[Problem]:
    """Every problem of the act's seduta, votes and visto contabile, placed on its YAML line."""
    act, smap = loaded.act, loaded.source
    out: list[Problem] = []

    def problem(path: Path_, message: str) -> None:
        out.append(smap.problem(path, f"{dotted(path)}: {message}"))

    seduta = act.seduta
    votes: list[tuple[Path_, Votazione]] = []
    if act.votazione is not None:
        votes.append((("votazione",), act.votazione))
    if act.immediata_eseguibilita is not None:
        votes.append((("immediata_eseguibilita", "votazione"), act.immediata_eseguibilita.votazione))
    if seduta is None:
        for path, _vote in votes:
            problem(path[:1], _("a vote is taken in a seduta: write the seduta too (who was present, who presided)"))
    else:
        presenti = {_person(c.nome) for c in seduta.presenti}
        for i, member in enumerate(seduta.assenti):
            if _person(member.nome) in presenti:
                problem(("seduta", "assenti", i, "nome"),
                        _("{nome} is also among the presenti").format(nome=member.nome))
        if _person(seduta.presidente.nome) not in presenti:
            problem(("seduta", "presidente", "nome"),
                    _("{nome} presides: write them among the presenti").format(nome=seduta.presidente.nome))
        for path, vote in votes:
            if vote.unanimita:
                continue
            favorevoli = vote.favorevoli or 0
            total = favorevoli + vote.contrari + vote.astenuti
            if total > len(seduta.presenti):
                problem(path, _("{total} votes, but {presenti} presenti").format(
                    total=total, presenti=len(seduta.presenti)))
            if favorevoli <= vote.contrari:
                problem(path, _("{favorevoli} favorevoli and {contrari} contrari: the proposal is not approved").format(
                    favorevoli=favorevoli, contrari=vote.contrari))
        signers = {_person(f.nome) for f in act.firmatari}
        missing = [who for who in (seduta.presidente, seduta.segretario) if _person(who.nome) not in signers]
        if missing:
            names = _(" and ").join(f"{who.nome} ({who.ruolo})" for who in missing)
            problem(("firmatario",), _("the minutes of a seduta are signed by who presided and the segretario "
                                       "verbalizzante: list {names} under firmatario").format(names=names))
    visto = act.visto_contabile
    if visto is not None:
        if visto.data < act.data:
            problem(("visto_contabile", "data"), _("{visto} is before the act's data ({data}): the visto comes "
                                                   "after the act").format(
                visto=visto.data.isoformat(), data=act.data.isoformat()))
        elif visto.esecutiva < visto.data:
            esecutiva = _("{esecutiva} is before the visto ({visto}): the act is esecutiva from the visto on "
                          "(art. 183, comma 7, TUEL)")
            problem(("visto_contabile", "esecutiva_dal"),
                    esecutiva.format(esecutiva=visto.esecutiva.isoformat(), visto=visto.data.isoformat()))
    return out
