# ruff: noqa: E501 (the acts' Italian sentences read better whole than cut at 120 columns)
"""Write the search relevance set: tests/data/search/acts.json and tests/data/search/queries.json.

    python scripts/search_corpus.py

The acts follow the real acts of tests/data/import (a Comune's determinazioni, delibere and
ordinanze, Unioncamere Lombardia's determinazioni of the Direttore Operativo, a consorzio's
decreti) and their citation styles: the same subjects in many variations of number, date,
amount, firm, signer and wording, so that every query meets the neighbours an archive holds
(acts about "aree verdi" next to the mayor Verdi's, "programma operativo" and "pubblicare" next
to "opere pubbliche", an act citing DO-60 next to DO-60 itself).

Each query is judged as an archivist would, from what the acts are about, by the rules written
next to it here, never from what an engine returns: ``relevant`` lists the acts a person typing
it wants, and ``first`` (when given) the one act that must come first (the act whose number was
typed). The file is written once and committed; this script says how it was made.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "search"


@dataclass
class Act:
    id: str
    registro: str
    anno: int
    numero: int
    tipo: str
    organo: str
    data: str
    ente: str
    oggetto: str
    body: str
    firmatario: str
    topic: str
    people: list[str] = field(default_factory=list)
    cites: list[str] = field(default_factory=list)  # laws ("267/2000") and acts ("DO-2026-60") it cites

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("topic", "people", "cites")}


COMUNE = "Comune di Valdora"
UNIONCAMERE = "Unioncamere Lombardia"
CONSORZIO = "Consorzio di Bonifica Adda Martesana"

FIRMS = ["Verde Brianza S.r.l.", "Edil Lario S.p.A.", "Tecnoservizi Adda S.r.l.", "Cooperativa Il Sentiero",
         "Studio Legale Ferri", "Arredi Scuola S.r.l.", "Autolinee Valdora S.r.l.", "Informatica Lombarda S.r.l.",
         "Impianti Moretti S.n.c.", "Grafiche Colombo S.r.l."]
DIRIGENTI = ["Mario Rossi", "Laura Bianchi", "Paolo Galli", "Chiara Fontana"]
MAYOR = "Anna Verdi"
DIRETTORE_OPERATIVO = "Fabrizio Ventrice"
SEGRETARIO = "Marco Sangalli"
RAGIONIERA = "Elisa Pozzoli"


def date(rng: random.Random, year: int) -> dt.date:
    return dt.date(year, rng.randint(1, 12), rng.randint(1, 28))


def it(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


class Corpus:
    def __init__(self) -> None:
        self.rng = random.Random(18)
        self.acts: list[Act] = []
        self.numbers: dict[tuple[str, int], int] = {}

    def add(self, *, registro: str, anno: int, tipo: str, organo: str, ente: str, oggetto: str, parts: list[str],
            firmatario: str, topic: str, proposta: tuple[str, str] | None = None,
            verifiche: Sequence[tuple[str, str]] = (), cites: Sequence[str] = (), numero: int | None = None,
            data: dt.date | None = None) -> Act:
        if numero is None:
            numero = self.numbers[registro, anno] = self.numbers.get((registro, anno), 0) + self.rng.randint(1, 9)
        else:
            self.numbers[registro, anno] = max(self.numbers.get((registro, anno), 0), numero)
        when = data or date(self.rng, anno)
        lines = list(parts)
        people = [firmatario]
        if proposta is not None:
            lines.append(f"Proposta: {proposta[0]}, {proposta[1]}")
            people.append(proposta[1])
        for tipo_verifica, nome in verifiche:
            lines.append(f"Verifica {tipo_verifica}: {nome}")
            people.append(nome)
        slug = "".join(c for c in registro if c.isalnum())
        act = Act(f"{slug}-{anno}-{numero}", registro, anno, numero, tipo, organo, when.isoformat(), ente, oggetto,
                  "\n".join(lines), firmatario, topic, people, list(cites))
        self.acts.append(act)
        return act


def comune(c: Corpus) -> None:
    rng = c.rng
    dirigente_lp, dirigente_fin = "Mario Rossi", "Laura Bianchi"
    # Programma triennale delle opere pubbliche: the public-works act "opere pubbliche" must find.
    for year in (2023, 2024, 2025, 2026):
        c.add(registro="DC", anno=year, tipo="delibera", organo="Consiglio comunale", ente=COMUNE,
              oggetto=f"Approvazione del programma triennale delle opere pubbliche {year}-{year + 2} e dell'elenco"
                      f" annuale {year}",
              parts=["Visto l'art. 42 del D.Lgs. 18 agosto 2000, n. 267;",
                     "Visto l'art. 37 del D.Lgs. 31 marzo 2023, n. 36, che disciplina la programmazione dei lavori"
                     " pubblici;",
                     f"Premesso che la Giunta comunale ha adottato lo schema di programma triennale dei lavori per il"
                     f" triennio {year}-{year + 2};",
                     "di approvare il programma e l'elenco annuale allegati al presente atto;",
                     "di pubblicare il presente atto all'albo pretorio on line."],
              firmatario=MAYOR, topic="opere_pubbliche", proposta=("Settore Lavori Pubblici", dirigente_lp),
              verifiche=[("contabile", dirigente_fin)], cites=["267/2000", "36/2023"])
    # Lavori di riqualificazione: public works too (the words in the body)
    for piazza in ("piazza Garibaldi", "via Roma", "scuola primaria Manzoni"):
        year = rng.choice((2024, 2025))
        c.add(registro="DET", anno=year, tipo="determinazione", organo="Responsabile Settore Lavori Pubblici",
              ente=COMUNE, oggetto=f"Approvazione del progetto esecutivo dei lavori di riqualificazione di {piazza}",
              parts=["Visto il D.Lgs. 36/2023, codice dei contratti pubblici;",
                     f"Premesso che l'intervento di riqualificazione di {piazza} è inserito nel programma delle opere"
                     " pubbliche dell'ente;",
                     f"di approvare il progetto esecutivo redatto dall'ing. {rng.choice(['Carlo Neri', 'Sara Conti'])};",
                     "di pubblicare il presente atto all'albo pretorio."],
              firmatario=dirigente_lp, topic="lavori", verifiche=[("contabile", dirigente_fin)], cites=["36/2023"])
    # Manutenzione aree verdi: the trap for "Verdi"
    for year in (2022, 2023, 2024, 2025, 2026):
        firm = rng.choice(FIRMS[:3])
        amount = rng.randint(20, 90) * 1000
        c.add(registro="DET", anno=year, tipo="determinazione", organo="Responsabile Settore Lavori Pubblici",
              ente=COMUNE, oggetto=f"Affidamento del servizio di manutenzione delle aree verdi comunali per l'anno {year}"
                                   " e impegno di spesa",
              parts=["Visto il D.Lgs. 18 agosto 2000, n. 267, e in particolare l'art. 107;",
                     "Visto l'art. 50 del D.Lgs. 36/2023 sull'affidamento diretto;",
                     f"Considerato che l'offerta della ditta {firm} è risultata congrua;",
                     f"di affidare alla ditta {firm} il servizio di manutenzione del verde pubblico e delle aree verdi"
                     f" per l'anno {year};",
                     f"di impegnare la somma di € {amount:,}.00 sul capitolo 1234 del bilancio {year};".replace(",", "."),
                     "di pubblicare il presente atto all'albo pretorio on line."],
              firmatario=dirigente_lp, topic="aree_verdi", verifiche=[("contabile", dirigente_fin)],
              cites=["267/2000", "36/2023"])
    # Ordinanze of the mayor Anna Verdi: chiusura scuole per neve, vetro, viabilità
    for year, what in ((2024, "neve"), (2025, "neve"), (2026, "ghiaccio")):
        c.add(registro="ORD", anno=year, tipo="ordinanza", organo="Sindaco", ente=COMUNE,
              oggetto=f"Chiusura temporanea delle scuole di ogni ordine e grado per {what}",
              parts=[f"Considerato che le previsioni meteorologiche annunciano {what} e temperature rigide;",
                     "Rilevato il pericolo per la pubblica incolumità;",
                     "Visti gli artt. 50 e 54 del D.Lgs. 267/2000 (TUEL);",
                     "la chiusura di tutte le scuole e degli asili nido del territorio comunale;",
                     "la pubblicazione della presente ordinanza all'albo pretorio."],
              firmatario=MAYOR, topic="scuole_neve", cites=["267/2000"])
    c.add(registro="ORD", anno=2025, tipo="ordinanza", organo="Sindaco", ente=COMUNE,
          oggetto="Limitazione degli orari di vendita di bevande in contenitori di vetro nel centro storico",
          parts=["Considerato che nel periodo estivo si registrano frequenti episodi di abbandono di bottiglie di vetro;",
                 "Visto l'art. 50 del TUEL;",
                 "il divieto di vendita per asporto di bevande in contenitori di vetro dalle ore 21.00 alle ore 6.00;"],
          firmatario=MAYOR, topic="vetro", cites=["267/2000"])
    # Variazioni di bilancio, rendiconto (Giunta, Consiglio), signed by the mayor or the dirigente
    for year in (2023, 2024, 2025, 2026):
        for n in range(2):
            c.add(registro="DG", anno=year, tipo="delibera", organo="Giunta comunale", ente=COMUNE,
                  oggetto=f"Variazione di bilancio n. {n + 1} al bilancio di previsione {year}-{year + 2} adottata in via"
                          " d'urgenza",
                  parts=["Visto l'art. 175, comma 4, del D.Lgs. 267/2000;",
                         "Visto il parere favorevole dell'organo di revisione;",
                         "di apportare al bilancio di previsione le variazioni di competenza e di cassa allegate;",
                         "di sottoporre la presente deliberazione a ratifica del Consiglio comunale."],
                  firmatario="Giorgio Marchetti" if n else "Luca Ferraro", topic="variazione_bilancio",
                  proposta=("Settore Finanziario", dirigente_fin), verifiche=[("contabile", dirigente_fin)],
                  cites=["267/2000"])
        c.add(registro="DC", anno=year, tipo="delibera", organo="Consiglio comunale", ente=COMUNE,
              oggetto=f"Approvazione del rendiconto della gestione dell'esercizio {year - 1}",
              parts=["Visto l'art. 227 del D.Lgs. 267/2000;", "Vista la relazione dell'organo di revisione;",
                     f"di approvare il rendiconto dell'esercizio finanziario {year - 1};"],
              firmatario="Giorgio Marchetti", topic="rendiconto", proposta=("Settore Finanziario", dirigente_fin),
              cites=["267/2000"])
    # Trasporto scolastico, arredi, incarichi legali, accesso agli atti, privacy, transizione digitale
    for year in (2024, 2025, 2026):
        c.add(registro="DET", anno=year, tipo="determinazione", organo="Responsabile Settore Servizi Scolastici",
              ente=COMUNE, oggetto=f"Affidamento del servizio di trasporto scolastico per l'anno scolastico {year}/{year + 1}",
              parts=["Visto il D.Lgs. 36/2023;", "Considerato che il servizio di trasporto degli alunni è essenziale;",
                     f"di affidare il servizio alla ditta {FIRMS[6]};", "di pubblicare il presente atto all'albo pretorio."],
              firmatario="Paolo Galli", topic="trasporto_scolastico", verifiche=[("contabile", dirigente_fin)],
              cites=["36/2023"])
        c.add(registro="DET", anno=year, tipo="determinazione", organo="Responsabile Settore Servizi Scolastici",
              ente=COMUNE, oggetto=f"Acquisto di arredi scolastici per la scuola secondaria tramite MePA ({year})",
              parts=["Visto l'art. 50 del D.Lgs. 36/2023;", "Rilevata la necessità di sostituire banchi e sedie;",
                     f"di acquistare gli arredi dalla ditta {FIRMS[5]};"],
              firmatario="Paolo Galli", topic="arredi", cites=["36/2023"])
    for year, matter in ((2024, "ricorso al TAR Lombardia"), (2025, "atto di citazione"), (2026, "ricorso in appello")):
        c.add(registro="DG", anno=year, tipo="delibera", organo="Giunta comunale", ente=COMUNE,
              oggetto=f"Costituzione in giudizio e conferimento dell'incarico di patrocinio legale per {matter}",
              parts=["Visto l'art. 48 del D.Lgs. 267/2000;", f"di conferire l'incarico all'{FIRMS[4]};"],
              firmatario=MAYOR, topic="patrocinio", cites=["267/2000"])
    c.add(registro="DG", anno=2025, tipo="delibera", organo="Giunta comunale", ente=COMUNE,
          oggetto="Approvazione del regolamento per l'esercizio del diritto di accesso agli atti",
          parts=["Vista la L. 7 agosto 1990, n. 241, capo V;", "Visto il D.Lgs. 33/2013 sull'accesso civico;",
                 "di approvare il regolamento allegato;"],
          firmatario="Luca Ferraro", topic="accesso_atti", cites=["241/1990", "33/2013"])
    c.add(registro="DS", anno=2025, tipo="decreto", organo="Sindaco", ente=COMUNE,
          oggetto="Designazione del responsabile della protezione dei dati personali (RPD/DPO)",
          parts=["Visto il Regolamento (UE) 2016/679 (GDPR), artt. 37-39;",
                 "Visto il D.Lgs. 30 giugno 2003, n. 196 (codice privacy);",
                 f"di designare quale responsabile della protezione dei dati la società {FIRMS[7]};"],
          firmatario=MAYOR, topic="privacy", cites=["679/2016", "196/2003"])
    c.add(registro="DG", anno=2026, tipo="delibera", organo="Giunta comunale", ente=COMUNE,
          oggetto="Approvazione del piano triennale per la transizione digitale 2026-2028",
          parts=["Visto il D.Lgs. 7 marzo 2005, n. 82 (Codice dell'amministrazione digitale);",
                 "Visto il piano triennale per l'informatica nella pubblica amministrazione;",
                 "di nominare il responsabile per la transizione al digitale;"],
          firmatario="Luca Ferraro", topic="digitale", cites=["82/2005"])
    # Contributi alle associazioni sportive (many, similar)
    for year in (2022, 2023, 2024, 2025, 2026):
        for assoc in ("A.S.D. Valdora Calcio", "Polisportiva San Rocco"):
            c.add(registro="DET", anno=year, tipo="determinazione", organo="Responsabile Settore Servizi Sociali",
                  ente=COMUNE, oggetto=f"Concessione di un contributo economico all'associazione {assoc} per l'anno {year}",
                  parts=["Visto il regolamento comunale per la concessione di contributi alle associazioni sportive"
                         " dilettantistiche;",
                         f"Vista l'istanza presentata dall'associazione {assoc};",
                         f"di liquidare il contributo di € {rng.randint(1, 9)}.000,00;",
                         "di pubblicare il presente atto nella sezione Amministrazione trasparente ai sensi dell'art. 26"
                         " del D.Lgs. 33/2013."],
                  firmatario="Chiara Fontana", topic="contributi_sport", cites=["33/2013"])
    # Liquidazione fatture (many, generic)
    for year in (2023, 2024, 2025, 2026):
        for _ in range(6):
            firm = rng.choice(FIRMS)
            c.add(registro="DET", anno=year, tipo="determinazione", organo="Responsabile Settore Finanziario",
                  ente=COMUNE, oggetto=f"Liquidazione della fattura n. {rng.randint(10, 999)} della ditta {firm}",
                  parts=["Visto l'art. 184 del D.Lgs. 267/2000;", "Accertata la regolarità della fornitura;",
                         f"di liquidare la fattura della ditta {firm};"],
                  firmatario=dirigente_fin, topic="liquidazione", cites=["267/2000"])
    # Concorsi e assunzioni
    for year, profile in ((2024, "istruttore amministrativo"), (2025, "agente di polizia locale"),
                          (2026, "istruttore tecnico")):
        c.add(registro="DET", anno=year, tipo="determinazione", organo="Responsabile Settore Personale", ente=COMUNE,
              oggetto=f"Indizione del concorso pubblico per esami per un posto di {profile}",
              parts=["Visto il D.Lgs. 30 marzo 2001, n. 165;", "Visto il piano triennale dei fabbisogni di personale;",
                     f"di indire il concorso per un posto di {profile};",
                     "di nominare la commissione esaminatrice con successivo atto."],
              firmatario="Laura Bianchi", topic="concorso", cites=["165/2001"])


def unioncamere(c: Corpus) -> None:
    rng = c.rng
    # The DO register of 2026: DO-2026-60 (the approval of a bando), then acts citing it
    bando = c.add(registro="D.O.", anno=2026, tipo="determinazione", organo="Direttore Operativo", ente=UNIONCAMERE,
                  numero=60, data=dt.date(2026, 3, 18),
                  oggetto="Approvazione del bando \"Export su Misura. Servizi a supporto delle imprese per l'accesso ai"
                          " mercati esteri\"",
                  parts=["in forza della delega conferita dal Segretario Generale al Direttore Operativo con"
                         " Determinazione n. 46/2021 dell'01/06/2021;",
                         "Regione Lombardia con DGR n. XII/5217 del 27 ottobre 2025 ha approvato il progetto \"Piano per"
                         " l'export e l'internazionalizzazione delle imprese lombarde 2025\";",
                         "di approvare il bando e la relativa modulistica;",
                         "di pubblicare il presente provvedimento sul sito istituzionale."],
                  firmatario=DIRETTORE_OPERATIVO, topic="bando_export",
                  proposta=("Area Sviluppo Imprese", SEGRETARIO), verifiche=[("contabile", RAGIONIERA)])
    for n, (what, day) in enumerate((("Approvazione della proroga dei termini per la presentazione delle domande della"
                                      " II finestra del bando", dt.date(2026, 5, 19)),
                                     ("Approvazione della graduatoria delle domande ammesse al bando",
                                      dt.date(2026, 7, 2)),
                                     ("Liquidazione dei voucher alle imprese beneficiarie del bando",
                                      dt.date(2026, 10, 9)))):
        c.add(registro="D.O.", anno=2026, tipo="determinazione", organo="Direttore Operativo", ente=UNIONCAMERE,
              numero=129 + n * 40, data=day,
              oggetto=f"{what} \"Export su Misura\"",
              parts=["con Determinazione D.O. n. 60 del 18/03/2026 è stato approvato il bando \"Export su Misura\";",
                     "la DGR n. XII/2647 del 1° luglio 2024 approva il programma operativo 2024-2025;",
                     "di pubblicare il presente provvedimento sul sito istituzionale."],
              firmatario=DIRETTORE_OPERATIVO if n != 1 else SEGRETARIO, topic="bando_export_seguito",
              proposta=("Area Sviluppo Imprese", SEGRETARIO) if n == 0 else None,
              verifiche=[("contabile", RAGIONIERA)], cites=[bando.id])
    # Other D.O. acts over the years: bandi, graduatorie, commissioni (signed by the two managers)
    topics = [
        ("Approvazione del bando per contributi alle imprese per la digitalizzazione {y}", "bando_digitale"),
        ("Approvazione della graduatoria del bando contributi per la digitalizzazione delle imprese {y}",
         "graduatoria_digitale"),
        ("Nomina della commissione di valutazione delle domande del bando Innovazione {y}", "commissione"),
        ("Affidamento del servizio di assistenza tecnica al programma operativo {y}", "assistenza_tecnica"),
        ("Approvazione del programma delle attività di internazionalizzazione {y}", "internazionalizzazione"),
    ]
    for year in (2022, 2023, 2024, 2025):
        for template, topic in topics:
            signer = rng.choice((DIRETTORE_OPERATIVO, "Gian Luca Moroni", "Gian Luca Moroni"))
            c.add(registro="D.O.", anno=year, tipo="determinazione", organo="Direttore Operativo", ente=UNIONCAMERE,
                  oggetto=template.format(y=year),
                  parts=["ai sensi dell'art. 15 dello Statuto vigente;",
                         "Regione Lombardia e Sistema Camerale lombardo hanno sottoscritto l'Accordo per lo sviluppo"
                         " economico e la competitività, approvato con DGR n. XII/1536 del 18 dicembre 2023;",
                         "di dare atto che la spesa trova copertura nel bilancio dell'ente;",
                         "di pubblicare il presente provvedimento sul sito istituzionale."],
                  firmatario="Gian Luca Moroni" if signer == DIRETTORE_OPERATIVO and year < 2025 else signer,
                  topic=topic, verifiche=[("contabile", "Rosa Galbiati")])
    # Segretario Generale's acts (register S.G.), some proposed by Sangalli's area
    for year in (2024, 2025, 2026):
        c.add(registro="S.G.", anno=year, tipo="determinazione", organo="Segretario Generale", ente=UNIONCAMERE,
              oggetto=f"Approvazione del piano integrato di attività e organizzazione (PIAO) {year}-{year + 2}",
              parts=["Visto l'art. 6 del D.L. 80/2021;", "Visto il D.Lgs. 14 marzo 2013, n. 33;",
                     "di approvare il PIAO e di pubblicarlo nella sezione Amministrazione trasparente."],
              firmatario="Gian Domenico Auricchio", topic="piao", cites=["33/2013"])


def consorzio(c: Corpus) -> None:
    rng = c.rng
    for year in (2024, 2025, 2026):
        for what in ("manutenzione dei canali irrigui", "espurgo del canale Villoresi", "riparazione delle paratoie"):
            c.add(registro="DP", anno=year, tipo="decreto", organo="Presidente", ente=CONSORZIO,
                  oggetto=f"Approvazione dei lavori urgenti di {what} ({year})",
                  parts=["Visto lo Statuto consortile;", "Visto il D.Lgs. 36/2023;",
                         f"di approvare la perizia dei lavori di {what} per € {rng.randint(10, 99)}.000,00;"],
                  firmatario="Alessandro Folli", topic="consorzio_lavori", cites=["36/2023"])


def generic(c: Corpus, count: int) -> None:
    """Ordinary acts that fill an archive: other subjects, the same words around them."""
    rng = c.rng
    subjects = [
        "Approvazione della convenzione con l'Istituto comprensivo per il servizio di pre e post scuola",
        "Presa d'atto delle dimissioni di un consigliere comunale e surroga",
        "Concessione in uso della palestra comunale alle associazioni",
        "Adesione alla centrale unica di committenza della provincia",
        "Approvazione del piano di protezione civile comunale",
        "Rinnovo della convenzione per il servizio di tesoreria",
        "Approvazione delle tariffe dei servizi a domanda individuale",
        "Nomina del nucleo di valutazione",
        "Autorizzazione alla partecipazione a un corso di formazione del personale",
        "Impegno di spesa per la fornitura di carburante per i mezzi comunali",
        "Approvazione dello schema di accordo con l'ATS per il servizio di assistenza domiciliare",
        "Acquisto di materiale di cancelleria per gli uffici comunali",
        "Rimborso delle spese di missione agli amministratori",
        "Approvazione del calendario delle manifestazioni estive",
        "Riconoscimento di un debito fuori bilancio derivante da sentenza",
    ]
    organi = [("DG", "delibera", "Giunta comunale", "Luca Ferraro"), ("DET", "determinazione",
              "Responsabile Settore Affari Generali", "Chiara Fontana"),
              ("DET", "determinazione", "Responsabile Settore Finanziario", "Laura Bianchi")]
    for _ in range(count):
        registro, tipo, organo, firmatario = rng.choice(organi)
        year = rng.randint(2021, 2026)
        subject = rng.choice(subjects)
        c.add(registro=registro, anno=year, tipo=tipo, organo=organo, ente=COMUNE, oggetto=f"{subject} ({year})",
              parts=["Visto lo Statuto comunale;", "Visto il regolamento sull'ordinamento degli uffici e dei servizi;",
                     "Ritenuto di provvedere in merito;", "di dichiarare il presente atto immediatamente eseguibile;",
                     "di pubblicare il presente atto all'albo pretorio on line."],
              firmatario=firmatario, topic="generic")


def queries(acts: list[Act]) -> list[dict[str, Any]]:
    """The judged queries: (kind, query, relevant acts by the rule stated, the act that must be first)."""
    def where(rule: Any) -> list[str]:
        return [a.id for a in acts if rule(a)]

    def topic(*names: str) -> list[str]:
        return where(lambda a: a.topic in names)

    def cites(law: str) -> list[str]:
        return where(lambda a: law in a.cites)

    def person(name: str) -> list[str]:
        return where(lambda a: any(name in p for p in a.people))

    do60 = "DO-2026-60"
    citing60 = cites(do60)
    out: list[tuple[str, str, list[str], str | None]] = [
        # names: the acts of a person (signer, proponent, verifier) or of a body
        ("names", "Ventrice", person("Ventrice"), None),
        ("names", "firmatario:Ventrice", where(lambda a: "Ventrice" in a.firmatario), None),
        ("names", "Sangalli", person("Sangalli"), None),
        ("names", "proposta:Sangalli", where(lambda a: f"Proposta: Area Sviluppo Imprese, {SEGRETARIO}" in a.body), None),
        ("names", "Pozzoli", person("Pozzoli"), None),
        ("names", "verificatore:Pozzoli", person("Pozzoli"), None),
        ("names", "Verdi", where(lambda a: a.firmatario == MAYOR), None),
        ("names", "Anna Verdi", where(lambda a: a.firmatario == MAYOR), None),
        ("names", "firmatario:Verdi ordinanza", where(lambda a: a.firmatario == MAYOR and a.tipo == "ordinanza"), None),
        ("names", "Consorzio Adda Martesana", where(lambda a: a.ente == CONSORZIO), None),
        ("names", "ente:Consorzio", where(lambda a: a.ente == CONSORZIO), None),
        ("names", "Auricchio", person("Auricchio"), None),
        ("names", "Mario Rossi", person("Mario Rossi"), None),
        # numbers: the act itself first, then the acts citing it
        ("numbers", "n. 60 del 18/03/2026", [do60, *citing60], do60),
        ("numbers", "D.O. 60/2026", [do60, *citing60], do60),
        ("numbers", "DO-2026-60", [do60, *citing60], do60),
        ("numbers", "determinazione 60/2026", [do60, *citing60], do60),
        ("numbers", "60/2026", [do60, *citing60], do60),
        ("numbers", "determinazione D.O. n. 60 del 18 marzo 2026", [do60, *citing60], do60),
        ("numbers", "DO-2026-129", ["DO-2026-129"], "DO-2026-129"),
        ("numbers", "129/2026", ["DO-2026-129"], "DO-2026-129"),
        ("numbers", "D.O. n. 169/2026", ["DO-2026-169"], "DO-2026-169"),
        ("numbers", "60", [do60, *citing60], do60),
        # laws, by number or by name (abbreviations are synonyms)
        ("laws", "267/2000", cites("267/2000"), None),
        ("laws", "D.Lgs. 267/2000", cites("267/2000"), None),
        ("laws", "TUEL", cites("267/2000"), None),
        ("laws", "D.Lgs. 36/2023", cites("36/2023"), None),
        ("laws", "codice dei contratti", cites("36/2023"), None),
        ("laws", "L. 241/1990", cites("241/1990"), None),
        ("laws", "legge 241/90", cites("241/1990"), None),
        ("laws", "CAD", cites("82/2005"), None),
        ("laws", "D.Lgs. 82/2005", cites("82/2005"), None),
        ("laws", "GDPR", cites("679/2016"), None),
        ("laws", "D.Lgs. 165/2001", cites("165/2001"), None),
        ("laws", "D.Lgs. 33/2013", cites("33/2013"), None),
        ("laws", "legge 241", cites("241/1990"), None),
        # subjects
        ("subjects", "opere pubbliche", topic("opere_pubbliche"), None),
        ("subjects", "aree verdi", topic("aree_verdi"), None),
        ("subjects", "chiusura scuole neve", where(lambda a: a.topic == "scuole_neve" and "neve" in a.oggetto), None),
        ("subjects", "variazione di bilancio 2025", where(lambda a: a.topic == "variazione_bilancio" and a.anno == 2025),
         None),
        ("subjects", "rendiconto", topic("rendiconto"), None),
        ("subjects", "patrocinio legale", topic("patrocinio"), None),
        ("subjects", "accesso agli atti", topic("accesso_atti"), None),
        ("subjects", "trasporto scolastico", topic("trasporto_scolastico"), None),
        ("subjects", "arredi scolastici", topic("arredi"), None),
        ("subjects", "responsabile protezione dati", topic("privacy"), None),
        ("subjects", "transizione digitale", topic("digitale"), None),
        ("subjects", "concorso istruttore", where(lambda a: a.topic == "concorso" and "istruttore" in a.oggetto), None),
        ("subjects", "export proroga", where(lambda a: a.topic == "bando_export_seguito" and "proroga" in a.oggetto),
         None),
        ("subjects", "PIAO", topic("piao"), None),
        ("subjects", "manutenzione verde pubblico", topic("aree_verdi"), None),
        # phrases
        ("phrases", '"opere pubbliche"', topic("opere_pubbliche"), None),
        ("phrases", '"aree verdi"', topic("aree_verdi"), None),
        ("phrases", '"Export su Misura"', topic("bando_export", "bando_export_seguito"), None),
        ("phrases", '"piano triennale" digitale', topic("digitale"), None),
        ("phrases", '"canali irrigui"', where(lambda a: "canali irrigui" in a.oggetto), None),
        ("phrases", '"contenitori di vetro"', topic("vetro"), None),
        # operators: OR, exclusion, prefix, a field
        ("operators", "neve OR ghiaccio", topic("scuole_neve"), None),
        ("operators", "scuole -neve", where(lambda a: a.topic == "scuole_neve" and "neve" not in a.body
                                            and "neve" not in a.oggetto), None),
        ("operators", "graduator* digitalizzazione", topic("graduatoria_digitale"), None),
        ("operators", "oggetto:voucher", where(lambda a: "voucher" in a.oggetto), None),
        ("operators", "tipo:ordinanza", where(lambda a: a.tipo == "ordinanza"), None),
        ("operators", "espurgo OR paratoie", where(lambda a: "espurgo" in a.oggetto or "paratoie" in a.oggetto), None),
        ("operators", "commissione valutazione -2022", where(lambda a: a.topic == "commissione" and a.anno != 2022),
         None),
        # stems: other forms of the words
        ("stems", "prorogare termini", where(lambda a: "proroga dei termini" in a.oggetto), None),
        ("stems", "graduatorie digitalizzazione", topic("graduatoria_digitale"), None),
        ("stems", "nomina commissioni valutazione", topic("commissione"), None),
        ("stems", "contributo associazioni sportive", topic("contributi_sport"), None),
        ("stems", "ordinanze chiusura scuola", topic("scuole_neve"), None),
        ("stems", "progetti esecutivi riqualificazione", topic("lavori"), None),
        # typos: one letter wrong, missing or swapped
        ("typos", "Ventrcie", person("Ventrice"), None),
        ("typos", "Sangali", person("Sangalli"), None),
        ("typos", "Ventice", person("Ventrice"), None),
        ("typos", "patrocino legale", topic("patrocinio"), None),
        ("typos", "trasproto scolastico", topic("trasporto_scolastico"), None),
        ("typos", "rendicnoto", topic("rendiconto"), None),
        ("typos", "internazionalizazione", topic("internazionalizzazione"), None),
    ]
    return [{"kind": k, "query": q, "relevant": rel, **({"first": first} if first else {})} for k, q, rel, first in out]


def main() -> int:
    c = Corpus()
    comune(c)
    unioncamere(c)
    consorzio(c)
    generic(c, 330 - len(c.acts))
    acts = c.acts
    assert len({a.id for a in acts}) == len(acts), "ids repeat"
    judged = queries(acts)
    for q in judged:
        assert q["relevant"], q
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "acts.json").write_text(json.dumps([a.to_dict() for a in acts], ensure_ascii=False, indent=1) + "\n",
                                   encoding="utf-8")
    (OUT / "queries.json").write_text(json.dumps(judged, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(acts)} acts, {len(judged)} queries written to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
