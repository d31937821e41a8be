"""Every error a field of the act can raise reaches the officer in Italian (issue 19).

The loader words pydantic's errors itself (atti.acts.loader._message_of): a wrong value of each
kind a field of the act model takes (whole numbers, amounts, dates, times, enums, yes/no, lists,
mappings, texts, missing and unknown keys) is fed to the loader, and the message must be the
Italian one, with none of pydantic's English. The kinds no field raises today (a literal, a
pattern, a length bound) are worded too, should a field come to raise them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import Field, TypeAdapter, ValidationError

from atti.acts import load_act_text
from atti.acts.loader import _message_of
from atti.errors import ActError

from .conftest import EXAMPLE

EXAMPLES = EXAMPLE.parent
PYDANTIC_ENGLISH = ("Input should", "input should", "Field required", "Extra inputs", "valid integer", "valid time",
                    "valid date", "valid decimal", "String should", "List should", "Value error")


def _problems(name: str, old: str, new: str) -> list[str]:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert old in text, old
    with pytest.raises(ActError) as caught:
        load_act_text(text.replace(old, new, 1), name)
    return [p.message for p in caught.value.problems]


@pytest.mark.parametrize(("name", "old", "new", "italian"), [
    # whole numbers (numero, anno, the counts of votes)
    ("delibera-CC-12-2026.yaml", "  contrari: 1\n", "  contrari:\n", "nessun valore: scrivine uno"),
    ("delibera-CC-12-2026.yaml", "  contrari: 1\n", "  contrari: 1.5\n", "è un numero decimale"),
    ("delibera-CC-12-2026.yaml", "  contrari: 1\n", "  contrari: [1]\n", "non è un numero"),
    ("delibera-CC-12-2026.yaml", "  contrari: 1\n", "  contrari: 123456789\n", "è fuori intervallo"),
    ("determinazione-DO-129-2026.yaml", "numero: 129", "numero: \"0129\"", "senza zeri iniziali"),
    # amounts in euro
    ("determinazione-AT-212-2026.yaml", "importo: 24400.00", "importo: [1]", "non è un numero"),
    ("determinazione-AT-212-2026.yaml", "importo: 24400.00", "importo: dodici", "non è un importo in euro"),
    ("determinazione-AT-212-2026.yaml", "importo: 24400.00", "importo: 1e40", "importo in euro troppo grande"),
    ("determinazione-AT-212-2026.yaml", "importo: 24400.00", "importo: -3", "importo positivo"),
    # dates and times
    ("determinazione-DO-129-2026.yaml", "data: 2026-05-19", "data: 2026-13-45", "data non valida"),
    ("delibera-GC-45-2026.yaml", 'ora: "18:30"', 'ora: "25:61"', "non è un orario"),
    ("delibera-GC-45-2026.yaml", 'ora: "18:30"', "ora: [18]", "non è un orario"),
    # choices, yes or no
    ("determinazione-DO-129-2026.yaml", "esito: positivo", "esito: forse", "non è uno dei valori ammessi"),
    ("delibera-GC-45-2026.yaml", "  unanimita: true", "  unanimita: forse", "scrivi true o false"),
    # lists, mappings, texts
    ("determinazione-DO-129-2026.yaml", "premesse: ", "premesse: un testo\nvecchie: ", "qui va un elenco"),
    ("delibera-GC-45-2026.yaml", "seduta:\n", "seduta: oggi\nvecchia:\n", "qui vanno delle chiavi"),
    ("determinazione-DO-129-2026.yaml", "organo: Direttore Operativo", "organo: 2026", "qui va un testo"),
    ("determinazione-DO-129-2026.yaml", "organo: Direttore Operativo", 'organo: " "', "il testo è vuoto"),
    # keys missing or unknown
    ("determinazione-DO-129-2026.yaml", "organo: Direttore Operativo", "", "manca la chiave obbligatoria"),
    ("determinazione-DO-129-2026.yaml", "organo: Direttore Operativo", "organo: Direttore Operativo\nchiave: x",
     "chiave sconosciuta 'chiave'"),
    # the model's own rules
    ("delibera-GC-45-2026.yaml", "  unanimita: true", "  unanimita: true\n  contrari: 2",
     "una votazione all'unanimità non ha contrari né astenuti"),
])
def test_a_wrong_value_of_each_kind_is_refused_in_italian(name: str, old: str, new: str, italian: str) -> None:
    problems = _problems(name, old, new)
    assert any(italian in p for p in problems), problems
    assert not [p for p in problems if any(english in p for english in PYDANTIC_ENGLISH)], problems


def _errors(annotation: Any, value: object) -> list[Any]:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(annotation).validate_python(value)
    return caught.value.errors(include_url=False)


@pytest.mark.parametrize(("annotation", "value", "italian"), [
    (Literal["uno", "due"], "tre", "'tre' non è uno dei valori ammessi: 'uno' o 'due'"),
    (Annotated[str, Field(max_length=3)], "abcd", "il testo è troppo lungo: al massimo 3 caratteri"),
    (Annotated[str, Field(pattern=r"^[A-Z]+$")], "abc", "'abc' non è scritto come richiede questa chiave"),
    (Annotated[list[int], Field(max_length=1)], [1, 2], "troppe voci: al massimo 1"),
    (Annotated[int, Field(ge=1)], 0, "0 è fuori dall'intervallo ammesso (>= 1)"),
    (int, "dodici", "'dodici' non è un numero intero"),
    (float, "x", "'x' non è un numero intero"),
    (dict[str, int], 3, "qui vanno delle chiavi"),
    (bytes, 3, "'3' non è un valore valido qui (bytes_type)"),
])
def test_the_kinds_no_field_raises_yet_are_worded_too(annotation: Any, value: object, italian: str) -> None:
    (error,) = _errors(annotation, value)
    message = _message_of(error, ("chiave",))
    assert message.startswith(italian), message
    assert not any(english in message for english in PYDANTIC_ENGLISH), message
