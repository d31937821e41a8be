"""Configuration as one typed, frozen object.

Precedence, highest first: command line > ``ATTI_*`` environment variables > the configuration
file (``--config``, else ``$ATTI_CONFIG``, else ``./atti.toml`` when present) > defaults.
Unknown keys, in the file or as ``ATTI_*`` variables, are rejected by name: a misspelt setting
silently ignored is how a body signs with the wrong key.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from atti.errors import ConfigError
from atti.i18n import _

# Variables that are atti's but not settings: secrets are read where they are needed.
_NOT_SETTINGS = {"ATTI_CONFIG", "ATTI_P12_PASSPHRASE", "ATTI_PKCS11_PIN", "ATTI_SOFFICE"}
# ATTI_STATE_DIR: where an archive in PostgreSQL keeps its local files (atti.archive.storage.location).
_NOT_SETTINGS |= {"ATTI_STATE_DIR"}
# The web archive's: a new user's password (atti user add) and Secure session cookies (atti serve).
_NOT_SETTINGS |= {"ATTI_USER_PASSWORD", "ATTI_SECURE_COOKIES"}
# A CSC remote signing service's secrets (atti.signing.csc), unless a provider names its own variables.
CSC_SECRET_VARIABLES = {
    "client_secret_env": "ATTI_CSC_CLIENT_SECRET",
    "token_env": "ATTI_CSC_TOKEN",
    "otp_env": "ATTI_CSC_OTP",
    "pin_env": "ATTI_CSC_PIN",
}
_NOT_SETTINGS |= set(CSC_SECRET_VARIABLES.values())

# PAdES baseline levels (ETSI EN 319 142-1). Declared here rather than in atti.signing so that
# the command line can offer them without importing pyHanko.
Level = Literal["B-B", "B-T", "B-LT", "B-LTA"]
LEVELS: tuple[Level, ...] = get_args(Level)


_PATHS = {"archive", "p12", "pkcs11_module", "template", "templates"}
_PATH_LISTS = {"allegati_dirs", "trusted_lists", "trusted_list_signers"}


class CSCProvider(BaseModel):
    """A remote signing service reached over the Cloud Signature Consortium API (a ``[csc.NAME]``
    table): where it is and who atti is to it. Secrets are never here: they come from the
    environment variables named below (or a prompt), read when needed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str
    """The service's base URL, the part before /csc/v1/... (or /csc/v2/...), e.g. "https://firma.example.it"."""
    api_version: Literal["v1", "v2"] = "v1"
    """CSC API 1.0.4 ("v1") or 2.0 ("v2")."""
    client_id: str | None = None
    """OAuth2 client id (client credentials grant); its secret comes from client_secret_env or a prompt.
    Without it, the access token comes from token_env (a token the provider gave)."""
    credential_id: str | None = None
    """The signing credential (key and certificate); without it, the one credentials/list returns."""
    scopes: list[str] = ["service"]
    """OAuth2 scopes asked for with the client credentials grant."""
    token_url: str | None = None
    """The OAuth2 token endpoint [default: the "oauth2" URI the service's info gives, + oauth2/token]."""
    timeout: float = Field(30.0, gt=0, le=600)
    """Seconds each request to the service may take."""
    approval_timeout: float = Field(120.0, gt=0, le=3600)
    """Seconds to wait for the holder to approve an authorisation on their device, when the
    service answers it "under way" (CSC 2.0: 202, then credentials/authorizeCheck)."""
    client_secret_env: str = CSC_SECRET_VARIABLES["client_secret_env"]
    """The environment variable holding the OAuth2 client secret."""
    token_env: str = CSC_SECRET_VARIABLES["token_env"]
    """The environment variable holding an access token given by the provider (instead of client_id)."""
    otp_env: str = CSC_SECRET_VARIABLES["otp_env"]
    """The environment variable holding the OTP (used once); without it, the OTP is prompted for."""
    pin_env: str = CSC_SECRET_VARIABLES["pin_env"]
    """The environment variable holding the credential's PIN, for credentials that ask for one."""

    @field_validator("base_url", "token_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        # Secrets and OTPs travel to it: plain http only to a service on this machine (a test one).
        if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
            return value.rstrip("/")
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(_("must be an https:// URL (http:// only on 127.0.0.1, for a test service)"))
        return value.rstrip("/")

    @field_validator("client_secret_env", "token_env", "otp_env", "pin_env")
    @classmethod
    def _variable(cls, value: str) -> str:
        if not value or not (value[0].isalpha() or value[0] == "_") or not value.replace("_", "a").isalnum():
            raise ValueError(_("'{name}' is not an environment variable's name").format(name=value))
        if value.upper().startswith("ATTI_") and value not in _NOT_SETTINGS:
            # atti refuses an ATTI_* variable that is no setting: the secret would never be read.
            raise ValueError(_("'{name}': name a variable outside ATTI_* (those are settings)").format(name=value))
        return value


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    archive: Path = Path("archive")
    """The archive directory, or a postgresql:// URL (atti.archive.storage.location)."""
    p12: Path | None = None
    """A PKCS#12 file with the signer's key; without it or a token, publishing is refused outside
    development mode."""
    pkcs11_module: Path | None = None
    """A PKCS#11 library (smart card, HSM, SoftHSM2): sign with the key on its token instead of a file."""
    pkcs11_token: str | None = None
    """The token's label."""
    pkcs11_key: str | None = None
    """The label of the signing key on the token (its certificate has the same ID or label)."""
    template: Path | None = None
    """One DOCX template for every act, overriding all others (mostly for trying a draft template)."""
    templates: Path | None = None
    """The body's templates folder: <tipo>.docx (determinazione.docx, delibera.docx, ...) and
    logo.png; a type without its own file uses the packaged template."""
    allegati_dirs: list[Path] = []
    """Folders besides the act's own that its allegati may be read from (an ATTI_ALLEGATI_DIRS
    value separates them with ':', as PATH does)."""
    trusted_lists: list[Path] = []
    """Trusted lists (ETSI TS 119 612 XML files, e.g. AgID's TSL-IT.xml, downloaded by the body:
    atti never fetches one) that verification trusts and that say whether a signature is
    qualified; on the web too (separated by ':' in ATTI_TRUSTED_LISTS)."""
    trusted_list_signers: list[Path] = []
    """Certificates the trusted lists must be signed with (as the Official Journal publishes the
    Italian operator's); without them a list's signature proves it intact, not who issued it."""
    embed_source: bool = True
    """Attach the act's YAML and metadata to its PDF (PDF/A-3b); false keeps plain PDF/A-2b."""
    convert_timeout: float = 120.0
    """Seconds LibreOffice may take to convert one act."""
    level: Level = "B-B"
    """PAdES level of new signatures: B-B, B-T (with a signature timestamp), B-LT (also the
    revocation data, in the DSS), B-LTA (also a document timestamp); B-T and above need tsa_url."""
    tsa_url: str | None = None
    """RFC 3161 time-stamping service, e.g. "https://tsa.example.it/tsa"."""
    s3_endpoint: str | None = None
    """S3-compatible object storage for the archive's documents, e.g. "https://s3.example.it"
    (credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)."""
    s3_bucket: str | None = None
    """The bucket, created with Object Lock enabled."""
    s3_retention_years: int = Field(10, ge=1, le=1000)
    """Years each stored document is locked against deletion (S3 Object Lock, COMPLIANCE mode)."""
    s3_allow_unlocked: bool = False
    """Accept a bucket without Object Lock (test setups only: its documents can be deleted)."""
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    """Minutes a web session may go unused before it ends (atti serve)."""
    session_hours: int = Field(8, ge=1, le=30 * 24)
    """Hours a web session lasts at most, however much it is used."""
    user: str | None = None
    """Who the command line records as making each version it writes (atti draft, review, publish);
    --as USER overrides it [default: the operating system's login name]. The web records the
    signed-in user."""
    required_verifiche: dict[str, list[str]] = {}
    """The required verifiche per tipo of act, for every body, e.g. {determinazione = ["Verifica
    Legale"]}: publish refuses an act of that tipo unless each named verifica (its tipo, any case)
    is in the act, was approved with atti review after the draft was last submitted, and is signed
    with its reviewer's own key (--reviewer) or in development mode. As ATTI_REQUIRED_VERIFICHE,
    the same as JSON."""
    required_verifiche_by_ente: dict[str, dict[str, list[str]]] = {}
    """The same per body, by the act's ente.nome (any case and spacing), e.g.
    [required_verifiche_by_ente."Comune di Esempio"] delibera = ["Verifica Contabile"]: a tipo a
    body names here takes this list instead of required_verifiche's (an empty list requires none);
    a tipo it does not name keeps required_verifiche's. As ATTI_REQUIRED_VERIFICHE_BY_ENTE, JSON."""
    lang: Literal["it", "en"] = "it"
    """The language of the messages people read: it (Italian, the default) or en (English); the
    command line's --lang overrides it (atti.i18n)."""
    max_days_ahead: int = Field(7, ge=0, le=3660)
    """How many days after today an act's data may be when it is checked and published: a date
    further ahead is a slip (2062 for 2026), refused by atti check and atti publish."""
    csc: dict[str, CSCProvider] = {}
    """Remote signing services reached over the CSC API, by name: [csc.aruba] base_url = "...",
    client_id, credential_id, scopes, ... (see docs/signing.md). As ATTI_CSC, the same as JSON."""
    remote: str | None = None
    """Sign with the remote key PROVIDER[:CREDENTIAL] of a [csc.PROVIDER] table (atti sign/publish
    --remote); it comes before a PKCS#11 token and a PKCS#12."""
    development: bool = False
    """Development mode (atti publish --development): given no key, the archive's development CA
    signs the act in its firmatario's name, and each verifica given no reviewer's key in its
    reviewer's name. Only for trying atti, NOT a firma digitale: publish says so, and so does each
    such signature's reason. Outside it, publishing without a key is refused."""

    albo_giorni: int = Field(15, ge=1, le=366)
    """Days an act stays on the Albo pretorio online (atti albo pubblica, and the automatic
    publication); 15 consecutive days for comuni (art. 124 TUEL). --giorni overrides it."""
    albo_automatico: list[str] = []
    """The tipi of act published on the albo as soon as they are published, for every body, e.g.
    ["delibera", "determinazione"]; as ATTI_ALBO_AUTOMATICO, separated by ','."""
    albo_automatico_by_ente: dict[str, list[str]] = {}
    """The same per body, by the act's ente.nome (any case and spacing): a body named here takes
    this list instead of albo_automatico's. As ATTI_ALBO_AUTOMATICO_BY_ENTE, JSON."""
    albo_responsabile: str | None = None
    """The officer responsible for the albo, who signs the attestati di pubblicazione (atti albo
    attesta): the signing key's certificate must name them (in development mode the development
    CA signs in their name)."""
    albo_qualifica: str = "Responsabile della pubblicazione"
    """The responsible officer's qualifica, as the attestato names it."""
    albo_tipo_ente: str = "Comune"
    """The kind of body for the AlboPOP feed (its channel's type category and title)."""
    albo_webmaster: str | None = None
    """Who looks after the albo's RSS feed, "albo@comune.example.it (Ufficio albo)" (AlboPOP webMaster)."""

    @field_validator("albo_automatico", mode="before")
    @classmethod
    def _tipi_as_a_list(cls, value: Any) -> Any:
        return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value

    # -- the body, for the AgID metadata (Allegato 5) and the packages sent to conservation --
    ipa_code: str | None = None
    """The body's code in the IndicePA (codice IPA, e.g. "c_h501"): the metadata's IPAAmm.
    Export refuses to write AgID metadata without it, rather than leave the field empty."""
    aoo_code: str | None = None
    """The code in the IndicePA of the body's area organizzativa omogenea that registers its acts (IPAAOO)."""
    aoo_name: str | None = None
    """The AOO's name as the IndicePA gives it [default: the act's ente.nome]."""
    pec: list[str] = []
    """The body's digital addresses (PEC, IndirizziDigitaliDiRiferimento); at least one for export
    (an ATTI_PEC value separates them with ',')."""
    titolario: dict[str, str] = {}
    """The body's classification scheme: index -> description, e.g. {"1.6" = "Contratti"}; an
    act's classificazione.indice must be one of them."""
    titolario_name: str | None = None
    """The titolario's name and version, e.g. "Titolario 2024" (PianoDiClassificazione)."""
    classificazione: dict[str, str] = {}
    """The titolario index of the acts of a tipo that name none, e.g. {determinazione = "1.6"}."""
    massimario: dict[str, int] = {}
    """The body's massimario di scarto: years each class is kept, by titolario index; the longest
    prefix applies ("1" covers "1.6"); 9999 keeps for ever. An act whose class has none is refused."""
    producer: str | None = None
    """Who forms the acts and sends them to conservation (soggetto produttore) [default: the ente]."""
    holder: str | None = None
    """The conservatore that holds the packages sent (Holder of the SInCRO index)."""

    @field_validator("allegati_dirs", "trusted_lists", "trusted_list_signers", mode="before")
    @classmethod
    def _folders_as_a_path_list(cls, value: Any) -> Any:
        # From an environment variable: "/srv/allegati:/srv/bandi", as PATH.
        return [part for part in value.split(os.pathsep) if part] if isinstance(value, str) else value

    @field_validator("pec", mode="before")
    @classmethod
    def _addresses_by_comma(cls, value: Any) -> Any:
        # From an environment variable: "protocollo@pec.ente.it,segreteria@pec.ente.it".
        return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value

    @field_validator("titolario", "classificazione", "massimario", mode="before")
    @classmethod
    def _tables_as_json(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError(_("write it as JSON, e.g. {example}").format(example='{"1.6": "Contratti"}')) from None
        return value

    @field_validator("required_verifiche", "required_verifiche_by_ente", "albo_automatico_by_ente", "csc",
                     mode="before")
    @classmethod
    def _verifiche_as_json(cls, value: Any) -> Any:
        # From an environment variable: '{"determinazione": ["Verifica Legale"]}'.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError(_("write it as JSON, e.g. {example} or {other}").format(
                    example='{"determinazione": ["Verifica Legale"]}', other='{"aruba": {"base_url": "https://..."}}'
                )) from None
        return value

    @field_validator("level", mode="before")
    @classmethod
    def _level_any_case(cls, value: Any) -> Any:
        # "b-lta" from an environment variable means B-LTA; anything else is refused by Literal.
        return value.strip().upper() if isinstance(value, str) else value


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith("ATTI_") or name in _NOT_SETTINGS:
            continue
        key = name[5:].lower()
        if key not in Settings.model_fields:
            raise ConfigError(_("unknown setting in environment: {name}").format(name=name))
        out[key] = value
    return out


def _from_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(_("configuration file not found: {path}").format(path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(_("cannot read configuration file {path}: {reason}").format(path=path, reason=exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    section = data.get("atti", data)
    unknown = sorted(set(section) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(_("{path}: unknown setting '{name}'").format(path=path, name=unknown[0]))
    base = path.parent

    # Relative paths in a file are relative to the file, not to wherever atti runs.
    # (An archive may also be a URL, postgresql://...: not a path, left as it is.)
    def relative_to_file(v: Any) -> Any:
        return str(base / v) if isinstance(v, str) and not Path(v).is_absolute() and "://" not in v else v

    out = dict(section)
    for k, v in section.items():
        if k in _PATHS:
            out[k] = relative_to_file(v)
        elif k in _PATH_LISTS and isinstance(v, list):
            out[k] = [relative_to_file(p) for p in v]
    return out


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge file, environment and command-line values (``None`` overrides mean "not given")."""
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    path = config_file or (Path(environ["ATTI_CONFIG"]) if environ.get("ATTI_CONFIG") else None)
    if path is None and Path("atti.toml").is_file():
        path = Path("atti.toml")
    if path is not None:
        merged.update(_from_file(path))
    merged.update(_from_environment(environ))
    merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(_("setting '{setting}': {reason}").format(setting=where, reason=_reason(err))) from None


def _reason(err: Any) -> str:
    """What is wrong with a setting's value, in the language of messages (pydantic's own words are
    English: "Input should be a valid integer"); a validator's ValueError is worded here already."""
    kind: str = err["type"]
    value, ctx = err.get("input"), err.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind.startswith("bool_"):
        return _("write true or false, not '{value}'").format(value=value)
    if kind.startswith("int_"):
        return _("'{value}' is not a whole number: write it with the digits 0-9").format(value=value)
    if kind.startswith(("float_", "decimal_")):
        return _("'{value}' is not a number: write it with digits, e.g. 1234.50").format(value=value)
    if kind in ("literal_error", "enum"):
        return _("'{value}' is not one of the allowed values: {allowed}").format(
            value=value, allowed=str(ctx.get("expected", "")).replace(" or ", _(" or ")))
    if kind == "extra_forbidden":
        return _("unknown key '{key}'").format(key=err["loc"][-1] if err.get("loc") else value)
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next((f"{sign} {ctx[key]}" for key, sign in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))
                      if key in ctx), "")
        return _("{value} is out of range ({bound})").format(value=value, bound=bound)
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("a list is expected here: write each item on its own line starting with '- '")
    return _("'{value}' is not a valid value here ({kind})").format(value=value, kind=kind)
