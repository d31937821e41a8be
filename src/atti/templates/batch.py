"""Render many acts at once, keeping every core busy with its own warm LibreOffice.

The calling thread loads the acts, in input order, and hands the valid ones to worker threads
that render with :func:`render_act`. There is one converter from :func:`open_converter` per core
(so one soffice and profile each), each lent to as many threads at once as it queues requests
(two for a warm one), and one thread more than that: LibreOffice, which takes most of the time,
always has the next act waiting, while the other threads render DOCX files and write PDFs. One
act's failure is recorded and the others go on. Progress callbacks run in the calling thread, so
a progress bar needs no locking.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from atti.acts import LoadedAct, load_act
from atti.errors import ActError, AttiError
from atti.i18n import _
from atti.templates.convert import Converter, find_soffice
from atti.templates.render import RenderedAct, base_name, render_act
from atti.templates.warm import open_converter, uno_available


@dataclass(frozen=True)
class Rendered:
    source: Path
    output: RenderedAct
    seconds: float
    """Seconds from a worker taking the act to its files written: DOCX, waiting for a free
    LibreOffice, conversion, writing (loading excluded)."""


@dataclass(frozen=True)
class Failed:
    source: Path
    message: str
    """One line naming the file, e.g. ``acts/x.yaml:4:1: missing required key 'organo'``."""
    invalid: bool
    """The input is at fault (an invalid act, two acts for the same files), not the rendering."""


Outcome = Rendered | Failed
Progress = Callable[[Outcome, int, int], None]
"""Called with each act's outcome, the number of acts done so far and their total."""


@dataclass
class BatchResult:
    rendered: list[Rendered] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every act was rendered, 1 when only invalid input failed, else 3 (RenderError's)."""
        if not self.failed:
            return 0
        return 1 if all(f.invalid for f in self.failed) else 3


def find_acts(inputs: Sequence[Path]) -> list[Path]:
    """The act files among ``inputs``: files as given, folders as their ``*.yaml`` files (sorted)."""
    found: list[Path] = []
    for path in inputs:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix == ".yaml" and p.is_file())
            if not inside:
                raise AttiError(_("no acts to render: {path} holds no *.yaml files").format(path=path))
            found += inside
        else:
            found.append(path)  # a missing file is reported as that act's failure
    return list(dict.fromkeys(found))  # the same file named twice is rendered once


def default_workers() -> int:
    # One LibreOffice per core; beyond four the memory (~200 MB each) buys little.
    return max(1, min(os.cpu_count() or 1, 4))


_Job = tuple[int, Path, LoadedAct]


class SharedConverters(Converter):
    """Lends one of several converters to each conversion; a Converter, so render_act takes it.

    Each conversion goes to the converter with the fewest in hand, up to its ``pipeline_depth``:
    a warm LibreOffice then finds the next act queued when it finishes one.
    """

    def __init__(self, converters: Sequence[Converter]) -> None:
        super().__init__(max(c.timeout for c in converters))
        self._converters = list(converters)
        self._busy = [0] * len(self._converters)
        self._changed = threading.Condition()

    @property
    def capacity(self) -> int:
        """How many conversions can be in hand at once."""
        return sum(c.pipeline_depth for c in self._converters)

    def to_pdf(self, docx: bytes) -> bytes:
        with self._changed:
            while True:
                index = min(range(len(self._converters)), key=self._busy.__getitem__)
                if self._busy[index] < self._converters[index].pipeline_depth:
                    break
                self._changed.wait()
            self._busy[index] += 1
        try:
            return self._converters[index].to_pdf(docx)
        finally:
            with self._changed:
                self._busy[index] -= 1
                self._changed.notify()

    def kill(self) -> None:
        for converter in self._converters:
            converter.kill()

    def close(self) -> None:
        # In parallel: each warm converter waits for its LibreOffice to shut down.
        closers = [threading.Thread(target=c.close) for c in self._converters]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join()


def render_batch(
    inputs: Sequence[Path],
    out_dir: Path,
    *,
    template: Path | None = None,
    templates_dir: Path | None = None,
    allegati_dirs: Sequence[Path] = (),
    embed_source: bool = False,
    timeout: float = 120,
    workers: int | None = None,
    warm: bool | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Render act files and folders of acts into ``out_dir``; see :class:`BatchResult`.

    Each act is rendered as :func:`atti.pipeline.render` renders one: its allegati are found
    next to its file (or in ``allegati_dirs``), and with ``embed_source`` its YAML is attached to
    the PDF.
    """
    paths = find_acts(inputs)
    find_soffice()  # without LibreOffice, one error rather than one per act
    if warm is None:
        warm = uno_available()
    total = len(paths)
    outcomes: dict[int, Outcome] = {}
    jobs: queue.Queue[_Job | None] = queue.Queue()
    results: queue.Queue[tuple[int, Outcome] | BaseException] = queue.Queue()
    stop = threading.Event()

    n_converters = max(1, min(workers or default_workers(), total))
    converter = SharedConverters([open_converter(timeout, warm=warm) for _ in range(n_converters)])

    def work() -> None:
        try:
            while not stop.is_set() and (job := jobs.get()) is not None:
                index, path, loaded = job
                start = time.perf_counter()
                try:
                    output = render_act(
                        loaded.act,
                        out_dir,
                        template=template,
                        templates_dir=templates_dir,
                        converter=converter,
                        source=loaded.text if embed_source else None,
                        base_dir=path.parent,
                        allegati_dirs=allegati_dirs,
                    )
                    outcome: Outcome = Rendered(path, output, time.perf_counter() - start)
                except AttiError as exc:
                    outcome = Failed(path, f"{path}: {exc.msg}", invalid=False)
                results.put((index, outcome))
        except BaseException as exc:  # a bug: the caller re-raises it
            results.put(exc)

    def record(index: int, outcome: Outcome) -> None:
        outcomes[index] = outcome
        if progress is not None:
            progress(outcome, len(outcomes), total)

    # Enough to keep every conversion slot filled while one more thread renders or writes.
    n_threads = min(converter.capacity + 1, max(total, 1))
    threads = [threading.Thread(target=work, name=f"atti-render-{i}", daemon=True) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    try:
        # Loading is quick and done here, in input order, so that of two acts that would write
        # the same files the first one wins, every time; the workers start LibreOffice meanwhile.
        claimed: dict[str, Path] = {}
        for index, path in enumerate(paths):
            try:
                loaded = load_act(path, allegati_dirs=allegati_dirs)
            except ActError as exc:
                record(index, Failed(path, exc.msg, invalid=True))
                continue
            stem = base_name(loaded.act)
            if stem in claimed:
                message = _("{path}: same output files as {other} ({stem}.docx, .pdf); not rendered").format(
                    path=path, other=claimed[stem], stem=stem)
                record(index, Failed(path, message, invalid=True))
                continue
            claimed[stem] = path
            jobs.put((index, path, loaded))
        for _thread in threads:
            jobs.put(None)
        while len(outcomes) < total:
            item = results.get()
            if isinstance(item, BaseException):
                raise item
            record(*item)
    except BaseException:
        # On an error, Ctrl-C or SIGTERM every LibreOffice is killed at once, even one still
        # starting: the workers' conversions fail and they stop, instead of finishing their act.
        converter.kill()
        raise
    finally:
        stop.set()
        for _thread in threads:
            jobs.put(None)
        for thread in threads:
            thread.join()
        converter.close()
    ordered = [outcomes[i] for i in sorted(outcomes)]
    return BatchResult(
        rendered=[o for o in ordered if isinstance(o, Rendered)],
        failed=[o for o in ordered if isinstance(o, Failed)],
    )
