"""The verification report as one self-contained HTML page, in Italian, to attach to a file.

The page loads nothing (no scripts, fonts, images or style sheets from elsewhere): it must read
the same in ten years, offline, in a document management system that strips external links.
Every value that comes from the PDF (names, field names, messages) is escaped by Jinja2's
autoescape: a certificate may name its holder ``<script>``.
"""

from __future__ import annotations

import datetime as dt

import jinja2
from markupsafe import Markup

from atti import __version__
from atti.signing import esiti
from atti.signing.verify import VerificationReport

__all__ = ["render_html"]

_ESITO = {
    "TOTAL_PASSED": ("Firma valida", "ok"),
    "TOTAL_FAILED": ("Firma non valida", "ko"),
    "INDETERMINATE": ("Esito indeterminato", "ind"),
}
NON_LETTO = "non leggibile"  # what the signature did not let be read (a damaged CMS, no certificate)

_COPERTURA = {
    "entire file": "l'intero file",
    "entire revision": "l'intera revisione firmata (il file è stato esteso dopo la firma)",
    "partial": "solo una parte del file",
}

_TEMPLATE = """<!DOCTYPE html>
<html lang="it">
<head>
<meta charset="utf-8">
<title>Rapporto di verifica: {{ file }}</title>
<style>
body { font-family: sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #ddd; }
th { width: 16rem; font-weight: 600; }
.esito { display: inline-block; padding: .2rem .6rem; border-radius: .3rem; font-weight: 700; }
.ok { background: #d8f0d8; color: #174d17; } .ko { background: #f6d5d5; color: #7a1212; }
.ind { background: #f8ecc8; color: #6b4b00; }
code { font-size: .9em; word-break: break-all; }
footer { margin-top: 2rem; font-size: .85rem; color: #555; }
</style>
</head>
<body>
<h1>Rapporto di verifica delle firme digitali</h1>
<table>
<tr><th>Documento</th><td>{{ file }}</td></tr>
<tr><th>Impronta SHA-256 del documento</th><td><code>{{ r.sha256 }}</code></td></tr>
<tr><th>Esito complessivo</th><td>{{ esito(r.indication, r.sub_indication) }}</td></tr>
{% if r.message %}<tr><th>Motivo</th><td>{{ motivo(r.message) }}</td></tr>{% endif %}
<tr><th>Data e ora della verifica</th><td>{{ when(r.validation_time) }}</td></tr>
</table>

{% for f in (r.firmatari or ([r.firmatario] if r.firmatario else [])) %}
<h2>Firmatario dell'atto{% if r.firmatari | length > 1 %} {{ loop.index }} di {{ r.firmatari | length }}{% endif %}</h2>
<table>
<tr><th>Firmatario atteso</th><td>{{ f.expected }}</td></tr>
{% if f.source %}<tr><th>Indicato da</th><td>{{ f.source }}</td></tr>{% endif %}
<tr><th>Corrisponde al certificato</th><td>{{ "sì" if f.matches else "NO" }}</td></tr>
<tr><th>Dettaglio</th><td>{{ firmatario(f.to_dict()) }}</td></tr>
</table>
{% endfor %}

{% for s in r.signatures %}
<h2>Firma {{ loop.index }} di {{ r.signatures | length }}: campo «{{ s.field_name }}»</h2>
<table>
<tr><th>Esito</th><td>{{ esito(s.indication, s.sub_indication) }}</td></tr>
<tr><th>Motivo</th><td>{{ motivo(s.message) }}</td></tr>
<tr><th>Qualifica della firma</th><td>{% if s.qualification %}
<strong>{{ qualifica(s.qualification.to_dict()) }}</strong>: {{ s.qualification.reason }}
{% else %}non determinata{% endif %}</td></tr>
<tr><th>Firmatario</th><td>{{ s.signer or NON_LETTO }}</td></tr>
<tr><th>Soggetto del certificato</th><td><code>{{ s.signer_subject or NON_LETTO }}</code></td></tr>
<tr><th>Emittente del certificato</th><td><code>{{ s.issuer or NON_LETTO }}</code></td></tr>
<tr><th>Formato</th><td>{{ s.format or NON_LETTO }}</td></tr>
<tr><th>Data di firma dichiarata</th><td>{{ when(s.signing_time) }}</td></tr>
<tr><th>Data di firma comprovata</th><td>{% if s.best_signature_time %}{{ when(s.best_signature_time) }}
 (da marca temporale){% else %}nessuna marca temporale: vale solo la data dichiarata dal firmatario{% endif %}</td></tr>
{% if s.timestamp %}<tr><th>Marca temporale della firma</th><td>{{ s.timestamp.tsa }}, {{ when(s.timestamp.time) }}:
 {{ esito(s.timestamp.indication, s.timestamp.sub_indication) }}</td></tr>{% endif %}
<tr><th>La firma copre</th><td>{{ copertura(s.covers) }}</td></tr>
<tr><th>Modifiche dopo la firma</th><td>{{ motivo(s.modification) if s.modification else "nessuna" }}</td></tr>
</table>
{% endfor %}

{% for t in r.timestamps %}
<h2>Marca temporale del documento {{ loop.index }}: campo «{{ t.field_name }}»</h2>
<table>
<tr><th>Esito</th><td>{{ esito(t.indication, t.sub_indication) }}</td></tr>
<tr><th>Motivo</th><td>{{ motivo(t.message) }}</td></tr>
<tr><th>Autorità di marcatura temporale</th><td>{{ t.tsa or NON_LETTO }}</td></tr>
<tr><th>Emittente del certificato</th><td><code>{{ t.issuer or NON_LETTO }}</code></td></tr>
<tr><th>Data e ora della marca</th><td>{{ when(t.time) }}</td></tr>
<tr><th>La marca copre</th><td>{{ copertura(t.covers) }}</td></tr>
<tr><th>Modifiche dopo la marca</th><td>{{ motivo(t.modification) if t.modification else "nessuna" }}</td></tr>
</table>
{% endfor %}

<h2>Fonti di fiducia</h2>
<ul>
{% for t in r.trust %}<li>{{ t }}</li>{% else %}<li>nessuna</li>{% endfor %}
{% for n in r.notes %}<li>{{ nota(n) }}</li>{% endfor %}
</ul>

<footer>
Verifica eseguita da atti {{ version }} senza accesso alla rete: certificati di fiducia, liste di
fiducia e dati di revoca sono solo quelli indicati sopra e quelli contenuti nel documento.
Esiti secondo ETSI EN 319 102-1 (TOTAL_PASSED, TOTAL_FAILED, INDETERMINATE).
</footer>
</body>
</html>
"""


def _esito(indication: str, sub: str | None) -> Markup:
    label, css = _ESITO.get(indication, (indication, "ind"))
    code = f"{indication}/{sub}" if sub else indication
    # Markup.format escapes every argument: only the literal tags are trusted.
    return Markup('<span class="esito {}">{}</span> <code>{}</code>').format(css, label, code)


def _italian(pair: tuple[str, str | None]) -> Markup:
    """A sentence of :mod:`atti.signing.esiti`, with what it could not translate marked as English."""
    italian, english = pair
    if english is None:
        return Markup("{}").format(italian)
    return Markup('{} <span lang="en">({})</span>').format(italian, english)


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return "non indicata"
    return value.astimezone(dt.UTC).strftime("%d/%m/%Y %H:%M:%S UTC")


_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
_PAGE = _ENV.from_string(_TEMPLATE)


def render_html(report: VerificationReport, *, file: str) -> str:
    """The report as a self-contained HTML page; ``file`` names the document in the title."""
    return _PAGE.render(
        r=report,
        file=file,
        version=__version__,
        esito=_esito,
        when=_when,
        copertura=lambda covers: NON_LETTO if covers is None else _COPERTURA.get(covers, covers),
        NON_LETTO=NON_LETTO,
        motivo=lambda message: _italian(esiti.motivo(message)),
        nota=lambda note: _italian(esiti.nota(note)),
        firmatario=esiti.firmatario,
        qualifica=esiti.qualifica,
    )
