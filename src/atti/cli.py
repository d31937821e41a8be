"""The ``atti`` command line: each command parses, makes one library call, prints.

Errors are turned into output in one place (:class:`_Group.invoke`): an :class:`AttiError`
becomes ``Error: <msg>`` (or the act's problem lines) and its exit code; anything else is a bug
and says so, with a traceback only under ``--verbose``. Ctrl-C and SIGTERM end a command with
``Error: interrupted`` and 130 or 143, after its cleanup has run.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import gettext
import importlib
import inspect
import json
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import click

from atti import __version__
from atti.config import LEVELS, Settings, load_settings
from atti.errors import ActError, AttiError, SigningError, VerificationError
from atti.i18n import (
    LANGUAGES,
    LOCALE_DIR,
    N_,
    _,
    kept_language,
    language,
    plural_index,
    read_po,
    read_po_plurals,
    set_language,
    translate,
)

if TYPE_CHECKING:
    from atti import pipeline
    from atti.archive import Archive
else:

    class _LazyModule:
        """A module imported when first used: ``atti --help`` should not load the act model, the
        archive and the search stemmer that the commands need."""

        def __init__(self, name: str) -> None:
            self._name = name

        def __getattr__(self, attr: str) -> Any:
            return getattr(importlib.import_module(self._name), attr)

    pipeline = _LazyModule("atti.pipeline")

_ARCHIVE_HELP = N_("Archive directory, or a postgresql:// URL [default: $ATTI_ARCHIVE, else ./archive].")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread as Ctrl-C raises KeyboardInterrupt: every ``finally``
    runs (LibreOffice is stopped, temporary folders are removed) before atti exits with 143."""


def _terminate(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the cleanup short
    raise Terminated


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` while a command runs (in the main thread only: a command
    run from another thread, as a test may, keeps the process's handler)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        # None: the handler was not set from Python (an embedding program); the default then.
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _given_once(command: click.Command, ctx: click.Context, args: list[str]) -> None:
    """Refuse an option that takes one value given twice (``--role a --role b``): click keeps the
    last one silently, and which one the user meant is theirs to say. A usage error, exit 2."""
    if ctx.resilient_parsing:  # shell completion: nothing is run, nothing to refuse
        return
    parser = command.make_parser(ctx)
    try:
        _values, _rest, order = parser.parse_args(args=list(args))
    except click.UsageError:
        return  # click's own parse says what is wrong, with its own message
    seen: dict[str, int] = {}
    for param in order:
        if isinstance(param, click.Option) and not param.multiple and not param.count and param.expose_value:
            seen[param.name or ""] = seen.get(param.name or "", 0) + 1
            if seen[param.name or ""] == 2:
                name = max(param.opts, key=len)
                values = _values_given(param, args)
                # A flag's values are its spellings: worth saying only when they differ (--x, --no-x).
                shown = len(values) > 1 and not (param.is_flag and len(set(values)) == 1)
                said = f" ({', '.join(values)})" if shown else ""
                raise click.UsageError(
                    _("{name} was given twice{said}: give it once").format(name=name, said=said), ctx)


def _values_given(option: click.Option, args: list[str]) -> list[str]:
    """What the command line gave ``option`` each time (its spelling, for a flag), for the message."""
    spellings = [*option.opts, *option.secondary_opts]
    found: list[str] = []
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            break
        name, eq, value = token.partition("=")
        if name in spellings and (eq or option.is_flag):
            found.append(value if eq else token)
        elif token in spellings:
            found.append(next(tokens, ""))
        elif not token.startswith("--") and token[:2] in spellings and len(token) > 2 and not option.is_flag:
            found.append(token[2:])  # -rvalue
    return found


# -- click's own messages ----------------------------------------------------------------------------
# click says its usage errors ("Missing option", "No such option", "Error:", "Usage:", its types'
# messages, "Aborted!") through gettext's _ and ngettext, imported by name into each of its modules.
# :func:`_speak_click` puts in their place the two functions below, which read click's messages
# from locale/it/LC_MESSAGES/click.po (every message of click's source, tests/test_i18n.py checks)
# in the language atti.i18n chooses, at the moment click says them; --help with them (its texts:
# :class:`_Helped`), English for the docs made from it (scripts/cli_docs.py).

_CLICK_MODULES = ("core", "exceptions", "parser", "types", "decorators", "formatting", "termui", "utils",
                  "shell_completion", "_termui_impl")


@functools.cache
def _click_catalog(lang: str) -> tuple[dict[str, str], dict[str, tuple[str, list[str]]]]:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "click.po"
    return (read_po(po), read_po_plurals(po)) if po.is_file() else ({}, {})


def _click_gettext(message: str) -> str:
    """click's ``_(message)``, in the language of atti's messages."""
    lang = language()
    return message if lang == "en" else _click_catalog(lang)[0].get(message) or message


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    """click's ``ngettext(singular, plural, n)``, in the language of atti's messages."""
    lang = language()
    found = None if lang == "en" else _click_catalog(lang)[1].get(singular)
    if found is not None and found[0] == plural and len(found[1]) == 2 and found[1][plural_index(n)]:
        return found[1][plural_index(n)]
    return singular if n == 1 else plural


def _speak_click() -> None:
    """Make click's modules say their messages through click.po (once, when the command line is loaded)."""
    for name in _CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # a module of another platform's, or of another click
            continue
        if getattr(module, "_", None) is gettext.gettext:
            module._ = _click_gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = _click_ngettext  # type: ignore[attr-defined]


def _language_given(args: list[str]) -> None:
    """--lang as the command line gives it, chosen before click parses anything, so that even a usage
    error in the first options is said in it (an unknown language is refused later by --lang's Choice)."""
    for i, token in enumerate(args):
        if token == "--":
            return
        value = args[i + 1] if token == "--lang" and i + 1 < len(args) else token.partition("=")[2] \
            if token.startswith("--lang=") else None
        if value in LANGUAGES:
            set_language(value)


def help_text(help: str | None) -> str | None:
    """The English a command's or an option's help is shown from, its catalog msgid: the text as click
    cleans it (a docstring's indentation gone), up to the ``\\f`` where click cuts a docstring."""
    return inspect.cleandoc(help).partition("\f")[0] if help else help


class _Helped(click.Command):
    """A command whose help is shown in the language of messages: help texts and docstrings are
    written in English at import (marked with N_, docstrings found by scripts/messages.py), before
    the command line chooses the language, and translated each time --help or a group's list of
    commands shows them."""

    def _in_language(self) -> Self:
        shown = copy.copy(self)  # a copy per rendering: the command itself stays as written
        shown.help = _translated(self.help)
        shown.short_help = _translated(self.short_help)
        shown.params = [copy.copy(p) for p in self.params]
        for param in shown.params:
            param.help = _translated(param.help)
        return shown

    def get_short_help_str(self, limit: int = 45) -> str:
        return super(_Helped, self._in_language()).get_short_help_str(limit)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super(_Helped, self._in_language()).format_help(ctx, formatter)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:  # made once and kept by click, with its help in the language of that moment
            option.help = _click_gettext("Show this message and exit.")
        return option


def _translated(help: str | None) -> str | None:
    """A help text in the language of messages: atti's own from atti's catalog, click's (--version's,
    written when the command was made) from click's."""
    text = help_text(help)
    if not text:
        return text
    shown = translate(text)
    return _click_gettext(text) if shown == text else shown


class _Command(_Helped):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _given_once(self, ctx, args)
        return super().parse_args(ctx, args)


class _Group(_Helped, click.Group):
    command_class = _Command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _given_once(self, ctx, args)
        return super().parse_args(ctx, args)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """The whole command line, click's own error messages included, in the language it chooses;
        the process's language is as it was afterwards."""
        given = kwargs.get("args", args[0] if args else None)
        with kept_language():
            _language_given(sys.argv[1:] if given is None else [str(a) for a in given])
            return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        if ctx.parent is None:  # the root group: once per command line
            with _sigterm_raises():
                return self._invoke(ctx)
        return self._invoke(ctx)

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ActError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            ctx.exit(exc.exit_code)
        except AttiError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            click.echo(_("Error: {message}").format(message=exc.msg), err=True)
            ctx.exit(exc.exit_code)
        except (KeyboardInterrupt, click.Abort) as exc:  # Ctrl-C (a prompt's is Abort), or SIGTERM (Terminated)
            click.echo(_("Error: interrupted"), err=True)
            ctx.exit(143 if isinstance(exc, Terminated) else 130)  # 128 + the signal, as shells report it
        except BrokenPipeError:
            # Standard output was closed early (atti search | head -1): not a bug. Click ends the
            # command quietly, exit 1, as for every click program.
            raise
        except (click.exceptions.Exit, click.ClickException):
            raise
        except Exception as exc:  # a bug: say so briefly, never dump a traceback on an officer
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            click.echo(_("Error: internal error ({error}); rerun with --verbose").format(
                error=f"{type(exc).__name__}: {exc}"), err=True)
            ctx.exit(70)


def _settings(ctx: click.Context, **overrides: Any) -> Settings:
    obj = ctx.find_root().obj
    settings = load_settings(overrides, config_file=obj.get("config"))
    if obj.get("lang") is None:  # --lang wins over the setting (from a file or $ATTI_LANG)
        set_language(settings.lang)
    return settings


@contextmanager
def _open(settings: Settings) -> Iterator[Archive]:
    """The archive the settings name, open for one command."""
    from atti.archive import Archive

    with Archive.open(settings.archive, settings=settings) as archive:
        yield archive


@contextmanager
def _find(settings: Settings, *, required: bool = False) -> Iterator[Archive | None]:
    """The archive the settings name if there is one there (or None), for commands that can do without."""
    from atti.archive import Archive

    archive = Archive.open(settings.archive, settings=settings) if required else Archive.find(
        settings.archive, settings=settings
    )
    try:
        yield archive
    finally:
        if archive is not None:
            archive.close()


_AS_HELP = N_("Who makes the version, as the archive records it [default: $ATTI_USER, else your login name].")


def _actor(settings: Settings) -> str | None:
    """Who the versions a command writes are recorded as made by: --as, the user setting, else the login name."""
    if settings.user:
        return settings.user
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in this environment: recorded as unknown
        return None


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="atti")
@click.option(
    "--verbose", "-v", is_flag=True,
    help=N_("Show tracebacks for errors, and what a command tells only on demand (compare: the PDF's internals)."),
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Configuration file [default: $ATTI_CONFIG, else ./atti.toml if present]."),
)
@click.option(
    "--lang", type=click.Choice(LANGUAGES), help=N_("Language of messages: it or en [default: $ATTI_LANG, else it].")
)
@click.pass_context
def main(ctx: click.Context, verbose: bool, config: Path | None, lang: str | None) -> None:
    """atti: administrative acts from YAML to a signed PDF/A in a tamper-evident archive."""
    set_language(lang)  # None: $ATTI_LANG, then the lang setting once the settings are read
    ctx.obj = {"verbose": verbose, "config": config, "lang": lang}


@main.command()
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option(
    "--trust",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=N_("A CA certificate (PEM or DER) to trust when verifying; repeatable."),
)
@click.pass_context
def init(ctx: click.Context, archive: Path | None, trust: tuple[Path, ...]) -> None:
    """Create an archive with a development CA (NOT qualified) to try atti at once (publish --development)."""
    settings = _settings(ctx, archive=archive)
    result = pipeline.init_archive(settings.archive, trust=trust, settings=settings)
    made = _("Created {path}") if result.created else _("Archive already exists at {path}")
    click.echo(made.format(path=result.archive))
    if result.ca_created:
        click.echo(_("Development CA (not qualified): {path}").format(path=result.root_certificate))


@main.command()
@click.argument("tipo")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def new(ctx: click.Context, tipo: str, file: Path | None) -> None:
    """Write a commented skeleton of an act of TIPO (determinazione, delibera, decreto, ordinanza).

    Into FILE [default: TIPO.yaml here], which must not exist: atti new never overwrites. Every
    key the act needs is there with what it is; fill in the empty values, then run atti check.
    """
    from atti.acts.skeleton import default_file, write_skeleton

    _settings(ctx)  # the lang setting: the skeleton's comments are in the language of messages
    written = write_skeleton(tipo, file or default_file(tipo))
    click.echo(_("Wrote {path}: fill in the empty values, then run atti check {path}").format(path=written))


@main.command()
@click.pass_context
def schema(ctx: click.Context) -> None:
    """Print the JSON Schema (draft 2020-12) of an act file, for editors' YAML completion.

    Every key with its description, in the language of messages; unknown keys are refused. Save
    it (atti schema > atti.schema.json) and name it in the act's first line:
    # yaml-language-server: $schema=atti.schema.json
    """
    from atti.acts.schema import act_schema

    _settings(ctx)  # the lang setting: the descriptions are in the language of messages
    _print_json(act_schema())


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def check(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Check acts; print FILE:LINE:COLUMN: message for each problem.

    Likely personal data left unmarked (fiscal codes, IBANs, e-mail addresses, dates of birth) is
    reported as a warning: mark a person's data [[...]] so the publication copy leaves it out.
    Exits 0 when every act is valid (warnings or not) and 1 otherwise.
    """
    from atti.acts import load_act
    from atti.acts.personal import personal_data_warnings

    settings = _settings(ctx)  # allegati_dirs: where allegati may come from besides each act's folder
    failed = False
    for path in files:
        try:
            loaded = load_act(path, allegati_dirs=settings.allegati_dirs, max_days_ahead=settings.max_days_ahead)
        except ActError as exc:
            failed = True
            for problem in exc.problems:
                click.echo(str(problem))
        else:
            for warning in personal_data_warnings(loaded):
                click.echo(str(warning))
            click.echo(_("{path}: ok").format(path=path))
    if failed:
        sys.exit(1)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
    help=N_("Directory for the DOCX and PDF."),
)
@click.option("--template", type=click.Path(dir_okay=False, path_type=Path), help=N_("DOCX template to use."))
@click.pass_context
def render(ctx: click.Context, files: tuple[Path, ...], out_dir: Path, template: Path | None) -> None:
    """Render acts to DOCX and PDF/A (unsigned).

    FILES are act files or folders (their *.yaml files). One file: prints the paths of its DOCX
    and PDF. Several acts: renders them on every core with LibreOffice kept running, shows
    progress on stderr, prints each failure and a summary, and carries on past failing acts.

    Exits 0 when every act was rendered, 1 when only invalid acts failed (the others are
    rendered), 3 when an act could not be rendered (template, LibreOffice or output folder).
    """
    settings = _settings(ctx, template=template)
    if len(files) == 1 and not files[0].is_dir():
        rendered = pipeline.render(files[0], out_dir, settings)
        click.echo(f"DOCX: {rendered.docx}")
        click.echo(f"PDF:  {rendered.pdf}")
        return
    import contextlib

    with contextlib.ExitStack() as stack:
        bars: list[Any] = []

        # Drawn at the first act done: only then is the total known (folders are expanded by the
        # library), and an error before any act leaves no empty bar behind.
        def advance(_outcome: object, _done: int, total: int) -> None:
            if not bars and total > 1:
                bars.append(stack.enter_context(click.progressbar(length=total, label=_("Rendering"),
                                                                  file=sys.stderr)))
            if bars:
                bars[0].update(1)

        result = pipeline.render_many(files, out_dir, settings, progress=advance)
    for failure in result.failed:
        click.echo(_("Error: {message}").format(message=failure.message), err=True)
    total = len(result.rendered) + len(result.failed)
    failed = _(", {count} failed").format(count=len(result.failed)) if result.failed else ""
    click.echo(_("Rendered {done} of {total} acts into {folder}{failed}").format(
        done=len(result.rendered), total=total, folder=out_dir, failed=failed))
    if result.exit_code:
        sys.exit(result.exit_code)


_LEVEL_HELP = (
    N_("PAdES level: B-B, B-T (+ signature timestamp), B-LT (+ revocation data), B-LTA (+ document "
    "timestamp) [default: $ATTI_LEVEL, else B-B].")
)
_TSA_HELP = N_("RFC 3161 time-stamping service, needed from B-T up [default: $ATTI_TSA_URL].")


def _passphrase_prompt(what: str) -> bytes:
    from atti.signing.asked import kind_of  # here: the command line starts without the signing packages

    kind, reviewer = kind_of(what)
    if kind == "service":  # a CSC service's: the text names the variable that can hold it
        if not sys.stdin.isatty():
            raise SigningError(_("{what} is needed: run in a terminal").format(what=what[0].upper() + what[1:]))
        return str(click.prompt(what[0].upper() + what[1:], hide_input=True, err=True)).encode()
    token = kind == "pin"
    if not sys.stdin.isatty():
        if token and reviewer:
            raise SigningError(_("{what} needs a PIN: add pin-env=VARIABLE to its key or run in a terminal").format(
                what=what))
        if token:
            raise SigningError(_("{what} needs a PIN: set ATTI_PKCS11_PIN or run in a terminal").format(what=what))
        raise SigningError(_("{what} is protected by a passphrase: set ATTI_P12_PASSPHRASE or run in a "
                             "terminal").format(what=what))
    # On stderr, so that --json output stays one JSON object.
    label = (_("PIN for {what}") if token else _("Passphrase for {what}")).format(what=what)
    return str(click.prompt(label, hide_input=True, err=True)).encode()


def _local_key_first(settings: Settings, remote: str | None, p12: Path | None, pkcs11_module: Path | None) -> Settings:
    """A key given on the command line (--p12, --pkcs11-module) wins over a remote key of the
    settings, as the command line wins over every setting; --remote wins over both."""
    if remote is None and (p12 is not None or pkcs11_module is not None) and settings.remote is not None:
        return settings.model_copy(update={"remote": None})
    return settings


def _token_options(f: Any) -> Any:
    """--pkcs11-module, --token, --key-label: sign with a key on a smart card or HSM; --remote: over the CSC API."""
    f = click.option(
        "--remote", metavar="PROVIDER[:CREDENTIAL]",
        help=N_("Sign with a remote key over the CSC API: a credential of the [csc.PROVIDER] settings (OTP from "
        "$ATTI_CSC_OTP or a prompt; see docs/signing.md) [default: $ATTI_REMOTE]."),
    )(f)
    f = click.option("--key-label", "pkcs11_key", metavar="LABEL", help=N_("Label of the signing key on the token."))(f)
    f = click.option("--token", "pkcs11_token", metavar="LABEL", help=N_("Label of the PKCS#11 token."))(f)
    return click.option(
        "--pkcs11-module", type=click.Path(dir_okay=False, path_type=Path),
        help=N_("PKCS#11 library of a smart card or HSM (PIN from $ATTI_PKCS11_PIN or a prompt)."),
    )(f)


@main.command()
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option(
    "--draft", "draft_id", metavar="ID",
    help=N_("Seal the archived draft ID (e.g. bozza-3): its current source, or FILE when given. Without it, "
    "a draft whose source is exactly FILE is the one sealed."),
)
@click.option(
    "--p12", type=click.Path(dir_okay=False, path_type=Path),
    help=N_("PKCS#12 file of the signer (passphrase from $ATTI_P12_PASSPHRASE or a prompt); "
    "without it or a token, publishing needs --development."),
)
@click.option(
    "--development", is_flag=True,
    help=N_("Development mode, to try atti (NOT a firma digitale): the archive's development CA signs in "
    "the firmatario's name when no key is given, and in the reviewers' names the verifiche given "
    "no key; publish says so [default: $ATTI_DEVELOPMENT, else off]."),
)
@click.option("--level", type=click.Choice(LEVELS, case_sensitive=False), help=_LEVEL_HELP)
@click.option("--tsa", "tsa_url", metavar="URL", help=_TSA_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the archived act as JSON."))
@click.option(
    "--reviewer", "reviewer_keys", multiple=True, metavar="KEY",
    help=N_("The key of a reviewer whose certificate names one of the act's verifiche, or of a further "
    "firmatario of an act several people sign (repeatable): "
    "p12:PATH, pkcs11:token=LABEL;key=LABEL[;module=PATH][;pin-env=VARIABLE] (the module defaults to "
    "pkcs11_module; the PIN from that variable or a prompt), csc:PROVIDER[:CREDENTIAL] (a remote key over the "
    "CSC API; the OTP from the provider's otp_env or a prompt) or remote:MODULE:FACTORY (a Python adapter "
    "returning a remote signing service)."),
)
@click.option(
    "--reviewer-p12", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
    help=N_("PKCS#12 of a reviewer, as --reviewer p12:PATH (repeatable)."),
)
@click.option("--as", "as_user", metavar="USER", help=_AS_HELP)
@_token_options
@click.pass_context
def publish(
    ctx: click.Context, file: Path | None, archive: Path | None, draft_id: str | None, p12: Path | None,
    development: bool, level: str | None,
    tsa_url: str | None, as_json: bool, reviewer_keys: tuple[str, ...], reviewer_p12: tuple[Path, ...],
    as_user: str | None,
    pkcs11_module: Path | None, pkcs11_token: str | None, pkcs11_key: str | None, remote: str | None,
) -> None:
    """Check, number, render, sign and archive an act; or every act (*.yaml) of a folder.

    Each reviewer given with --reviewer signs their verifica first; then the signer signs
    a visible stamp on the last page that locks the act against any change but signatures.
    A draft (atti draft save) is published with --draft ID, or by publishing the same file,
    once submitted (atti draft submit); the verifiche the required_verifiche settings name for
    its body and tipo must have been approved (atti review) and be signed with their reviewers'
    keys. Without a key (--p12, a token or --remote) it refuses, unless in development mode (--development).

    FILE a folder: each of its acts is published in turn with the key opened once; a remote key
    (--remote) is authorised once, one OTP for the whole batch as far as its credential allows.
    Each act is published whole or not at all; a line per act says which and why. Exits 0 when
    every act was published, 1 when some were not (a failing service or OTP stops the batch).
    """
    if file is None and draft_id is None:
        raise click.UsageError(_("give the act's FILE, or --draft ID"))
    settings = _settings(ctx, archive=archive, p12=p12, level=level, tsa_url=tsa_url, pkcs11_module=pkcs11_module,
                         pkcs11_token=pkcs11_token, pkcs11_key=pkcs11_key, user=as_user, remote=remote,
                         development=development or None)  # the flag only turns it on: else the setting decides
    settings = _local_key_first(settings, remote, p12, pkcs11_module)
    if file is not None and file.is_dir():
        if draft_id is not None or reviewer_keys or reviewer_p12:
            raise click.UsageError(_("a folder of acts is published without --draft and --reviewer"))
        _publish_folder(settings, file, as_json)
        return
    with _open(settings) as arc:
        result = pipeline.publish(arc, file, settings, prompt=_passphrase_prompt,
                                  reviewer_keys=[*reviewer_keys, *(f"p12:{p}" for p in reviewer_p12)],
                                  draft_id=draft_id, actor=_actor(settings))
    for note in result.notes:
        click.echo(_("Note: {note}").format(note=note), err=True)
    if as_json:
        _print_json(result.to_dict())
        return
    r = result.record
    click.echo(_("Published {id}: {tipo} {registro} n. {numero}/{anno}, signed by {firmatario}").format(
        id=r.id, tipo=r.tipo, registro=r.registro, numero=r.numero, anno=r.anno, firmatario=r.firmatario))
    click.echo(_("Signed PDF: {path}").format(path=result.pdf))


def _publish_folder(settings: Settings, folder: Path, as_json: bool) -> None:
    def report(item: pipeline.BatchItem) -> None:
        if as_json:
            return
        if item.result is not None:
            r = item.result.record
            click.echo(_("Published {id} ({file}): {registro} n. {numero}/{anno}, signed by {firmatario}").format(
                id=r.id, file=item.file, registro=r.registro, numero=r.numero, anno=r.anno, firmatario=r.firmatario))
        else:
            click.echo(_("Not published {file}: {error}").format(file=item.file, error=item.error))

    with _open(settings) as arc:
        batch = pipeline.publish_many(arc, [folder], settings, prompt=_passphrase_prompt, actor=_actor(settings),
                                      progress=report)
    if as_json:
        _print_json(batch.to_dict())
    else:
        otps = "" if batch.authorisations is None else _(", {count} OTP authorisation(s)").format(
            count=batch.authorisations)
        click.echo(_("Published {done} of {total} acts{otps}").format(
            done=len(batch.published), total=len(batch.items), otps=otps))
    if batch.failed:
        sys.exit(1)


@main.command()
@click.argument("query", required=False, default="")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--registro", help=N_("Only acts of this registro (e.g. D.O.)."))
@click.option("--anno", type=int, help=N_("Only acts of this year."))
@click.option("--dal", metavar="DATE", help=N_("Only acts dated DATE or later (YYYY-MM-DD, DD/MM/YYYY)."))
@click.option("--al", metavar="DATE", help=N_("Only acts dated DATE or earlier (YYYY-MM-DD, DD/MM/YYYY)."))
@click.option("--tipo", help=N_("Only acts of this tipo (e.g. determinazione)."))
@click.option("--organo", help=N_("Only acts whose organo contains this text."))
@click.option("--firmatario", help=N_("Only acts whose firmatario's name contains this text."))
@click.option("--stato", help=N_("Only acts in this stato (e.g. pubblicato)."))
@click.option("--cites", metavar="ID", help=N_("Only acts that cite the act ID (e.g. DO-2021-46)."))
@click.option("--cited-by", metavar="ID", help=N_("Only acts that the act ID cites."))
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True,
              help=N_("Show at most this many results."))
@click.option("--offset", type=click.IntRange(0), default=0, help=N_("Skip this many results first (the next pages)."))
@click.option(
    "--public", "public_only", is_flag=True,
    help=N_("Only what the public may see: no riservato act, no draft."),
)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the results as a JSON list."))
@click.pass_context
def search(
    ctx: click.Context, query: str, archive: Path | None, registro: str | None, anno: int | None,
    dal: str | None, al: str | None, tipo: str | None, organo: str | None, firmatario: str | None,
    stato: str | None, cites: str | None, cited_by: str | None, limit: int, offset: int, public_only: bool,
    as_json: bool,
) -> None:
    """Search archived acts: words, people, numbers and laws as archivists write them.

    Every word is required and finds its forms ("proroga" finds "prorogato"); "opere pubbliche"
    in quotes is a phrase; a OR b; -word leaves out; contribut* is a prefix; firmatario:, proposta:,
    verificatore:, ente:, organo:, tipo:, oggetto: search one field. An act's number in any written
    form (60/2026, "n. 60 del 18/03/2026", "D.O. 60/2026", DO-2026-60) finds the act, then the acts
    citing it; a law (267/2000, "D.Lgs. 36/2023", TUEL, "codice dei contratti") the acts citing it.

    Results are best match first (the act's number, citing it, the words in its people, in its
    oggetto), then newest, with the matched words [in brackets] in the snippet. Without QUERY, the
    acts the filters select are listed newest first.
    """
    from atti.archive.search import Filters  # parsed here so that a bad date is a usage error (exit 2)

    filters = Filters.parse(registro=registro, anno=anno, dal=dal, al=al, tipo=tipo, organo=organo,
                            firmatario=firmatario, stato=stato, cites=cites, cited_by=cited_by,
                            public_only=public_only)
    with _open(_settings(ctx, archive=archive)) as arc:
        hits = arc.search(query, filters=filters, limit=limit, offset=offset)
    if as_json:
        _print_json([h.to_dict() for h in hits])
        return
    if not hits:
        click.echo(_("No acts found."))
    for h in hits:
        r = h.record
        click.echo(f"{r.id}  {r.data:%d/%m/%Y}  {r.oggetto}")
        click.echo(f"    {h.snippet}")


@main.command()
@click.argument("act_id")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the act's record as JSON."))
@click.pass_context
def show(ctx: click.Context, act_id: str, archive: Path | None, as_json: bool) -> None:
    """Show an archived act (e.g. atti show DO-2026-129): its record, stato and versions count,
    what it cites (each cited id marked present or absent in the archive), what cites it, its
    relazioni both ways, and whether and when it was sent to conservation (atti receipt).
    """
    with _open(_settings(ctx, archive=archive)) as arc:
        result = pipeline.show(arc, act_id)
    if as_json:
        _print_json(result.to_dict())
        return
    for key, value in result.to_dict().items():
        if key == "esecutivita":
            e = result.esecutivita
            if e is None:
                value = _("unknown")
            else:
                since = _("from {date}").format(date=f"{e.dal:%d/%m/%Y}") if e.dal else _("not yet")
                value = f"{since}: {e.motivo}"
        if not isinstance(value, list):
            click.echo(f"{key:>10}: {value}")
    for p in result.albo:
        period = _("{numero}/{anno} from {dal} to {al}, {stato}").format(
            numero=p.numero, anno=p.anno, dal=f"{p.dal:%d/%m/%Y}", al=f"{p.al:%d/%m/%Y}", stato=p.stato())
        click.echo(f"{'albo':>10}: {period}" + (f" ({p.motivo})" if p.motivo else "")
                   + (", attestato" if p.attestato else ""))  # i18n: not a message

    def where(r: Any) -> str:
        return f"{r.part} {r.index + 1}"

    def target(r: Any) -> str:
        if r.target_id is None:
            return _("(no archive id)")
        return (_("{id} (present)") if r.present else _("{id} (absent)")).format(id=r.target_id)

    sections = [
        (_("Cites"), [f"{target(r)}  {where(r)}: {r.testo}" for r in result.cites if r.relazione is None]),
        (_("Cited by"), [f"{r.act_id}  {where(r)}: {r.testo}" for r in result.cited_by if r.relazione is None]),
        ("Relazioni", [_("{relazione} of {target}").format(relazione=r.relazione, target=target(r))
                        for r in result.cites if r.relazione is not None]),
        (_("Relazioni by"), [_("{relazione} by {id}").format(relazione=r.relazione, id=r.act_id)
                             for r in result.cited_by if r.relazione is not None]),
        ("Versato in conservazione", [
            _("{recorded_at}: {package} to {conservatore}").format(
                recorded_at=t["recorded_at"], package=t["package"], conservatore=t["conservatore"])
            for t in result.transfers]),
    ]
    for title, lines in sections:
        click.echo(f"{title}: {len(lines) or _('none')}")
        for line in lines:
            click.echo(f"  {line}")


@main.command()
@click.argument("act_id")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the versions as a JSON list."))
@click.pass_context
def history(ctx: click.Context, act_id: str, archive: Path | None, as_json: bool) -> None:
    """List the versions of an archived act: stato, date, reason, who made it and the SHA-256 of its files.

    Nothing archived is overwritten: a renewed timestamp, an annulment or a rectification adds a
    version. A review shows its verifica, esito and note. Exits 0, or 6 when the act is unknown.
    """
    with _open(_settings(ctx, archive=archive)) as arc:
        versions = arc.versions(act_id)
    if as_json:
        _print_json([v.to_dict() for v in versions])
        return
    for v in versions:
        by = _(" by {id}").format(id=v.by_act) if v.by_act else ""
        actor = f"  [{v.actor}]" if v.actor else ""
        click.echo(f"{v.act_id}@{v.version}  {v.created_at}  {v.stato}  ({v.reason}{by}){actor}")
        if v.verifica:
            click.echo(f"    verifica '{v.verifica}': {v.esito}"  # i18n: not a message
                       + (f": {v.note}" if v.note else ""))
        unrendered = _("(none: not rendered)")
        click.echo(_("    source {sha256}").format(sha256=v.source.sha256))
        click.echo(_("    docx   {sha256}").format(sha256=v.docx.sha256 or unrendered))
        click.echo(_("    pdf    {sha256}").format(sha256=v.pdf.sha256 or unrendered))


@main.command()
@click.argument("a", metavar="ID@V1")
@click.argument("b", metavar="ID@V2")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the differences as JSON."))
@click.option(
    "--pdf", "pdf", type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Also write the differences as a redline report for the legal file (a PDF/A; needs LibreOffice)."),
)
@click.pass_context
def diff(ctx: click.Context, a: str, b: str, archive: Path | None, as_json: bool, pdf: Path | None) -> None:
    """Show how two archived versions differ, field by field and word by word.

    A version is ID@N (e.g. DO-2026-129@1); a bare ID is its newest version. The two may be of
    different acts. Every field of the act is compared (data, registro, firmatario, verifiche
    with their esiti, allegati with the SHA-256 of their files...), and the stato. A changed item
    is shown as a redline: [-deleted words-]{+added words+}. Exits 0, or 6 when an act or a
    version is unknown.
    """
    settings = _settings(ctx, archive=archive)
    with _open(settings) as arc:
        result = pipeline.diff(arc, a, b, pdf=pdf, settings=settings)
    if as_json:
        _print_json(result.to_dict())
        return
    for line in result.to_text():
        click.echo(line)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option(
    "--trust", multiple=True, type=click.Path(exists=True, path_type=Path),
    help=N_("Further trust roots (file or folder of PEM/DER certificates); repeatable."),
)
@click.option(
    "--tsl", multiple=True, type=click.Path(exists=True, path_type=Path),
    help=N_("A trusted list already on disk (ETSI TS 119 612 XML, e.g. AgID's), or a folder of them (*.xml): "
    "the CA/QC services it now grants are trusted for signatures, its TSA/QTST services for timestamps, "
    "and it says whether each signature is qualified; repeatable, besides the trusted_lists setting. It is "
    "never downloaded; its XML signature is checked and the report says by whom."),
)
@click.option(
    "--tsl-signer", multiple=True, type=click.Path(exists=True, path_type=Path),
    help=N_("Certificate the trusted lists must be signed with (as the EU list of trusted lists publishes it); "
    "without it a list's XML signature proves only that the file is intact, not who issued it, and an "
    "unsigned list is accepted (reported as unsigned)."),
)
@click.option(
    "--act", type=click.Path(dir_okay=False, path_type=Path),
    help=N_("The act's YAML: its firmatario must be named by the signer certificate "
    "[default: the YAML source attached to the PDF, if any]."),
)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the report as JSON."))
@click.option(
    "--html", "html", type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Also write the report as a self-contained HTML page (in Italian) to this file."),
)
@click.pass_context
def verify(
    ctx: click.Context, file: Path, archive: Path | None, trust: tuple[Path, ...], tsl: tuple[Path, ...],
    tsl_signer: tuple[Path, ...], act: Path | None, as_json: bool, html: Path | None,
) -> None:
    """Verify the signatures and timestamps of a signed PDF, offline.

    Trusts the archive's roots, --trust certificates and --tsl trusted lists; nothing is fetched
    from the network (no trusted list, CRL or OCSP): revocation data is only what the PDF
    carries. Checks that a signer certificate names the act's firmatario. Indications follow
    ETSI EN 319 102-1. Exits 0 only on TOTAL_PASSED, 1 otherwise, 5 when FILE cannot be read as
    a signed PDF or a trusted list cannot be used.
    """
    settings = _settings(ctx, archive=archive)
    tsl, tsl_signer = (*tsl, *settings.trusted_lists), (*tsl_signer, *settings.trusted_list_signers)
    # Without --trust or a trusted list there is nothing to trust but an archive's roots: it must exist.
    with _find(settings, required=not (trust or tsl)) as arc:
        report = pipeline.verify(file, archive=arc, trust=trust, tsl=tsl, tsl_signers=tsl_signer, act=act)
    if html is not None:
        from atti.files import write_atomic, write_error
        from atti.signing.html_report import render_html

        try:
            write_atomic(html, render_html(report, file=str(file)).encode("utf-8"))
        except OSError as exc:
            raise write_error(exc, str(html), VerificationError) from None
    if as_json:
        _print_json(report.to_dict())
    else:
        click.echo(report.to_text(str(file)))
    if report.indication != "TOTAL_PASSED":
        sys.exit(1)


@main.command()
@click.argument("first", metavar="[ACT]")
@click.argument("second", metavar="PDF", required=False)
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--numero", type=int, help=N_("The number the archive gave the act, when its YAML has none."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print the proof as JSON."))
@click.pass_context
def proof(
    ctx: click.Context, first: str, second: str | None, archive: Path | None, numero: int | None, as_json: bool
) -> None:
    """Prove that PDF says what the act ACT says, part by part and item by item.

    PDF is a file, or an archived act ID (its current PDF) or version ID@N. ACT is a YAML file,
    or an archived version ID@N (its source); without ACT, the YAML the PDF carries, as its
    signature covers it: `atti proof DO-2026-129` proves the archived act as it was signed.

    Exit 0 when every item of the act is in the PDF, whole and in order, with nothing but the
    template's own words between them; 1 otherwise, with one line per difference.
    """
    act, pdf = (None, first) if second is None else (first, second)
    settings = _settings(ctx, archive=archive)
    with _find(settings) as arc:
        result = pipeline.prove(pdf, settings, act=act, archive=arc, numero=numero)
    if as_json:
        _print_json(result.to_dict())
    elif result.proof.passed:
        click.echo(_("{pdf}: says what {act} says ({count} items)").format(
            pdf=result.pdf, act=result.act, count=len(result.proof.items)))
    else:
        from atti.templates.proof import describe

        for line in describe(result.proof):
            click.echo(f"{result.pdf}: {line}")
    ctx.exit(0 if result.proof.passed else 1)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def templates(directory: Path) -> None:
    """Copy the packaged DOCX templates into DIRECTORY, to make them the body's own.

    Edit them in Word or LibreOffice, add logo.png, then set `templates = "DIRECTORY"` in
    atti.toml (or ATTI_TEMPLATES). Existing files are left alone. See docs/templates.md.
    """
    from atti.templates.render import export_templates

    for path, written in export_templates(directory):
        click.echo((_("wrote {path}") if written else _("kept  {path}")).format(path=path))


def _read_pdf(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise VerificationError(
            _("cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc)) from None


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=N_("Print the report as JSON."))
def pdfcheck(file: Path, as_json: bool) -> None:
    """Check a PDF/A as far as possible without veraPDF.

    Checks: PDF/A claim in the XMP, fonts embedded, no encryption, ICC output intent, no
    JavaScript, tagged, attached files associated (PDF/A-3); counts signatures. Exits 0 when
    every check passes, 1 when any fails, 5 when FILE cannot be read as a PDF.
    """
    from atti.templates.pdfcheck import check_pdf  # pikepdf: loaded only by the commands that use it

    report = check_pdf(_read_pdf(file))
    if as_json:
        _print_json({"file": str(file), **report.to_dict()})
    else:
        click.echo(report.to_text(str(file)))
    if not report.passed:
        sys.exit(1)


@main.command()
@click.argument("a", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("b", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=N_("Print the comparison as JSON."))
@click.option(
    "--verbose", "-v", is_flag=True,
    help=N_("Also list the differences in the PDF's internals (objects, font streams, lengths); "
    "in JSON, a details list. atti --verbose compare does the same."),
)
@click.pass_context
def compare(ctx: click.Context, a: Path, b: Path, as_json: bool, verbose: bool) -> None:
    """Tell whether two PDFs are the same document, e.g. two renderings of one act.

    Ignores what a renderer stamps on each run (file /ID, creation and modification dates, XMP
    ids). When the two differ, the report says, in this order: the pages of each; the pages whose
    text differs, with the words changed as a redline ([-deleted-]{+added+}), and the pages added or
    removed; the pages with the same words laid out otherwise (moved, resized, or drawn otherwise);
    the attached files added, removed or changed, by name and SHA-256; the signature fields added,
    removed, signed or signed anew (told apart, not verified: atti verify does that); the title,
    author, subject, keywords and PDF/A claim. Text and layout are read on the first 500 pages.
    Exits 0 when the same, 1 when different, 5 when a file cannot be read as a PDF.
    """
    from atti.templates.compare import compare_pdfs

    verbose = verbose or bool(ctx.obj and ctx.obj.get("verbose"))
    result = compare_pdfs(_read_pdf(a), _read_pdf(b), labels=(str(a), str(b)))
    if as_json:
        _print_json(result.to_dict(verbose=verbose))
    else:
        click.echo(result.to_text(verbose=verbose))
    if not result.same:
        sys.exit(1)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help=N_("The signed PDF to write (may be FILE itself)."),
)
@click.option(
    "--p12", type=click.Path(dir_okay=False, path_type=Path),
    help=N_("PKCS#12 file of the signer (passphrase from $ATTI_P12_PASSPHRASE or a prompt) [default: p12 setting]."),
)
@click.option("--level", type=click.Choice(LEVELS, case_sensitive=False), help=_LEVEL_HELP)
@click.option("--tsa", "tsa_url", metavar="URL", help=_TSA_HELP)
@click.option("--field", "field_name", default="Firma", show_default=True, help=N_("Name of the new signature field."))
@click.option(
    "--no-lock", "no_lock", is_flag=True,
    help=N_("Leave the PDF open to later changes; by default the signature locks it as publish does "
    "(afterwards only signatures in existing fields and form filling)."),
)
@click.option(
    "--archive", type=click.Path(file_okay=False, path_type=Path),
    help=N_("Archive whose trust roots help validate the TSA for B-LT/B-LTA [default: $ATTI_ARCHIVE, else ./archive]."),
)
@_token_options
@click.pass_context
def sign(
    ctx: click.Context, file: Path, out: Path, p12: Path | None, level: str | None, tsa_url: str | None,
    field_name: str, no_lock: bool, archive: Path | None, pkcs11_module: Path | None, pkcs11_token: str | None,
    pkcs11_key: str | None, remote: str | None,
) -> None:
    """Sign a PDF with a PKCS#12 key, a PKCS#11 token or a remote key (CSC) as PAdES B-B, B-T, B-LT or B-LTA.

    The signature locks the PDF as publish does, unless --no-lock: afterwards only further
    signatures in fields that already exist and form filling are allowed.

    B-LT and B-LTA fetch OCSP/CRL data for the signer's certificate and refuse a revoked one.
    Exits 0 when signed, 4 when the key, the certificate, the PDF or a service is unusable.
    """
    settings = _settings(ctx, archive=archive, p12=p12, level=level, tsa_url=tsa_url, pkcs11_module=pkcs11_module,
                         pkcs11_token=pkcs11_token, pkcs11_key=pkcs11_key, remote=remote)
    settings = _local_key_first(settings, remote, p12, pkcs11_module)
    with _find(settings) as arc:
        result = pipeline.sign_pdf(
            file, out, settings, archive=arc, field_name=field_name, prompt=_passphrase_prompt, lock=not no_lock
        )
    click.echo(_("Signed {pdf} (PAdES {level}) by {signer}").format(
        pdf=result.pdf, level=result.level, signer=result.signer))


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tsa", "tsa_url", metavar="URL", help=N_("RFC 3161 time-stamping service [default: $ATTI_TSA_URL]."))
@click.option(
    "-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Where to write the timestamped PDF [default: FILE itself]."),
)
@click.option("--renew", is_flag=True, help=N_("Renew the archive's timestamps that are due, instead of FILE."))
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option(
    "--before", "before_days", type=click.IntRange(min=0), default=90, show_default=True, metavar="DAYS",
    help=N_("With --renew: acts whose newest timestamp's TSA certificate expires within DAYS."),
)
@click.pass_context
def timestamp(
    ctx: click.Context, file: Path | None, tsa_url: str | None, out: Path | None, renew: bool,
    archive: Path | None, before_days: int,
) -> None:
    """Add a document timestamp to a signed PDF, making it PAdES B-LTA; or renew the archive's.

    The PDF's validation data (certificates, OCSP, CRLs) is refreshed first, then timestamped.
    With --renew, every archived act whose newest timestamp's TSA certificate expires within
    DAYS gets a new one, stored as a new version of its PDF (the previous one is kept).
    Exits 0 when done, 4 when a PDF or the TSA is unusable; with --renew, 1 when any act failed
    (each is listed; the others are renewed).
    """
    if renew == (file is not None):
        raise click.UsageError(_("give either FILE or --renew"))
    if renew and out is not None:
        raise click.UsageError(_("-o goes with FILE, not with --renew"))
    settings = _settings(ctx, archive=archive, tsa_url=tsa_url)
    if file is not None:
        with _find(settings) as arc:
            result = pipeline.timestamp_pdf(file, out or file, settings, archive=arc)
        for note in result.notes:
            click.echo(_("Note: {note}").format(note=note), err=True)
        click.echo(_("Timestamped {pdf} (TSA {tsa})").format(pdf=result.pdf, tsa=result.tsa_url))
        return

    def report(renewal: pipeline.Renewal) -> None:
        if renewal.error is None:
            click.echo(_("renewed {id} (TSA certificate expires {expiry})").format(
                id=renewal.act_id, expiry=renewal.tsa_not_after))
            for note in renewal.notes:
                click.echo(_("Note: {note}").format(note=f"{renewal.act_id}: {note}"), err=True)
        else:
            click.echo(_("Error: {message}").format(message=f"{renewal.act_id}: {renewal.error}"), err=True)

    with _open(settings) as arc:
        done = pipeline.renew_timestamps(arc, settings, before_days=before_days, progress=report)
    untimestamped = _(", {count} without any timestamp (B-B)").format(
        count=len(done.not_timestamped)) if done.not_timestamped else ""
    failed = _(", {count} failed").format(count=len(done.failed)) if done.failed else ""
    click.echo(_("Renewed {done} of {total} acts{failed}{untimestamped}").format(
        done=len(done.renewed), total=done.checked, failed=failed, untimestamped=untimestamped))
    if done.failed:
        sys.exit(1)  # some acts failed, each listed; the others are renewed


@main.group(cls=_Group)
def albo() -> None:
    """The Albo pretorio online: publish acts, annul a publication, make the attestati.

    Each publication takes the next number of the registro delle pubblicazioni (its own register,
    without gaps in each year) and runs for albo_giorni consecutive days (15 for comuni, art. 124
    TUEL). Nothing is ever deleted: an annulled publication keeps its number, with its reason.
    """


def _print_publication(p: Any) -> None:
    period = _("from {dal} to {al}").format(dal=f"{p.dal:%d/%m/%Y}", al=f"{p.al:%d/%m/%Y}")
    click.echo(f"{p.numero}/{p.anno}  {p.act_id}  {period}  {p.stato()}"
               + (f" ({p.motivo})" if p.motivo else "") + ("  attestato" if p.attestato else ""))  # i18n: not a message


@albo.command("pubblica")
@click.argument("act_id", metavar="ID")
@click.option("--giorni", type=click.IntRange(1, 366), help=N_("Days of publication [default: albo_giorni, 15]."))
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--as", "as_user", metavar="USER", help=_AS_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the publication as JSON."))
@click.pass_context
def albo_pubblica(ctx: click.Context, act_id: str, giorni: int | None, archive: Path | None, as_user: str | None,
                  as_json: bool) -> None:
    """Publish the archived act ID on the albo from today (Europe/Rome) for --giorni days."""
    settings = _settings(ctx, archive=archive, user=as_user)
    with _open(settings) as arc:
        pub = pipeline.albo_publish(arc, act_id, settings, giorni=giorni, actor=_actor(settings))
    if as_json:
        _print_json(pub.to_dict())
        return
    click.echo(_("Published {id} on the albo as {numero}/{anno}, from {dal} to {al} ({giorni} days): {url}").format(
        id=act_id, numero=pub.numero, anno=pub.anno, dal=f"{pub.dal:%d/%m/%Y}", al=f"{pub.al:%d/%m/%Y}",
        giorni=pub.giorni, url=pub.url))


@albo.command("copia")
@click.argument("act_id", metavar="ID")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option(
    "--p12", type=click.Path(dir_okay=False, path_type=Path),
    help=N_("PKCS#12 file of the act's firmatario; without it or a token, --development."),
)
@click.option(
    "--development", is_flag=True,
    help=N_("Development mode: the development CA signs (NOT a firma digitale)."),
)
@click.option("--as", "as_user", metavar="USER", help=_AS_HELP)
@_token_options
@click.pass_context
def albo_copia(
    ctx: click.Context, act_id: str, archive: Path | None, p12: Path | None, development: bool, as_user: str | None,
    pkcs11_module: Path | None, pkcs11_token: str | None, pkcs11_key: str | None, remote: str | None,
) -> None:
    """Make the signed publication copy of the archived act ID, every personal datum it marks
    [omissis]: atti publish makes it; this is for an act whose copy could not be made then."""
    settings = _settings(ctx, archive=archive, p12=p12, pkcs11_module=pkcs11_module, pkcs11_token=pkcs11_token,
                         pkcs11_key=pkcs11_key, user=as_user, development=development or None,
                         remote=remote)
    settings = _local_key_first(settings, remote, p12, pkcs11_module)
    with _open(settings) as arc:
        where = pipeline.make_publication_copy(arc, act_id, settings, prompt=_passphrase_prompt,
                                               actor=_actor(settings))
    click.echo(_("Publication copy of {id}: {path}").format(id=act_id, path=where))


@albo.command("annulla")
@click.argument("albo_id", metavar="NUMERO/ANNO")
@click.option("--motivo", required=True, help=N_("Why the publication is annulled (kept with it)."))
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--as", "as_user", metavar="USER", help=_AS_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the publication as JSON."))
@click.pass_context
def albo_annulla(ctx: click.Context, albo_id: str, motivo: str, archive: Path | None, as_user: str | None,
                 as_json: bool) -> None:
    """Annul the publication NUMERO/ANNO (e.g. 15/2026) with its reason; it keeps its number."""
    settings = _settings(ctx, archive=archive, user=as_user)
    with _open(settings) as arc:
        pub = pipeline.albo_annul(arc, albo_id, motivo, actor=_actor(settings))
    if as_json:
        _print_json(pub.to_dict())
        return
    click.echo(_("Annulled publication {numero}/{anno} of {id}: {motivo}").format(
        numero=pub.numero, anno=pub.anno, id=pub.act_id, motivo=pub.motivo))


@albo.command("elenco")
@click.option("--tutte", "all_", is_flag=True, help=N_("The whole register, not only what is in publication today."))
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the publications as a JSON list."))
@click.pass_context
def albo_elenco(ctx: click.Context, all_: bool, archive: Path | None, as_json: bool) -> None:
    """List the acts in publication on the albo today, newest first (--tutte: the whole register)."""
    with _open(_settings(ctx, archive=archive)) as arc:
        pubs = pipeline.albo_list(arc, all_=all_)
    if as_json:
        _print_json([p.to_dict() for p in pubs])
        return
    if not pubs:
        click.echo(_("No publications."))
    for p in pubs:
        _print_publication(p)


@albo.command("attesta")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option(
    "--p12", type=click.Path(dir_okay=False, path_type=Path),
    help=N_("PKCS#12 file of the responsible officer (albo_responsabile); without it or a token, --development."),
)
@click.option(
    "--development", is_flag=True,
    help=N_("Development mode: the development CA signs (NOT a firma digitale)."),
)
@click.option("--as", "as_user", metavar="USER", help=_AS_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the attestati made as a JSON list."))
@_token_options
@click.pass_context
def albo_attesta(
    ctx: click.Context, archive: Path | None, p12: Path | None, development: bool, as_user: str | None,
    as_json: bool, pkcs11_module: Path | None, pkcs11_token: str | None, pkcs11_key: str | None, remote: str | None,
) -> None:
    """Make the attestato di pubblicazione of every publication whose period has ended.

    Each is a PDF/A signed by the responsible officer (albo_responsabile) and linked to its
    publication. Run it daily (e.g. from cron): publications already attested are left alone.
    """
    settings = _settings(ctx, archive=archive, p12=p12, pkcs11_module=pkcs11_module, pkcs11_token=pkcs11_token,
                         pkcs11_key=pkcs11_key, user=as_user, development=development or None,
                         remote=remote)
    settings = _local_key_first(settings, remote, p12, pkcs11_module)
    with _open(settings) as arc:
        done = pipeline.albo_attest(arc, settings, prompt=_passphrase_prompt, actor=_actor(settings))
    if as_json:
        _print_json([{**a.publication.to_dict(), "pdf": a.pdf} for a in done])
        return
    if not done:
        click.echo(_("No publication is waiting for its attestato."))
    for a in done:
        click.echo(_("Attestato of {numero}/{anno} ({id}): {pdf}").format(
            numero=a.publication.numero, anno=a.publication.anno, id=a.publication.act_id, pdf=a.pdf))


@main.group(cls=_Group)
def draft() -> None:
    """Drafts kept in the archive before publication: bozza, then in verifica.

    A draft has no number (it is given when the draft is published, atti publish --draft ID) and
    never appears in public searches; every save, rendering and change of stato is a version.
    """


@draft.command("save")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option(
    "--draft", "draft_id", metavar="ID", help=N_("Save FILE as a new version of the draft ID [default: a new draft].")
)
@click.option(
    "--render", is_flag=True,
    help=N_("Also render the unnumbered preview (DOCX and PDF/A) into the version."),
)
@click.option("--as", "as_user", metavar="USER", help=_AS_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the draft as JSON."))
@click.pass_context
def draft_save(ctx: click.Context, file: Path, archive: Path | None, draft_id: str | None, render: bool,
               as_user: str | None, as_json: bool) -> None:
    """Store an act's YAML as a draft in the archive, or as a new version of a draft.

    The act must be well formed; the checks made before signing wait for publication. Saving
    a changed text sends a draft in verifica back to bozza; saving the same text again without
    --render changes nothing.
    """
    settings = _settings(ctx, archive=archive, user=as_user)
    with _open(settings) as arc:
        result = pipeline.save_draft(arc, file, settings, draft_id=draft_id, render=render, actor=_actor(settings))
    if as_json:
        _print_json(result.to_dict())
        return
    r = result.record
    what = _("Draft {id} version {version}") if result.saved else _("Draft {id} unchanged (version {version})")
    click.echo(what.format(id=r.id, version=len(result.versions)) + f": {r.stato}, {r.tipo} {r.registro}: {r.oggetto}")


@draft.command("list")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the drafts as a JSON list."))
@click.pass_context
def draft_list(ctx: click.Context, archive: Path | None, as_json: bool) -> None:
    """List the drafts in the archive, oldest first: id, tipo, stato, last change, who made it, oggetto."""
    with _open(_settings(ctx, archive=archive)) as arc:
        drafts = pipeline.list_drafts(arc)
    if as_json:
        _print_json([d.to_dict() for d in drafts])
        return
    if not drafts:
        click.echo(_("No drafts."))
    for d in drafts:
        actor = d.actor or "-"
        click.echo(f"{d.id}  {d.tipo}  {d.stato}  {d.changed_at}  {actor}  {d.oggetto}")


@draft.command("submit")
@click.argument("draft_id", metavar="ID")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--as", "as_user", metavar="USER", help=_AS_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the draft as JSON."))
@click.pass_context
def draft_submit(ctx: click.Context, draft_id: str, archive: Path | None, as_user: str | None, as_json: bool) -> None:
    """Send the draft ID (a bozza) to verification: its stato becomes in verifica, as a new version."""
    settings = _settings(ctx, archive=archive, user=as_user)
    with _open(settings) as arc:
        result = pipeline.submit_draft(arc, draft_id, actor=_actor(settings))
    if as_json:
        _print_json(result.to_dict())
        return
    draft = _("Draft {id} version {version}").format(id=result.record.id, version=len(result.versions))
    click.echo(f"{draft}: {result.record.stato}")


@main.command()
@click.argument("draft_id", metavar="ID")
@click.option("--approve", "outcome", flag_value="approve", help=N_("The verifica is positive."))
@click.option("--reject", "outcome", flag_value="reject", help=N_("The verifica is negative: back to bozza."))
@click.option(
    "--verifica", metavar="TIPO",
    help=N_("The verifica reviewed, by its tipo [default: the act's only one]."),
)
@click.option("--note", metavar="TEXT", help=N_("What the reviewer says (required with --reject)."))
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--as", "as_user", metavar="USER", help=_AS_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the draft as JSON."))
@click.pass_context
def review(ctx: click.Context, draft_id: str, outcome: str | None, verifica: str | None, note: str | None,
           archive: Path | None, as_user: str | None, as_json: bool) -> None:
    """Approve or reject one verifica of the draft ID (in verifica), as its reviewer.

    Recorded as a version with who, when, the verifica, its esito and the note; the esito is
    written into the draft's text. A rejection sends the draft back to bozza, to be changed and
    submitted again.
    """
    if outcome is None:
        raise click.UsageError(_("give --approve or --reject"))
    settings = _settings(ctx, archive=archive, user=as_user)
    with _open(settings) as arc:
        result = pipeline.review(arc, draft_id, approve=outcome == "approve", verifica=verifica, note=note,
                                 actor=_actor(settings))
    if as_json:
        _print_json(result.to_dict())
        return
    v = result.versions[-1]
    draft = _("Draft {id} version {version}").format(id=result.record.id, version=v.version)
    click.echo(f"{draft}: verifica '{v.verifica}' {v.esito}, {result.record.stato}")  # i18n: not a message


@main.group(cls=_Group)
def archive() -> None:
    """Look after the archive itself."""


@archive.command("verify")
@click.option("--archive", "archive_dir", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the report as JSON."))
@click.pass_context
def archive_verify(ctx: click.Context, archive_dir: Path | None, as_json: bool) -> None:
    """Re-hash every stored file; check the catalog's database, its rows and its event log.

    Prints one line per finding: missing, changed, unexpected or unrecorded (a file the catalog
    no longer names, which must be kept), or exposed (a file or folder of the archive others than
    its owner may read or write, with the chmod that fixes it) (exit 1); an interrupted write's leftovers, incomplete or
    unreferenced, which are safe to delete; a check that could not be made, unchecked; or a gap,
    numbers missing in a register, which imported acts may leave (all three exit 0). A catalog
    that lost the archive's history, which every other command refuses, is verified as it is, to
    see what is missing.
    """
    from atti.archive import Archive

    settings = _settings(ctx, archive=archive_dir)
    with Archive.inspect(settings.archive, settings=settings) as arc:
        report = pipeline.verify_archive(arc)
    if as_json:
        _print_json(report.to_dict())
    else:
        for finding in report.findings:
            click.echo(str(finding))
        summary = _("Archive OK: {acts} acts, {events} events, {files} files ({mb} MB) checked in {seconds} s") \
            if report.ok else \
            _("Archive FAILED: {acts} acts, {events} events, {files} files ({mb} MB) checked in {seconds} s")
        click.echo(summary.format(acts=report.acts, events=report.events, files=report.files,
                                  mb=f"{report.bytes / 1e6:.1f}", seconds=f"{report.seconds:.2f}"))
    ctx.exit(0 if report.ok else 1)


@archive.command("migrate")
@click.option("--to", "target", required=True, metavar="URL|DIR",
              help=N_("The new archive: a postgresql:// URL or a directory; it must be empty."))
@click.option("--from", "source", metavar="URL|DIR",
              help=N_("The archive to copy [default: --archive, $ATTI_ARCHIVE, else ./archive]."))
@click.option("--archive", "archive_dir", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the report as JSON."))
@click.pass_context
def archive_migrate(
    ctx: click.Context, target: str, source: str | None, archive_dir: Path | None, as_json: bool
) -> None:
    """Copy a whole archive to another backend (SQLite + files <-> PostgreSQL + S3) and verify it.

    Acts, versions, references, the event log with its hash chain, the registro counters, every
    stored document and the development CA are copied as they are; the target's catalog is
    written in one transaction, checked before it commits, and must be empty to begin with.
    """
    from atti.archive.migrate import migrate

    settings = _settings(ctx, archive=archive_dir)
    report = migrate(source or settings.archive, target, settings=settings)
    if as_json:
        _print_json(report.to_dict())
    else:
        click.echo(_("Migrated {acts} acts, {events} events, {files} files ({mb} MB) from {source} to {target}").format(
            acts=report.acts, events=report.events, files=report.files, mb=f"{report.bytes / 1e6:.1f}",
            source=report.source, target=report.target))
        click.echo(_("Both archives verify OK; event chain head {head}").format(head=report.head or _("(empty)")))


@main.command()
@click.argument("act_ids", nargs=-1, metavar="[ACT_ID]...")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option(
    "-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
    help=N_("Directory to write the package into (as DIR/ACT_ID, or DIR/PdV-... for a pacchetto di versamento)."),
)
@click.option(
    "--registro",
    help=N_("A pacchetto di versamento of the acts of this register (with --anno, of one year)."),
)
@click.option("--anno", type=click.IntRange(1800, 2999), help=N_("A pacchetto di versamento of the acts of this year."))
@click.option("--dal", type=click.DateTime(["%Y-%m-%d"]), help=N_("A pacchetto di versamento of the acts dated from "
              "this day (YYYY-MM-DD)."))
@click.option("--al", type=click.DateTime(["%Y-%m-%d"]), help=N_("... up to this day (YYYY-MM-DD)."))
@click.option("--versamento", is_flag=True, help=N_("Send the ACT_IDs as one pacchetto di versamento."))
@click.option("--tsa", "tsa_url", metavar="URL", help=N_("RFC 3161 time-stamping service for the index of a pacchetto "
              "di versamento [default: $ATTI_TSA_URL]."))
@click.option("--p12", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("PKCS#12 file of the body's key, to sign the index of a pacchetto di versamento [default: p12]."))
@click.option("--development", is_flag=True, default=None,
              help=N_("Without a key, sign the index with the development CA (NOT a firma digitale)."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print what went into a pacchetto di versamento as JSON."))
@click.pass_context
def export(
    ctx: click.Context, act_ids: tuple[str, ...], archive: Path | None, out_dir: Path | None, registro: str | None,
    anno: int | None, dal: dt.datetime | None, al: dt.datetime | None, versamento: bool, tsa_url: str | None,
    p12: Path | None, development: bool | None, as_json: bool,
) -> None:
    """Export archived acts for a conservation system: one act as a BagIt package, or many acts
    as one pacchetto di versamento.

    With one ACT_ID: the bag holds the signed PDF, the YAML source, the DOCX, the AgID metadata
    (Allegato 5, when the body's settings ipa_code, aoo_code and pec are given), an Akoma Ntoso
    rendering and the archive's record, with SHA-256 manifests.

    With --registro/--anno, --dal/--al, several ACT_IDs or --versamento: one pacchetto di
    versamento of those sealed acts, with a UNI SInCRO index listing every file, signed with
    the body's key (as publish signs) and timestamped (tsa_url); holder names the conservatore.
    Exits 0 when written, 2 when a setting is missing, 4 when the index cannot be signed, 6 when
    an act is unknown or the package cannot be written.
    """
    if out_dir is None:
        raise click.UsageError(_("Missing option '-o' / '--output'."))
    selecting = registro is not None or anno is not None or dal is not None or al is not None
    if not selecting and not act_ids:
        raise click.UsageError(_("give an ACT_ID, or --registro/--anno/--dal/--al for a pacchetto di versamento"))
    if selecting and act_ids:
        raise click.UsageError(_("give either ACT_IDs or --registro/--anno/--dal/--al, not both"))
    if not selecting and len(act_ids) == 1 and not versamento:
        settings = _settings(ctx, archive=archive)
        with _open(settings) as arc:
            bag = pipeline.export_act(arc, act_ids[0], out_dir, settings)
        click.echo(_("Exported {id} to {path}").format(id=act_ids[0], path=bag))
        return
    from atti.export.transfer import Selection

    selection = Selection(registro=registro, anno=anno, dal=dal.date() if dal else None,
                          al=al.date() if al else None, ids=tuple(act_ids))
    settings = _settings(ctx, archive=archive, tsa_url=tsa_url, p12=p12, development=development)
    with _open(settings) as arc:
        result = pipeline.export_transfer(arc, selection, out_dir, settings)
    if as_json:
        _print_json(result.to_dict())
        return
    click.echo(_("Exported {count} acts ({ids}) to {path}").format(
        count=len(result.acts), ids=", ".join(result.acts), path=result.path))
    note = _(" with the development CA, NOT a firma digitale") if result.development else ""
    click.echo(_("Index signed by {signer}{note}, timestamped; {files} files").format(
        signer=result.signer, note=note, files=result.files))


@main.command("receipt")
@click.argument("package", type=click.Path(file_okay=False, path_type=Path))
@click.argument("receipt", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.pass_context
def export_receipt(ctx: click.Context, package: Path, receipt: Path, archive: Path | None) -> None:
    """Record the conservatore's receipt (rapporto di versamento) of a pacchetto di versamento
    against the package and each of its acts: atti show and the act's web page then say when
    it was transferred. Exits 0 when recorded, 6 when the package or receipt cannot be read.
    """
    with _open(_settings(ctx, archive=archive)) as arc:
        recorded = pipeline.record_receipt(arc, package, receipt)
    click.echo(_("Recorded the receipt of {package} for {count} acts ({ids})").format(
        package=recorded.package, count=len(recorded.acts), ids=", ".join(recorded.acts)))


@main.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help=N_("Write the act's YAML here [default: print it on standard output]."))
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path),
              help=N_("With a folder as SOURCE: the archive to register its PDFs in, as imported acts."))
@click.option("--ente", help=N_("The body's name, when the documents do not print it."))
@click.option("--json", "as_json", is_flag=True, help=N_("Print the confidence report as JSON."))
@click.pass_context
def import_(
    ctx: click.Context, source: Path, output: Path | None, archive: Path | None, ente: str | None, as_json: bool
) -> None:
    """Read an existing act (text, PDF with a text layer, DOCX) into the act format.

    Prints which parts were found, which guessed and which are missing; what could not be
    placed is kept in 'non_classificato' with its line. With a folder and --archive, every PDF
    in it is registered as an imported act under its own number, the PDF kept as the signed
    original (not re-signed), with a progress bar. Exits 0 when read, 2 when a file cannot be;
    with a folder, 1 when any of its files was skipped (each is listed, with why).
    """
    from atti.acts.importer import import_file
    from atti.archive.imported import import_folder, readable_files
    from atti.errors import ImportSourceError

    if source.is_dir():
        if archive is None:
            raise ImportSourceError(_("{path} is a folder: give --archive to import its acts into an archive").format(
                path=source))
        bar: Any = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = click.progressbar(length=total, label=_("Importing"), file=sys.stderr)
                bar.__enter__()
            bar.update(1)
            if done == total:
                bar.__exit__(None, None, None)

        files = readable_files(source)
        with _open(_settings(ctx, archive=archive)) as arc:
            folder = import_folder(arc, files, ente=ente, on_progress=progress)
        if as_json:
            _print_json(folder.to_dict())
        else:
            for file, act_id, confidence in folder.imported:
                click.echo(_("Imported {id} from {file} (confidence {confidence})").format(
                    id=act_id, file=file, confidence=f"{confidence:.0%}"))
            for file, reason in folder.skipped:
                click.echo(_("Skipped {file}: {reason}").format(file=file, reason=reason))
            relinked = _("{imported} imported, {skipped} skipped; citations relinked in {count} act") \
                if folder.relinked == 1 else \
                _("{imported} imported, {skipped} skipped; citations relinked in {count} acts")
            click.echo(relinked.format(imported=len(folder.imported), skipped=len(folder.skipped),
                                       count=folder.relinked))
        if folder.skipped:
            sys.exit(1)  # some files were not imported, each listed; the others are
        return
    result = import_file(source, ente=ente)
    if output is not None:
        from atti.files import write_atomic, write_error

        try:
            write_atomic(output, result.yaml.encode("utf-8"))
        except OSError as exc:
            raise write_error(exc, str(output)) from None
    report = click.echo if output is not None or as_json else (lambda text: click.echo(text, err=True))
    if as_json:
        _print_json({**result.to_dict(), **({} if output else {"yaml": result.yaml})})
    else:
        if output is None:
            click.echo(result.yaml, nl=False)
        report(_("Read {file} ({kind}): confidence {confidence}").format(
            file=result.file, kind=result.kind, confidence=f"{result.confidence:.0%}"))
        report(_("  found:   {parts}").format(parts=", ".join(result.found) or "-"))
        report(_("  guessed: {parts}").format(
            parts=", ".join(f"{k} ({why})" for k, why in result.guessed.items()) or "-"))
        report(_("  missing: {parts}").format(parts=", ".join(result.missing) or "-"))
        for warning in result.warnings:
            report(_("  warning: {warning}").format(warning=warning))
        report(_("  items:   {counts}").format(counts=", ".join(f"{k} {n}" for k, n in result.counts.items() if n)))
        for row in result.act.non_classificato:
            report(f"  non classificato, riga {row.riga}: {row.testo}")
        if output is not None:
            report(_("Wrote {path}").format(path=output))


@main.command("import-package")
@click.argument("bag", type=click.Path(file_okay=False, path_type=Path))
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.pass_context
def import_package(ctx: click.Context, bag: Path, archive: Path | None) -> None:
    """Import an act exported with 'atti export' into the archive, under its own number; or
    every act of a pacchetto di versamento, each under its own number.

    The bag is validated first (every file against its SHA-256). Exits 0 when imported, 6 when
    the bag is damaged or changed, or the registro already holds that number.
    """
    with _open(_settings(ctx, archive=archive)) as arc:
        records = pipeline.import_packages(arc, bag)
    for record in records:
        click.echo(_("Imported {id}: {tipo} {registro} n. {numero}/{anno}").format(
            id=record.id, tipo=record.tipo, registro=record.registro, numero=record.numero, anno=record.anno))


@main.command()
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help=N_("Address to listen on."))
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help=N_("Port to listen on."))
@click.option(
    "--secure-cookies", is_flag=True, envvar="ATTI_SECURE_COOKIES",
    help=N_("Mark the session cookie Secure even on a loopback address: for a site served over https by a "
    "proxy on this machine [env: ATTI_SECURE_COOKIES]."),
)
@click.option(
    "--insecure-cookies", is_flag=True,
    help=N_("Send the session cookie over plain http on any address (a test network only)."),
)
@click.pass_context
def serve(
    ctx: click.Context, archive: Path | None, host: str, port: int, secure_cookies: bool, insecure_cookies: bool
) -> None:
    """Serve the web archive: search and read acts in a browser, with a JSON API under /api/.

    The public sees published acts that are not riservato; users added with 'atti user add'
    sign in to see reserved acts and drafts as their role allows (see docs/web.md). The session
    cookie is Secure (sent over https only) unless the server listens on a loopback address.
    """
    from atti.errors import ConfigError
    from atti.web import WebConfig
    from atti.web import serve as run

    if secure_cookies and insecure_cookies:
        raise ConfigError(_("--secure-cookies and --insecure-cookies contradict each other: give one"))
    secure = True if secure_cookies else False if insecure_cookies else None
    settings = _settings(ctx, archive=archive)
    run(WebConfig(archive=settings.archive, host=host, port=port, secure_cookies=secure, settings=settings))


@main.group(cls=_Group)
def user() -> None:
    """Manage the users of the web archive."""


def _new_password() -> str:
    """A new password from $ATTI_USER_PASSWORD, else asked twice in a terminal, else the first line
    of standard input; never from the command line, where other users of the machine see it."""
    import os

    from atti.errors import UserError

    password = os.environ.get("ATTI_USER_PASSWORD")
    if password is not None:
        return password
    if sys.stdin.isatty():
        return str(click.prompt(_("Password"), hide_input=True, confirmation_prompt=True, err=True))
    line = sys.stdin.readline()
    if not line:
        raise UserError(_("no password: give it on standard input, in ATTI_USER_PASSWORD or at a prompt in a "
                          "terminal"))
    return line.removesuffix("\n").removesuffix("\r")


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["officer", "reviewer", "archivist", "admin"]),
              help=N_("What the user may see: see the access matrix in docs/web.md."))
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.pass_context
def user_add(ctx: click.Context, name: str, role: str, archive: Path | None) -> None:
    """Add a user of the web archive, or give an existing one a new role and password.

    The password (at least 12 characters, not the name, not a common one) comes from
    $ATTI_USER_PASSWORD, a prompt in a terminal or the first line of standard input; it is stored
    only as an argon2 hash, in the archive's web/users.json. Updating a user ends their sessions.
    Exits 0 when saved, 2 on a bad name or password.
    """
    from atti.web.users import add_user

    settings = _settings(ctx, archive=archive)
    with _open(settings) as arc:
        password = _new_password()
        account, created = add_user(arc, name, role, password, settings)
    done = _("Added user {name} ({role})") if created else _("Updated user {name} ({role})")
    click.echo(done.format(name=account.name, role=account.role))


@user.command("list")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.pass_context
def user_list(ctx: click.Context, archive: Path | None) -> None:
    """List the users of the web archive: name, role and live sessions, one a line."""
    from atti.web.users import list_users

    settings = _settings(ctx, archive=archive)
    with _open(settings) as arc:
        users = list_users(arc, settings)
    for account, sessions in users:
        live = _("{count} session") if sessions == 1 else _("{count} sessions")
        click.echo(f"{account.name}\t{account.role}\t" + live.format(count=sessions))


@user.command("passwd")
@click.argument("name")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.pass_context
def user_passwd(ctx: click.Context, name: str, archive: Path | None) -> None:
    """Give a user of the web archive a new password, ending all their sessions.

    The password is read as by 'atti user add'. Exits 0 when changed, 2 on an unknown user or a
    bad password.
    """
    from atti.web.users import change_password

    settings = _settings(ctx, archive=archive)
    with _open(settings) as arc:
        password = _new_password()
        ended = change_password(arc, name, password, settings)
    changed = _("Changed the password of {name}; ended {count} session") if ended == 1 else \
        _("Changed the password of {name}; ended {count} sessions")
    click.echo(changed.format(name=name, count=ended))


@user.command("remove")
@click.argument("name")
@click.option("--archive", type=click.Path(file_okay=False, path_type=Path), help=_ARCHIVE_HELP)
@click.pass_context
def user_remove(ctx: click.Context, name: str, archive: Path | None) -> None:
    """Remove a user of the web archive, ending all their sessions. Exits 0 when removed, 2 on an
    unknown user."""
    from atti.web.users import remove_user

    settings = _settings(ctx, archive=archive)
    with _open(settings) as arc:
        ended = remove_user(arc, name, settings)
    removed = _("Removed user {name}; ended {count} session") if ended == 1 else \
        _("Removed user {name}; ended {count} sessions")
    click.echo(removed.format(name=name, count=ended))


_speak_click()  # after the commands are made: their types' names (click.Path's "file") stay as click writes them
