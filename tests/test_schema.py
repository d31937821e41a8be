"""`atti schema`: the JSON Schema an editor checks an act against while it is written.

It must accept every act the model accepts (every example, each tipo's skeleton once filled in),
and reject the usual mistakes where the model does: an unknown key, a value of the wrong type, a
date not written YYYY-MM-DD, an unknown tipo. Every key has a description, in Italian by default.
The YAML is read as atti reads it (atti.acts.loader.parse_yaml: dates stay text, as a YAML
language server gives them), then validated with the jsonschema package, draft 2020-12.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from atti import i18n
from atti.acts.loader import parse_yaml
from atti.acts.schema import DESCRIPTIONS, act_schema
from atti.acts.skeleton import skeleton

from .conftest import ROOT, Atti

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    i18n.set_language(None)
    schema = act_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def data_of(text: str) -> Any:
    return parse_yaml(text, "act.yaml")[0]


def errors(validator: jsonschema.Draft202012Validator, data: Any) -> list[str]:
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.validator}" for e in validator.iter_errors(data))


def test_the_command_prints_the_schema(atti: Atti, tmp_path: Path) -> None:
    result = atti("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["oggetto"]["description"] == "L'oggetto dell'atto, in una frase."
    english = json.loads(atti("--lang", "en", "schema").stdout)
    assert english["properties"]["oggetto"]["description"] == "The subject of the act, one sentence."
    config = tmp_path / "atti.toml"
    config.write_text('lang = "en"\n', encoding="utf-8")
    configured = json.loads(atti("--config", config, "schema").stdout)
    assert configured["properties"]["oggetto"]["description"] == "The subject of the act, one sentence."


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_is_valid(validator: jsonschema.Draft202012Validator, example: Path) -> None:
    assert errors(validator, data_of(example.read_text(encoding="utf-8"))) == []


def test_the_usual_mistakes_are_rejected(validator: jsonschema.Draft202012Validator, example_text: str) -> None:
    def mistaken(old: str, new: str) -> list[str]:
        assert old in example_text
        return errors(validator, data_of(example_text.replace(old, new, 1)))

    assert mistaken("premesse:  ", "premese:  ") == [": additionalProperties", ": required"]
    # firmatario is one signer or a list of them: a misspelt key fits neither form.
    assert mistaken("  qualifica: Il", "  qualifca: Il") == ["firmatario: oneOf"]
    assert mistaken("numero: 129 ", "numero: '12/2026' ") == ["numero: anyOf"]
    assert mistaken("numero: 129 ", "numero: 0 ") == ["numero: anyOf"]
    assert mistaken("data: 2026-05-19", "data: 19/05/2026") == ["data: format", "data: pattern"]
    assert mistaken("data: 2026-05-19", "data: 2026-02-30") == ["data: format"]
    assert mistaken("tipo: determinazione", "tipo: giunta") == ["tipo: enum"]
    assert mistaken("organo: Direttore Operativo", "organo: [Direttore]") == ["organo: type"]
    assert mistaken("esito: positivo", "esito: ok") == ["verifiche/0/esito: enum"]
    assert mistaken("  formula: DETERMINA\n  punti:", "  formula: DETERMINA\n  punti: []\n  x:") == [
        "dispositivo: additionalProperties", "dispositivo: anyOf"
    ]


def test_what_the_model_reads_beyond_its_types_is_valid(validator: jsonschema.Draft202012Validator,
                                                        example_text: str) -> None:
    for old, new in [
        ("tipo: determinazione", "tipo: deliberazione"),
        ("tipo: determinazione", "tipo: determina"),
        ("numero: 129 ", ""),
        ("verifiche:  ", "relazioni:\n  - tipo: proroga\n    atto: DO-2026-60\n  - tipo: modifica\n    atto: "
                         "{registro: D.O., numero: 84, anno: 2026}\nverifiche:  "),
    ]:
        assert old in example_text
        assert errors(validator, data_of(example_text.replace(old, new, 1))) == [], new


def _objects(schema: Any) -> Iterator[dict[str, Any]]:
    if isinstance(schema, dict):
        if schema.get("type") == "object":  # a model (an anyOf branch that only narrows one is not)
            yield schema
        for value in schema.values():
            yield from _objects(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _objects(value)


def test_every_key_is_described_and_no_other_key_is_allowed() -> None:
    i18n.set_language(None)
    schema = act_schema()
    objects = list(_objects(schema))
    assert len(objects) == len(DESCRIPTIONS)
    for obj in objects:
        assert obj["additionalProperties"] is False
        for key, prop in obj["properties"].items():
            assert prop.get("description"), key
    assert schema["properties"]["tipo"]["description"].startswith("Il tipo di atto")


@pytest.mark.parametrize("tipo", ["determinazione", "deliberazione", "decreto", "ordinanza"])
def test_a_skeleton_is_valid_once_filled_in_and_not_before(validator: jsonschema.Draft202012Validator,
                                                           tipo: str) -> None:
    data = data_of(skeleton(tipo))
    assert "ente/nome: type" in errors(validator, data)

    def filled(value: Any) -> Any:
        if value is None:
            return "Testo"
        if isinstance(value, dict):
            return {k: filled(v) for k, v in value.items()}
        return [filled(v) for v in value] if isinstance(value, list) else value

    assert errors(validator, filled(data)) == []
