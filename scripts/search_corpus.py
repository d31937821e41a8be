# ruff: noqa: E501 (the acts' Italian sentences read better whole than cut at 120 columns)
"""Write the search relevance set: tests/data/search/acts.json and tests/data/search/queries.json.

    python scripts/search_corpus.py

The archive holds two kinds of acts:

* the 40 real acts of tests/data/import/real (35 Italian bodies, copied verbatim from their public
  pages; see tests/data/import/corpus.yaml), each read by atti's own importer: its oggetto, its
  body (Act.body_text: premesse, visti, considerato, dispositivo, and what the importer could not
  place, which is the act's text all the same), with tipo, organo, numero and data as corpus.yaml
  judged them and the rest completed by REAL below where the importer misses it (many texts are
  fragments without a signature; some print their oggetto where the importer does not look);
  each keeps its file in "source". A text that prints no number of its own is archived in the
  register S.N., never under a number it does not have;
* 330 variations in the styles of those acts (a Comune's determinazioni, delibere and ordinanze,
  Unioncamere Lombardia's determinazioni of the Direttore Operativo, a consorzio's decreti): the
  same subjects in many variations of number, date, amount, firm, signer and wording, so that
  every query meets the neighbours an archive holds (acts about "aree verdi" next to the mayor
  Verdi's, "programma operativo" and "pubblicare" next to "opere pubbliche", an act citing DO-60
  next to DO-60 itself).

Each query is judged as an archivist would, from what the acts are about, by the rules written
next to it here, never from what an engine returns: ``relevant`` lists the acts a person typing
it wants, and ``first`` (when given) the one act that must come first (the act whose number was
typed). The queries on the real acts (real_queries) were judged by reading the texts and by
grepping the whole set, variations included, for every act a person would want; the rules of the
queries on the variations take the real acts in too (a real act citing the TUEL is among the
acts "TUEL" wants). The file is written once and committed; this script says how it was made.
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
    source: str = ""  # a real act: its text in tests/data/import/real

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("topic", "people", "cites", "source")}
        return {**out, "source": f"tests/data/import/real/{self.source}"} if self.source else out


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
            data: dt.date | None = None, source: str = "", people: Sequence[str] = ()) -> Act:
        if numero is None:
            numero = self.numbers[registro, anno] = self.numbers.get((registro, anno), 0) + self.rng.randint(1, 9)
        else:
            self.numbers[registro, anno] = max(self.numbers.get((registro, anno), 0), numero)
        when = data or date(self.rng, anno)
        lines = list(parts)
        people = [firmatario, *people]
        if proposta is not None:
            lines.append(f"Proposta: {proposta[0]}, {proposta[1]}")
            people.append(proposta[1])
        for tipo_verifica, nome in verifiche:
            lines.append(f"Verifica {tipo_verifica}: {nome}")
            people.append(nome)
        slug = "".join(c for c in registro if c.isalnum())
        act = Act(f"{slug}-{anno}-{numero}", registro, anno, numero, tipo, organo, when.isoformat(), ente, oggetto,
                  "\n".join(lines), firmatario, topic, people, list(cites), source)
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


# -- the real acts of tests/data/import/real ------------------------------------------------------

IMPORT = Path(__file__).resolve().parent.parent / "tests" / "data" / "import"

# What a person reads in each real text where atti import does not give it (a fragment has no
# signature, many print their oggetto or their body's name where the importer does not look):
# registro (the body's own register, as it prints or names it), oggetto, firmatario (the name
# printed as signer or as who presides the seduta; the signer's title where no name is printed),
# people (lines "Proposta: <struttura>, <nome>" / "Verifica <tipo>: <nome>" for who the text
# names as proposing or checking the act), numero (from the page's address where the text does not
# print it), cites (the laws a person finds cited, by number/year: the set's law queries judge on
# them) and topic (the synthetic topic a real act shares, when it shares one).
# tipo, organo, numero and data come from corpus.yaml (judged there by reading); ente is its body
# without the parenthesis.
REAL: dict[str, dict[str, Any]] = {
    "comune_aritzo_cc_3_2018.txt": dict(registro="C.C.", firmatario="Sindaco"),  # the names are masked
    "comune_sardigliano_gm_8_2015.txt": dict(registro="G.M.", firmatario="Angelo Gatti"),
    "comune_macerata_cc_27_2016.txt": dict(
        registro="C.C.", firmatario="Luciano Pantanetti",
        oggetto="REGOLAMENTO SULLA COLLABORAZIONE TRA CITTADINI E AMMINISTRAZIONE PER LA CURA, LA GESTIONE CONDIVISA E LA"
                " RIGENERAZIONE DEI BENI COMUNI URBANI. APPROVAZIONE."),
    "comune_villaricca_cc_35_2011.txt": dict(
        registro="C.C.", firmatario="Giosuè Di Marino", cites=["267/2000"],  # D. Lgs n. 267: the TUEL
        oggetto="Mozione prot del ai sensi dell art. 58 del vigente Regolamento per il funzionamento del Consiglio"
                " Comunale (adeguamento soglia minima tabelle pubblicitå e affissioni)."),
    "comune_castenaso_cc_68_2017.txt": dict(
        registro="C.C.", firmatario="Massimiliano Rizzi", cites=["24/1996"],
        oggetto="LEGGE REGIONE EMILIA ROMAGNA N. 24/1996 E S.M.I.: ISTANZA PER INIZIATIVA LEGISLATIVA PER L'ISTITUZIONE DI"
                " NUOVO COMUNE A SEGUITO DI FUSIONE DEI COMUNI DI CASTENASO E GRANAROLO DELL'EMILIA -APPROVAZIONE."),
    "universita_firenze_dr_2002.txt": dict(registro="D.R.", firmatario="Rettore", oggetto="Modificazioni allo statuto.",
                                           cites=["168/1989"]),
    "universita_modena_dr_60.txt": dict(
        registro="D.R.", firmatario="Angelo Oreste Andrisano",
        oggetto="Modifica del Regolamento del Dipartimento di Scienze Fisiche, Informatiche e Matematiche",
        cites=["240/2010", "69/2009"]),
    "regione_veneto_dgr_2284_2013.txt": dict(
        registro="DGR", firmatario="Giunta Regionale", people=["Proposta: Assessore, Marino Finozzi"],
        oggetto="Individuazione ambiti territoriali per la costituzione delle Unioni montane. Ambiti territoriali Baldo e"
                " Lessinia. Legge regionale 28 settembre 2012, n. 40 \"Norme in materia di Unioni montane\", articolo 3."
                " D.g.r. n. 771/2013.",
        cites=["40/2012", "19/1992", "18/2012", "771/2013"]),
    "regione_veneto_dgr_1550_2011.txt": dict(
        registro="DGR", firmatario="Giunta Regionale",
        oggetto="Programma di sviluppo rurale per il Veneto 2007-2013. Errata corrige, modifiche procedurali e adeguamento"
                " scadenze previste dai bandi di cui alle deliberazioni della Giunta regionale n. 199/2008 (Allegato"
                " E-Leader) e n. 1037/2011 (Misura 111e Misura 331 - Programmi di attività 2011-2012).",
        cites=["199/2008", "1037/2011", "1974/2006"]),
    "regione_er_giunta_445_2011.txt": dict(
        registro="DGR", firmatario="Simonetta Saliera",
        oggetto="Protocollo d'intesa tra Regione Emilia-Romagna e Istituto Superiore per la Protezione e la Ricerca"
                " Ambientale (ISPRA) per la gestione degli ungulati rivolta alla riduzione dell'impatto sulle attività"
                " antropiche.",
        cites=["157/1992", "8/1994"]),
    "regione_er_dgr_1407_2008.txt": dict(
        registro="DGR", firmatario="Giunta Regionale",
        oggetto="Modalita' e procedure per l'assegnazione, concessione, impegno e liquidazione alle Province delle risorse"
                " per gli interventi relativi al Programma triennale di intervento sulla rete di interesse regionale",
        cites=["3/1999", "551/2004", "346/2005"]),
    "regione_lombardia_dgr_24483_1992.txt": dict(
        registro="DGR", firmatario="Giunta Regionale",
        oggetto="Approvazione dei criteri e delle procedure per il riconoscimento dei parchi locali di interesse"
                " sovracomunale, ai sensi dell'art. 34, 1 comma, della L.R. 30 novembre 1983, n. 86, nonché delle"
                " modalità di pianificazione e gestione dei parchi stessi.",
        cites=["86/1983"]),
    "regione_lombardia_dgr_7859_2018.txt": dict(
        registro="DGR", firmatario="Giunta Regionale",
        oggetto="Approvazione delle linee guida per l'esercizio delle funzioni relative alle autorizzazioni alla"
                " circolazione dei trasporti eccezionali l.r. 4 aprile 2012, n. 6, art. 42 - aggiornamento",
        cites=["285/1992", "495/1992", "6/2012", "9/2001", "15/2017", "37/2017"]),
    # "ordinanza sindacale n. 03/2023 - chiusura scuole per neve": the page's address and title
    "comune_monteleone_ordinanza_neve.txt": dict(registro="ORD", numero=3, firmatario="Sindaco",
                                                 oggetto="Chiusura scuole per neve", topic="scuole_neve",
                                                 cites=["267/2000"]),
    "comune_casalgrande_ordinanza_33_2016.txt": dict(registro="ORD", firmatario="Sindaco"),
    "regione_lazio_dca_2014.txt": dict(
        registro="DCA", firmatario="Nicola Zingaretti",
        oggetto="Riduzione contenzioso pregresso nei confronti del servizio sanitario regionale e prevenzione a regime:"
                " Linee operative",
        cites=["3/2001", "52/2013", "86/2013"]),
    "regione_lazio_dca_u00117_2019.txt": dict(
        registro="DCA", firmatario="Commissario ad acta",
        oggetto="Approvazione dell'Atto Aziendale dell'Azienda Ospedaliera San Giovanni Addolorata."),
    "regione_campania_dca_68_2015.txt": dict(registro="DCA", firmatario="Commissario ad acta",
                                             cites=["41/2014", "460/2007", "311/2004", "191/2009", "159/2007",
                                                    "222/2007"]),
    "regione_fvg_decreto_176_2013.txt": dict(
        registro="Pres", firmatario="Debora Serracchiani",
        oggetto="Legge 580/1993 DM 156/2011. Individuazione delle organizzazioni imprenditoriali e sindacali e delle"
                " associazioni dei consumatori che provvederanno alle designazioni dei membri componenti il Consiglio"
                " della Camera di commercio, industria, artigianato e agricoltura di Gorizia.",
        cites=["580/1993", "156/2011", "155/2011", "23/2010", "99/2009"]),
    "camera_commercio_delibera_7c.txt": dict(
        registro="C", firmatario="Presidente",
        oggetto="Rinnovo del Consiglio camerale: riparto dei seggi ed avvio delle procedure",
        cites=["580/1993", "155/2011", "15/2014", "37/2018"]),
    "protezione_civile_ocdpc_274_2015.txt": dict(
        registro="OCDPC", firmatario="Capo del Dipartimento della Protezione Civile",
        oggetto="Primi interventi urgenti di protezione civile in conseguenza degli eccezionali eventi meteorologici"
                " verificatisi l'8 luglio 2015 nel territorio dei comuni di Dolo, Pianiga e Mira in provincia di Venezia"
                " e di Cortina d'Ampezzo in provincia di Belluno",
        cites=["225/1992", "112/1998", "343/2001", "401/2001", "59/2012", "100/2012", "93/2013", "119/2013"]),
    "pcm_opcm_3621_2007.txt": dict(
        registro="OPCM", firmatario="Presidente del Consiglio dei Ministri",
        oggetto="Interventi urgenti di protezione civile diretti a fronteggiare i danni conseguenti agli eccezionali"
                " eventi meteorologici che hanno colpito parte del territorio della regione Veneto, nel giorno 26"
                " settembre 2007",
        cites=["225/1992", "112/1998", "343/2001", "401/2001"]),
    "comune_ceriano_laghetto_cc_13_2010.txt": dict(
        registro="C.C.", firmatario="Dante Cattaneo", oggetto="APPROVAZIONE PIANO DI EMERGENZA COMUNALE DI PROTEZIONE"
                                                             " CIVILE."),
    "cpel_valle_aosta_assemblea_2_2016.txt": dict(
        registro="A", firmatario="Franco Manes",
        oggetto="Approvazione della convenzione tra le Unités des Communes valdôtaines Walser, Mont-Rose, Évançon,"
                " Mont-Cervin, Mont-Émilius, Grand-Combin, Grand-Paradis, Valdigne Mont-Blanc, il Comune di Aosta, il"
                " Consiglio permanente degli enti locali (CPEL) e il Consorzio degli enti locali della Valle d'Aosta per"
                " l'esercizio in forma associata delle funzioni e dei servizi in materia di sportello unico degli enti"
                " locali (SUEL)",
        cites=["54/1998"]),
    "comune_occhieppo_inferiore_det_274_2021.txt": dict(registro="R.S.F.T.", firmatario="Responsabile del servizio",
                                                        cites=["118/2011", "42/2009", "267/2000"]),
    "comune_vignola_det_417_2021.txt": dict(registro="DET", firmatario="Francesca Aleotti", cites=["50/2016"]),
    "regione_er_assemblea_det_733_2017.txt": dict(
        registro="DET", firmatario="Marco Sacchetti",
        people=["Verifica amministrativa: Marco Sacchetti", "Verifica contabile: Elena Roversi"],
        cites=["50/2016", "56/2017", "28/2007"]),
    "regione_piemonte_dd_627_2003.txt": dict(
        registro="DD", firmatario="Dirigente",
        oggetto="XX Giochi Olimpici Invernali - Torino 2006. S.P. 216 del Melezet - Progetto di lavori messa in sicurezza"
                " e prevenzione caduta massi in Comune di Bardonecchia (To). Provvedimento conclusivo della Conferenza dei"
                " Servizi Definitiva ai sensi dell'art. 9, commi 3-9, della Legge 9 ottobre 2000, n. 285 e ss.mm.ii.",
        cites=["285/2000", "570/2002"]),
    "regione_piemonte_dd_100_2005.txt": dict(
        registro="DD", firmatario="Dirigente",
        oggetto="Progetto Definitivo per i lavori di \"Difese spondali, Sistemazione Idrogeologica e ricostruzione Ponte"
                " di Via Sciatori\" in comune di Pragelato, opera connessa all'evento olimpico Torino 2006. Provvedimento"
                " conclusivo alla Conferenza dei Servizi Definitiva ai sensi dell'art. 9, commi 3-9, della Legge 9"
                " ottobre 2000, n. 285 e s.m.i.",
        cites=["285/2000"]),
    "roma_capitale_commissario_21_2016.txt": dict(
        registro="DAC", firmatario="Francesco Paolo Tronca",
        oggetto="Approvazione del Regolamento per l'esecuzione ed il ripristino degli scavi stradali per la posa di"
                " canalizzazioni e relative opere civili e manufatti destinate alla fornitura di servizi a rete nel"
                " suolo, sottosuolo e soprassuolo di Roma Capitale.",
        cites=["105/2009"]),
    # "testo.OR.2003.80": the register's page names it ordinanza 80 of 2003
    "comune_bientina_ordinanza_referendum_2003.txt": dict(
        registro="ORD", numero=80, firmatario="Sindaco",
        people=["Proposta: Comando di Polizia Municipale"],
        oggetto="Divieto di sosta con rimozione coatta in P.za V. Emanuele II per le consultazioni referendarie del 15 e"
                " 16 giugno 2003",
        cites=["285/1992"]),
    "comune_san_vincenzo_ordinanza_17.txt": dict(
        registro="ORD", firmatario="Sindaco", oggetto="Divieto di recarsi presso orti di proprietà ed orti comunali",
        cites=["267/2000"]),
    "aou_senese_delibera_statuto.txt": dict(registro="DEL", firmatario="Direttore Generale",
                                            cites=["502/1992", "421/1992", "40/2005", "517/1999", "419/1998",
                                                   "599/2019", "142/2017"]),
    "aou_sassari_delibera_351_2016.txt": dict(
        registro="DEL", firmatario="Commissario Straordinario",
        people=["Proposta: Servizio Provveditorato, Economato e Patrimonio, Antonio Solinas"],
        cites=["50/2016", "502/1992", "517/1999", "419/1998", "10/2006", "23/2014"]),
    "ministero_mims_decreto_313_2022.txt": dict(
        registro="DM", firmatario="Ministro delle Infrastrutture e della Mobilità Sostenibili",
        oggetto="Procedure e modalita' per l'erogazione dei servizi AIS da parte della rete AIS nazionale.",
        cites=["241/1990", "84/1994", "51/2001", "259/2003", "196/2005", "145/2013", "9/2014"]),
    "ministero_mit_decreto_2020.txt": dict(
        registro="DM", firmatario="Ministro delle Infrastrutture e dei Trasporti",
        oggetto="Modalita' di erogazione delle risorse per investimenti a favore delle imprese di trasporto merci su"
                " strada per l'annualita' 2020.",
        cites=["160/2019", "124/2019"]),
    "comune_bologna_giunta_74_2024.txt": dict(  # the importer cuts the oggetto at its first line
        registro="DG", firmatario="Giunta", people=["Proposta: Mobilità Sostenibile e Infrastrutture"],
        oggetto="APPROVAZIONE DEL PROGETTO DEFINITIVO RELATIVO ALL’INTERVENTO PNRR -M2 C2 INVESTIMENTO 4.2 \"SVILUPPO"
                " TRASPORTO RAPIDO DI MASSA\"DENOMINATO “SECONDA LINEA TRANVIARIA DI BOLOGNA – TRATTO NORD LINEA VERDE."
                " LOCALIZZAZIONE DELL’OPERA IN VARIANTE ALLO STRUMENTO URBANISTICO VIGENTE, APPOSIZIONE DEL VINCOLO"
                " PREORDINATO ALL’ESPROPRIO E CONTESTUALE DICHIARAZIONE DI PUBBLICA UTILITÀ.DETERMINAZIONE MOTIVATA DI"
                " CONCLUSIONE DELLA CONFERENZA DEI SERVIZI AI SENSI DELL’ART.53 COMMA 9 DELLA L.R. 24/2017",
        cites=["24/2017"]),
    "comune_taibon_agordino_cc_23_2011.txt": dict(registro="C.C.", firmatario="Loretta Ben"),
    "comune_torino_giunta_2009_03652.txt": dict(
        registro="G.C.", firmatario="Giunta Comunale",
        oggetto="Presa d'atto della deliberazione assunta dal Consiglio Circoscrizionale n. 4 in data 15 giugno 2009 ed"
                " avente per oggetto: C4 (art. 42, comma III, Reg. Dec.) iniziative ed attivita' educative ambientali"
                " nell'area \"ex Tonolli\" - individuazione beneficario di contributi per complessivi euro 11.984,00.",
        cites=["267/2000"]),
    "provincia_prato_det_tributi_2013.txt": dict(
        registro="DD", firmatario="Rossella Bonciolini",
        oggetto="Area Entrate e Affari Generali. Imposta Provinciale di Trascrizione (IPT). Mese di Dicembre"
                " Accertamento d'entrata."),
}
# A text that prints no number of its own (and no page names one) is archived in a register of
# the numberless, S.N., one act a year there: never under a number the act does not have.
NUMBERLESS = "S.N."


def real(c: Corpus) -> None:
    """The 40 real acts, read by atti's importer, completed by REAL where the importer misses."""
    import re

    import yaml

    from atti.acts.importer import MISSING, import_file

    corpus = yaml.safe_load((IMPORT / "corpus.yaml").read_text(encoding="utf-8"))["acts"]
    assert {e["file"] for e in corpus} == set(REAL), "every real act needs its line in REAL"
    for expected in corpus:
        name, read = expected["file"], REAL[expected["file"]]
        result = import_file(IMPORT / "real" / name)
        act = result.act
        numero = expected["numero"] or read.get("numero")
        registro = read["registro"] if numero else NUMBERLESS
        # the date the text prints (corpus.yaml); where it prints none (7 texts), the importer's
        # guess, reported as guessed: the latest date the text names, in the act's year (its number's
        # year, its events) for all but the decreto rettorale n. 60 of Modena, whose year no line
        # prints (2010-12-30 is the date of the law it cites, the earliest it can bear). No query
        # types these dates.
        when = dt.date.fromisoformat(str(expected["data"])) if expected["data"] else act.data
        oggetto = " ".join((read.get("oggetto") or act.oggetto).split())
        assert oggetto != MISSING, name
        lines = [line for line in act.body_text().splitlines() if line.strip() and line.strip() != MISSING
                 and not line.startswith(("Proposta:", "Verifica "))]
        # what the importer could not place is the act's text all the same (a person completing
        # the import puts it in its parts): searchable like the rest; so is what it took for the
        # oggetto beyond the oggetto (the seduta's opening, a proposal's number)
        lines += [r.testo for r in act.non_classificato]
        taken = " ".join(act.oggetto.split())
        if taken != MISSING and not oggetto.startswith(taken):
            lines.insert(0, taken[len(oggetto):].strip() if taken.startswith(oggetto) else taken)
        if not lines and act.importazione is not None:  # a text all in its title line
            lines = [r.testo for r in act.importazione.etichette]
        people = list(read.get("people", []))
        ente = re.sub(r"\s*\([^)]*\)$", "", expected["body"])
        c.add(registro=registro, anno=when.year, tipo=expected["tipo"], organo=expected["organo"], ente=ente,
              oggetto=oggetto, parts=lines + people, firmatario=read["firmatario"],
              topic=read.get("topic", "real"), numero=numero or c.numbers.get((NUMBERLESS, when.year), 0) + 1,
              data=when, cites=read.get("cites", []), source=name,
              people=[line.split(":", 1)[1].strip() for line in people])


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
        # a number alone: every act numbered 60 (the decreto rettorale n. 60 of Modena too), the newest first
        ("numbers", "60", [do60, *citing60, *where(lambda a: a.numero == 60 and a.id != do60)], do60),
        # laws, by number or by name (abbreviations are synonyms)
        ("laws", "267/2000", cites("267/2000"), None),
        ("laws", "D.Lgs. 267/2000", cites("267/2000"), None),
        ("laws", "TUEL", cites("267/2000"), None),
        ("laws", "D.Lgs. 36/2023", cites("36/2023"), None),
        # the code in force and the one before it (D.Lgs. 50/2016, which the real acts of 2016-2021 name so)
        ("laws", "codice dei contratti", cites("36/2023") + cites("50/2016"), None),
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
    out += real_queries(acts)
    return [{"kind": k, "query": q, "relevant": rel, **({"first": first} if first else {})} for k, q, rel, first in out]


def real_queries(acts: list[Act]) -> list[tuple[str, str, list[str], str | None]]:
    """The queries judged on the real acts, each by reading the texts (tests/data/import/real) and
    by grepping the whole set, synthetic acts included, for every act a person typing it wants."""
    by_file = {a.source: a.id for a in acts if a.source}

    def one(name: str) -> list[str]:
        return [by_file[name]]

    def cites(*laws: str) -> list[str]:
        return [a.id for a in acts if any(law in a.cites for law in laws)]

    veneto_2284, sassari, assemblea_er = "regione_veneto_dgr_2284_2013.txt", "aou_sassari_delibera_351_2016.txt", \
        "regione_er_assemblea_det_733_2017.txt"
    protezione_civile = [*one("protezione_civile_ocdpc_274_2015.txt"), *one("pcm_opcm_3621_2007.txt")]
    return [
        # names as the texts write them: who signs or presides, who proposes
        ("names", "Zingaretti", one("regione_lazio_dca_2014.txt"), None),  # the Presidente as commissario ad acta
        ("names", "Serracchiani", one("regione_fvg_decreto_176_2013.txt"), None),  # "Firmato da: DEBORA SERRACCHIANI"
        ("names", "firmatario:Sacchetti", one(assemblea_er), None),  # "Firmatario: MARCO SACCHETTI"
        ("names", "Pantanetti", one("comune_macerata_cc_27_2016.txt"), None),  # presides the Consiglio
        ("names", "Finozzi", one(veneto_2284), None),  # "L'assessore Marino Finozzi riferisce"
        ("names", "Tronca", one("roma_capitale_commissario_21_2016.txt"), None),  # the Commissario Straordinario
        ("names", "Bonciolini", one("provincia_prato_det_tributi_2013.txt"), None),  # "Direttore dell Area"
        ("names", "verificatore:Roversi", one(assemblea_er), None),  # "Parere di regolarità contabile: ROVERSI ELENA"
        ("names", "proposta:Solinas", one(sassari), None),  # the Responsabile del Servizio Provveditorato
        # numbers as people write them: the act itself (no text of the set cites these)
        ("numbers", "DGR 2284/2013", one(veneto_2284), by_file[veneto_2284]),
        ("numbers", "n. 351 del 06/10/2016", one(sassari), by_file[sassari]),
        ("numbers", "determinazione 733/2017", one(assemblea_er), by_file[assemblea_er]),
        ("numbers", "OCDPC 274/2015", protezione_civile[:1], protezione_civile[0]),
        ("numbers", "O.P.C.M. n. 3621 del 18/10/2007", protezione_civile[1:], protezione_civile[1]),
        ("numbers", "D.G.R. n. 1407 del 8 settembre 2008", one("regione_er_dgr_1407_2008.txt"),
         by_file["regione_er_dgr_1407_2008.txt"]),
        ("numbers", "ordinanza 33/2016", one("comune_casalgrande_ordinanza_33_2016.txt"),
         by_file["comune_casalgrande_ordinanza_33_2016.txt"]),
        ("numbers", "DCA 68/2015", one("regione_campania_dca_68_2015.txt"), by_file["regione_campania_dca_68_2015.txt"]),
        ("numbers", "decreto 313/2022", one("ministero_mims_decreto_313_2022.txt"),
         by_file["ministero_mims_decreto_313_2022.txt"]),
        ("numbers", "determinazione 417/2021", one("comune_vignola_det_417_2021.txt"),
         by_file["comune_vignola_det_417_2021.txt"]),
        # the registers' own spellings: Lazio's "U00117", Lombardia's legislature "X/7859", FVG's
        # "0176/Pres."; a tipo and a number without a year; a decree known by its date
        ("numbers", "DCA n. U00117 del 18/03/2019", one("regione_lazio_dca_u00117_2019.txt"),
         by_file["regione_lazio_dca_u00117_2019.txt"]),
        ("numbers", "D.G.R. n. X/7859 del 12/02/2018", one("regione_lombardia_dgr_7859_2018.txt"),
         by_file["regione_lombardia_dgr_7859_2018.txt"]),
        ("numbers", "Decreto n. 176/Pres. del 20/09/2013", one("regione_fvg_decreto_176_2013.txt"),
         by_file["regione_fvg_decreto_176_2013.txt"]),
        ("numbers", "ordinanza n. 17", one("comune_san_vincenzo_ordinanza_17.txt"),
         by_file["comune_san_vincenzo_ordinanza_17.txt"]),
        ("numbers", "decreto 14 agosto 2020", one("ministero_mit_decreto_2020.txt"),
         by_file["ministero_mit_decreto_2020.txt"]),
        # the titles of the bulletins and of the Protezione Civile's site, copied as they are
        ("numbers", "D.D. 1 marzo 2005, n. 100", one("regione_piemonte_dd_100_2005.txt"),
         by_file["regione_piemonte_dd_100_2005.txt"]),
        ("numbers", "Ocdpc n. 274 del 30 luglio 2015", protezione_civile[:1], protezione_civile[0]),
        ("numbers", "O.P.C.M. 18/10/2007, n. 3621", protezione_civile[1:], protezione_civile[1]),
        # laws in the real citation styles: "D. Lgs. n° 50/2016", "Decreto Legislativo n. 502 del
        # 30.12.1992", "L. n. 580/93", "legge 24 febbraio 1992, n. 225", the code by its name
        ("laws", "D.Lgs. 50/2016", cites("50/2016"), None),
        ("laws", "L. 225/1992", cites("225/1992"), None),
        ("laws", "legge 580/1993", cites("580/1993"), None),
        ("laws", "D.Lgs. 502/1992", cites("502/1992"), None),
        ("laws", "codice della strada", cites("285/1992"), None),  # "Codice della strada", "il nuovo C.d.S."
        # a decree known by its date: the PIT convention of Taibon Agordino cites it in its oggetto
        ("laws", "DPCM 14 gennaio 2011", one("comune_taibon_agordino_cc_23_2011.txt"), None),
        # subjects in the archivist's words
        ("subjects", "protezione civile eventi meteorologici", protezione_civile, None),
        ("subjects", "unioni montane", one(veneto_2284), None),
        ("subjects", "gara tesoreria", one("comune_occhieppo_inferiore_det_274_2021.txt"), None),
        # the concorsi say they will name the commissione "con successivo atto": not a nomina
        ("subjects", "nomina commissione", [a.id for a in acts if a.topic == "commissione"], None),
        # the contributi to the sports associations; Torino's contributi go to a "beneficiario" the text does not name
        ("subjects", "contributo associazioni", [a.id for a in acts if a.topic == "contributi_sport"], None),
        ("subjects", "scavi stradali", one("roma_capitale_commissario_21_2016.txt"), None),
        ("subjects", "West Nile zanzare", one("comune_casalgrande_ordinanza_33_2016.txt"), None),
        ("subjects", "trasporti eccezionali", one("regione_lombardia_dgr_7859_2018.txt"), None),
        ("subjects", "fusione comuni", one("comune_castenaso_cc_68_2017.txt"), None),
        # phrases
        ('phrases', '"eventi meteorologici"', protezione_civile, None),
        ('phrases', '"beni comuni"', one("comune_macerata_cc_27_2016.txt"), None),
        ('phrases', '"trasporto merci"', one("ministero_mit_decreto_2020.txt"), None),
        # operators
        ("operators", "oggetto:statuto", one("universita_firenze_dr_2002.txt") + one("aou_senese_delibera_statuto.txt"),
         None),  # "Modificazioni allo statuto", "Statuto aziendale"; the others say "Visto lo Statuto" in the body
        ("operators", "\"unioni montane\" OR fusione", one(veneto_2284) + one("comune_castenaso_cc_68_2017.txt"), None),
        # stems: the other form of the word the text has
        ("stems", "unione montana", one(veneto_2284), None),
        ("stems", "regolamento scavo stradale", one("roma_capitale_commissario_21_2016.txt"), None),
        ("stems", "parco locale sovracomunale", one("regione_lombardia_dgr_24483_1992.txt"), None),
        ("stems", "fusioni comuni", one("comune_castenaso_cc_68_2017.txt"), None),
        # typos: one letter missing, doubled or swapped
        ("typos", "Serrachiani", one("regione_fvg_decreto_176_2013.txt"), None),
        ("typos", "Zingareti", one("regione_lazio_dca_2014.txt"), None),
        ("typos", "Sachetti", one(assemblea_er), None),
        ("typos", "arbovirsoi", one("comune_casalgrande_ordinanza_33_2016.txt"), None),
        ("typos", "idrocefallo", one(sassari), None),
    ]


def main() -> int:
    c = Corpus()
    comune(c)
    unioncamere(c)
    consorzio(c)
    generic(c, 330 - len(c.acts))
    real(c)
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
