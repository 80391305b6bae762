"""Strict, bounded, located YAML reading for rule files and claim batches.

Rule files and batches may come from untrusted hands, so documents are built from the
parser's event stream rather than PyYAML's recursive constructor:

* only the safe core tags (str, int, float, bool, null, date/timestamp) are accepted:
  a ``!!python/object`` or any other explicit tag is a located error, never code;
* duplicate mapping keys are errors (PyYAML silently keeps the last one);
* floats become :class:`decimal.Decimal`, so an amount in 万元 never passes through a
  binary float on its way to integer yuan (rulings R1); in a JSON document, so does a
  number with an exponent (``1e5``), which YAML 1.1 would read as text;
* a whole number is read only from plain decimal digits: YAML 1.1's octal (``010`` is
  8), base-60 (``1:20`` is 80), hexadecimal, binary and ``1_000`` forms are located
  problems, never a silently different amount, budget or count of days;
* size, nesting depth, alias count and the size of the expanded document are capped
  (:class:`Limits`), which defeats alias bombs and stack exhaustion;
* every value's position is recorded by its field path, so a later validation error
  on ``claims[2].standard_no`` can be reported at its line and column;
* a document named ``*.json`` is checked as strict JSON first (``_json.py``): YAML would
  take a trailing comma, ``True``, single quotes or a comment in it without a word; and
  U+0085, U+2028 and U+2029 in its strings are read as the characters JSON has there, not
  as YAML's line breaks, so its values are json's and its lines an editor's, as are the
  C1 controls, DEL, U+FFFE and U+FFFF, which a YAML file may not hold.

The libyaml parser (``CSafeLoader``) is used when PyYAML was built with it. Nothing here
touches PyYAML's global state.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import shlex
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from ._excerpt import echo, excerpt
from ._fast_json import plain_json
from ._json import is_json_name, is_json_with_surrogates, json_as_yaml, syntax_problem
from .errors import Problem

try:  # libyaml's parser is an order of magnitude faster when PyYAML has it.
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

__all__ = [
    "DEFAULT_LIMITS",
    "Document",
    "Limits",
    "StrictLoader",
    "exceeded_limit",
    "read_bounded",
    "read_yaml",
    "shown_path",
    "suggested_command",
    "unusable_path",
]

Path_t = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps applied to every document read (documented in docs/limits.md)."""

    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 64
    max_aliases: int = 1_000
    max_nodes: int = 2_000_000  # values in the document with every alias expanded

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if type(value) is not int or value < 0:
                raise ValueError(f"Limits.{f.name} must be a whole number >= 0, got {echo(value)}")


DEFAULT_LIMITS = Limits()


class JsonNumber(Decimal):
    """A number of a JSON document written with an exponent (``1e5``, ``2.027e3``), read
    exactly; ``str()`` gives it as written, so a message quotes what the file says."""

    __slots__ = ("_text",)
    _text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, text)
        number._text = text
        return number

    def __str__(self) -> str:
        return self._text


class StrictLoader(_BaseLoader):
    """Safe loader subclass used only for its parser and resolver; never registered globally."""


_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


@dataclass(slots=True)
class Document:
    """A parsed YAML or JSON document with the position of every value.

    A plain JSON document read quickly (``_fast_json.py``) finds its positions only when
    one is first asked for: ``relocate`` reads the text again with the YAML reader.
    """

    file: str
    data: Any
    positions: dict[Path_t, tuple[int, int]] = field(default_factory=dict)
    #: The mappings written in flow style (``{zh: 哈密市, en: Hami City}``), by field path.
    flow: set[Path_t] = field(default_factory=set)
    relocate: Callable[[], Document | None] | None = field(default=None, repr=False)

    def _located(self) -> None:
        if self.relocate is not None:
            again, self.relocate = self.relocate(), None
            if again is not None:
                self.positions, self.flow = again.positions, again.flow

    def in_flow(self, path: Path_t) -> bool:
        """Whether the mapping at ``path`` is written in flow style (``{...}``)."""
        self._located()
        return path in self.flow

    def locate(self, path: Path_t) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the value at ``path``, or of its nearest ancestor."""
        self._located()
        probe = tuple(path)
        while True:
            pos = self.positions.get(probe)
            if pos is not None:
                return pos
            if not probe:
                return None, None
            probe = probe[:-1]

    def problem(self, path: Path_t, message: str, severity: str = "error") -> Problem:
        """A :class:`Problem` located at ``path`` in this document."""
        line, col = self.locate(path)
        return Problem(self.file, line, col, tuple(path), message, severity)


class _RefusedError(Exception):
    """Internal: the document breaks a rule; carries the located problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def read_yaml(
    source: str | Path | bytes, *, name: str | None = None, limits: Limits = DEFAULT_LIMITS
) -> tuple[Document | None, list[Problem]]:
    """Read one YAML (or JSON) document, returning it (or ``None``) and the problems found.

    ``source`` is a path, or the raw bytes of a document whose display name is ``name``.
    When the path or ``name`` ends in ``.json`` the document must be strict JSON: a syntax
    error is its one problem, located (:mod:`._json`); its values are then read, and
    located, as any other document's. When the document is ``None`` it could not be read
    at all. Otherwise the problems are
    values that could not be constructed (an impossible date): the document holds their
    text, and the caller reports them beside its own validation errors.
    """
    if isinstance(source, bytes):
        file = name or "<input>"
        raw = source
    else:
        file = name or shown_path(source)
        try:
            unusable = unusable_path(source)
            if unusable is not None:
                return None, [Problem(file, None, None, (), f"cannot read file: {unusable}")]
            size = Path(source).stat().st_size
            if size > limits.max_bytes:
                return None, [_too_big(file, size, limits)]
            raw = read_bounded(Path(source), limits)
        except OSError as exc:
            return None, [Problem(file, None, None, (), f"cannot read file: {exc.strerror}")]
    if len(raw) > limits.max_bytes:
        return None, [_too_big(file, len(raw), limits)]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, [
            Problem(file, line, None, (), f"not UTF-8 text (bad byte at offset {exc.start})")
        ]
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return None, [Problem(file, line, None, (), "binary data: the file holds a NUL byte")]
    if not text.strip():
        return None, [Problem(file, 1, 1, (), "the file is empty")]
    named_json = is_json_name(source, name)
    if named_json:
        data = plain_json(text, max_depth=limits.max_depth, max_nodes=limits.max_nodes)
        if data is not None:
            return Document(file, data, relocate=lambda: _read_json(file, text, limits)[0]), []
        refused = syntax_problem(file, text)
        if refused is not None:
            return None, [refused]
    elif not is_json_with_surrogates(text):  # YAML, bar a JSON object's surrogate escapes
        return _read_text(file, text, limits)
    return _read_json(file, text, limits, named_json=named_json)


def _read_json(
    file: str, text: str, limits: Limits, *, named_json: bool = True
) -> tuple[Document | None, list[Problem]]:
    """A JSON document read by the YAML reader, its lines and columns the file's.

    Only under a JSON name is a raw U+2028 or U+0080 in a string a character: read as
    YAML, a JSON object's ends a line or is refused, as in any YAML file.
    """
    text, columns = json_as_yaml(text, raw_characters=named_json)
    doc, problems = _read_text(file, text, limits, json_numbers=named_json)
    if columns:
        problems = [columns.problem(p) for p in problems]
        if doc is not None:
            doc.positions = {
                path: (line, columns.column(line, col))
                for path, (line, col) in doc.positions.items()
            }
    return doc, problems


def _read_text(
    file: str, text: str, limits: Limits, *, json_numbers: bool = False
) -> tuple[Document | None, list[Problem]]:
    builder = _Builder(file, limits, json_numbers=json_numbers)
    try:
        data = builder.build(text)
    except _RefusedError as exc:
        return None, [exc.problem]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at_line = mark.line + 1 if mark else None
        at_col = mark.column + 1 if mark else None
        msg = f"not valid YAML: {_tab_problem(text, mark) or exc.problem or exc.context}"
        return None, [Problem(file, at_line, at_col, (), msg)]
    except yaml.reader.ReaderError as exc:
        # PyYAML's text spans two lines and names "<unicode string>": say it here, once.
        return None, [_reader_problem(file, text, exc)]
    except yaml.YAMLError as exc:
        msg = " ".join(str(exc).split())
        return None, [Problem(file, None, None, (), f"not valid YAML: {msg}")]
    return Document(file, data, builder.positions, builder.flow), builder.problems


#: The line breaks of YAML 1.1, as PyYAML and libyaml count lines.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _tab_problem(text: str, mark: yaml.Mark | None) -> str | None:
    """What to do about a tab the parser stopped at, or None when it stopped elsewhere.

    The parsers' words ("found character that cannot start any token", or libyaml's "a tab
    character that violates indentation") do not say that a tab, shown as spaces by an
    editor, is the fault.
    """
    if mark is None:
        return None
    lines = _LINE_BREAK.split(text, maxsplit=mark.line + 1)
    line = lines[mark.line] if mark.line < len(lines) else ""
    if line[mark.column : mark.column + 1] != "\t":
        return None
    if not line[: mark.column].strip(" \t"):
        return (
            "a tab in the indentation: YAML indents with spaces, not tabs; replace it with spaces"
        )
    return "a tab where YAML takes a space: replace it with a space"


def _reader_problem(file: str, text: str, exc: yaml.reader.ReaderError) -> Problem:
    """A character the YAML reader refuses, on one line and at its line and column, counted
    as the parser's marks count every other problem's (YAML's line breaks, characters)."""
    # libyaml counts the position in UTF-8 bytes, the pure-Python reader in characters.
    if exc.encoding == "unicode":
        at = exc.position
    else:
        at = len(text.encode()[: exc.position].decode("utf-8", "ignore"))
    lines = _LINE_BREAK.split(text[:at])
    char = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "?")
    msg = f"not valid YAML: character U+{char:04X} is not allowed ({exc.reason})"
    return Problem(file, len(lines), len(lines[-1]) + 1, (), msg)


def unusable_path(path: str | os.PathLike[str]) -> str | None:
    """Why no file can stand at ``path``, or ``None`` when one may.

    The OS layer refuses a path holding a NUL character, or a character the file system's
    encoding has not (an unpaired surrogate), with a bare ``ValueError``: said here, the
    reader reports it as it reports a missing file.
    """
    text = os.fspath(path)
    if "\x00" in text:
        return "the path holds a NUL character (U+0000), which no file name can"
    try:
        os.fsencode(text)
    except UnicodeEncodeError as exc:
        char = ord(text[exc.start])
        return f"the path holds U+{char:04X}, which no file name can (an unpaired surrogate)"
    return None


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as a message names it: as written, or escaped (``'a\\x00b'``) when it holds
    a character that is not printable, which would otherwise be written raw to a terminal."""
    text = os.fspath(path)
    return text if text.isprintable() else repr(text)


def suggested_command(command: str, option: str, path: str | os.PathLike[str]) -> str:
    """``command`` on the file at ``path``, as a message suggests it: in backticks, to paste
    into a shell, the path shell-quoted (``'my ledger.db'``) and, when it starts with ``-``,
    as ``./-x.db``, which no option parser takes for an option.

    A path that :func:`shown_path` escapes (a line break, a control character) cannot be
    pasted as shown, nor typed: the message names the file escaped, and the command is
    named ``on that file``, not offered as one to paste.
    """
    text = os.fspath(path)
    if shown_path(text) != text:
        return f"{command} on that file"
    if text.startswith("-"):
        text = f"./{text}"
    return f"`{command} {option} {shlex.quote(text)}`"


def read_bounded(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of ``path``, but never more than one past ``limits.max_bytes``.

    A device or a /proc file reports size 0 and may never end: reading it whole would
    exhaust memory before the size check could refuse it. Nor is ``max_bytes + 1`` read in
    one call, which allocates that much first (a MemoryError under a cap of 200 GiB): a
    regular file is read in one call of the size it reports, and what else there is (a
    device, a pipe, a file that grew meanwhile) in chunks.
    """
    unusable = unusable_path(path)
    if unusable is not None:  # an OSError, as for a missing file, not os's ValueError
        raise OSError(errno.EINVAL, unusable, shown_path(path))
    left = limits.max_bytes + 1
    parts: list[bytes] = []
    with path.open("rb") as fh:
        status = os.fstat(fh.fileno())
        want = status.st_size + 1 if stat.S_ISREG(status.st_mode) else _CHUNK
        while left > 0:
            part = fh.read(min(left, want))
            if not part:
                break
            parts.append(part)
            left -= len(part)
            want = _CHUNK
    return b"".join(parts)


_CHUNK = 1 << 16  # what read_bounded reads a device or a pipe by


# The messages of the caps a caller may raise: exceeded_limit recognises them by these.
_TOO_BIG = "file {} bytes; the limit is {} bytes"
_TOO_MANY = "document expands to more than {} values (alias bomb or oversized file)"
_TOO_LONG = "document holds more than {} values"


def _too_big(file: str, size: int, limits: Limits) -> Problem:
    # A bounded read stops one byte past the limit: that count means "more than".
    said = f"holds more than {limits.max_bytes}" if size == limits.max_bytes + 1 else f"is {size}"
    return Problem(file, None, None, (), _TOO_BIG.format(said, limits.max_bytes))


def _pattern(template: str, *fills: str) -> re.Pattern[str]:
    """A message ``template`` matched whole, each ``{}`` standing for what ``fills`` says."""
    pieces = template.split("{}")
    return re.compile("".join(re.escape(p) + f for p, f in zip(pieces, [*fills, ""], strict=True)))


_CAPS = (
    ("max_bytes", _pattern(_TOO_BIG, r"(?:is|holds more than) \d+", r"\d+")),
    # Only a document of plain values: an alias bomb is no batch to let in.
    ("max_nodes", _pattern(_TOO_LONG, r"\d+")),
)


def exceeded_limit(problem: Problem) -> str | None:
    """The :class:`Limits` field a problem of this module reports exceeded, else ``None``."""
    for name, message in _CAPS:
        if message.fullmatch(problem.message):
            return name
    return None


class _Builder:
    """Builds plain Python data from parser events, iteratively and within limits."""

    def __init__(self, file: str, limits: Limits, *, json_numbers: bool = False) -> None:
        self.file = file
        self.limits = limits
        #: Whether the text is strict JSON (checked), whose only unquoted values are
        #: numbers, true, false and null.
        self.json_numbers = json_numbers
        self.positions: dict[Path_t, tuple[int, int]] = {}
        self.flow: set[Path_t] = set()
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # value, weight, height
        self.aliases = 0
        self.nodes = 0
        self.problems: list[Problem] = []

    def _refuse(self, event: Any, path: Path_t, message: str) -> _RefusedError:
        mark = event.start_mark
        return _RefusedError(Problem(self.file, mark.line + 1, mark.column + 1, path, message))

    def _count(self, event: Any, path: Path_t, weight: int) -> None:
        self.nodes += weight
        if self.nodes > self.limits.max_nodes:
            message = _TOO_MANY if self.aliases else _TOO_LONG
            raise self._refuse(event, path, message.format(self.limits.max_nodes))

    def build(self, text: str) -> Any:
        loader = StrictLoader(text)
        try:
            events: Iterator[Any] = iter(loader.get_event, None)
            return self._build_stream(loader, events)
        finally:
            loader.dispose()

    def _build_stream(self, loader: Any, events: Iterator[Any]) -> Any:
        # A container under construction:
        # [path, container, pending key or marker, weight, anchor, height of its children]
        stack: list[list[Any]] = []
        result: Any = None
        documents = 0
        for event in events:
            if isinstance(event, yaml.StreamStartEvent | yaml.StreamEndEvent):
                continue
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self._refuse(event, (), "only one YAML document per file is allowed")
                continue
            if isinstance(event, yaml.DocumentEndEvent):
                continue
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                path, container, _key, weight, anchor, below = stack.pop()
                value, done = container, True
                result_height = below + 1
                if anchor is not None:
                    self.anchors[anchor] = (container, weight, result_height)
                result_weight = weight
            else:
                path = self._child_path(stack)
                done = False
                if isinstance(event, yaml.AliasEvent):
                    self.aliases += 1
                    if self.aliases > self.limits.max_aliases:
                        raise self._refuse(
                            event, path, f"more than {self.limits.max_aliases} aliases"
                        )
                    if event.anchor not in self.anchors:
                        raise self._refuse(event, path, f"unknown alias *{event.anchor}")
                    value, result_weight, result_height = self.anchors[event.anchor]
                    # An alias nests its anchor's whole depth where it stands: a chain of
                    # aliases must not build what the depth cap refuses to parse.
                    if len(stack) + result_height > self.limits.max_depth:
                        raise self._refuse(
                            event,
                            path,
                            f"nesting deeper than {self.limits.max_depth} levels "
                            f"(through the alias *{event.anchor})",
                        )
                    self._count(event, path, result_weight)
                    done = True
                elif isinstance(event, yaml.ScalarEvent):
                    value = self._scalar(loader, event, path, _awaits_key(stack))
                    self._record(path, event)
                    result_weight, result_height = 1, 0
                    self._count(event, path, 1)
                    if event.anchor is not None:
                        self.anchors[event.anchor] = (value, 1, 0)
                    done = True
                elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                    is_map = isinstance(event, yaml.MappingStartEvent)
                    expected = _MAP_TAG if is_map else _SEQ_TAG
                    if event.tag not in (None, "!", expected):
                        raise self._refuse(event, path, f"tag {event.tag} is not allowed")
                    if len(stack) >= self.limits.max_depth:
                        raise self._refuse(
                            event, path, f"nesting deeper than {self.limits.max_depth} levels"
                        )
                    self._count(event, path, 1)
                    self._record(path, event)
                    if is_map and event.flow_style:
                        self.flow.add(path)
                    stack.append([path, {} if is_map else [], _NO_KEY, 1, event.anchor, 0])
                    continue
                else:  # pragma: no cover - PyYAML emits no other event kinds
                    raise self._refuse(event, path, "unexpected YAML construct")
            if not stack:
                result = value
                continue
            stack[-1][5] = max(stack[-1][5], result_height)
            self._attach(stack[-1], value, result_weight, event, done)
        return result

    @staticmethod
    def _child_path(stack: list[list[Any]]) -> Path_t:
        if not stack:
            return ()
        path, container, key, _weight, _anchor, _below = stack[-1]
        if isinstance(container, list):
            return (*path, len(container))
        if key is _NO_KEY:
            return (*path, "<key>")
        return (*path, key)

    def _attach(self, frame: list[Any], value: Any, weight: int, event: Any, done: bool) -> None:
        path, container, key, total, _anchor, _below = frame
        frame[3] = total + weight
        if isinstance(container, list):
            container.append(value)
            return
        if key is _NO_KEY:
            if not isinstance(value, str | int | bool | dt.date) or value is None:
                raise self._refuse(event, path, "mapping keys must be plain scalars")
            if isinstance(value, bool):
                value = str(value).lower()
            key_text = value if isinstance(value, str) else str(value)
            if key_text in container:
                # One problem among others, not the end of the read: the first value stays,
                # the repeated one is dropped, and the rest of the file is still checked.
                first = self.positions.get((*path, key_text))
                where = f" (first at line {first[0]})" if first else ""
                mark = event.start_mark
                self.problems.append(
                    Problem(
                        self.file,
                        mark.line + 1,
                        mark.column + 1,
                        (*path, key_text),
                        f"duplicate key {excerpt(key_text, quoted=True)}{where}",
                    )
                )
                frame[2] = _Dropped(key_text)
                return
            frame[2] = key_text
            self._record((*path, key_text), event)
            return
        if not isinstance(key, _Dropped):
            container[key] = value
        frame[2] = _NO_KEY

    def _record(self, path: Path_t, event: Any) -> None:
        mark = event.start_mark
        self.positions.setdefault(path, (mark.line + 1, mark.column + 1))

    def _scalar(self, loader: Any, event: Any, path: Path_t, is_key: bool) -> Any:
        if event.tag in (None, "!"):
            tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        else:
            tag = event.tag
        if tag == "tag:yaml.org,2002:merge":
            raise self._refuse(
                event, path, "YAML merge keys (<<) are not read: write each key out in full"
            )
        if tag not in _SAFE_TAGS:
            raise self._refuse(event, path, f"tag {tag} is not allowed")
        value: str = event.value
        if tag == "tag:yaml.org,2002:str":
            if self.json_numbers and not event.style and not is_key:  # plain: None or ""
                # A JSON number with an exponent (1e5, 2.5E3): YAML 1.1 reads a float only
                # with a decimal point and a signed exponent, and would take it as text,
                # which a field of text would then accept. JSON has it a number: read it
                # exactly, as any other, and a field that wants a whole number or a text
                # refuses it at its place.
                return self._exact(event, path, JsonNumber)
            return value
        if tag == "tag:yaml.org,2002:int":
            if is_key:
                return value  # a key is text as written (its model reads a year from it)
            return self._integer(event, path)
        if tag == "tag:yaml.org,2002:float":
            return self._decimal(event, path)
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
        try:
            return loader.construct_object(node, deep=True)
        except (ValueError, OverflowError, yaml.YAMLError) as exc:
            # An impossible date is one problem among others, not the end of the read:
            # keep the text so validation can go on, and remember where it was.
            mark = event.start_mark
            reason = "impossible date" if tag.endswith("timestamp") else "invalid value"
            self.problems.append(
                Problem(
                    self.file,
                    mark.line + 1,
                    mark.column + 1,
                    path,
                    f"{reason} {excerpt(value, quoted=True)}: {exc}",
                )
            )
            return value

    def _integer(self, event: Any, path: Path_t) -> int | str:
        """A whole number written in decimal digits; any other YAML 1.1 form is refused.

        PyYAML reads ``010`` as 8 (octal), ``1:20`` as 80 (base 60), ``0x14`` as 20 and
        ``0b101`` as 5: in an amount, a budget or a number of days or years, a misread
        number is a wrong payment, so each is a located problem saying what to write.
        """
        text: str = event.value
        try:
            return self._whole(event, path, text)
        except ValueError:  # "0x_" (no digits), more digits than Python converts, too long
            self._problem(
                event, path, f"{excerpt(text, quoted=True)} is not a whole number qfund can read"
            )
            return text

    def _whole(self, event: Any, path: Path_t, text: str) -> int | str:
        if _PLAIN_INT.fullmatch(text):
            return int(text)
        if len(text) > _READ_OUT:
            raise ValueError(text)
        # The reading PyYAML would have made, to say what the text would have meant.
        written = excerpt(text, quoted=True)
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-").replace("_", "")
        if ":" in digits:
            read = sign * _base60(digits)
            why = f"YAML reads {written} as the base-60 number {read}"
            write = "the number in decimal digits (quote it if it is text)"
        elif digits[:2] in ("0x", "0b"):
            read = sign * int(digits, 16 if digits[1] == "x" else 2)
            base = "hexadecimal" if digits[1] == "x" else "binary"
            why = f"YAML reads {written} as the {base} number {read}"
            write = f"{read} in decimal digits"
        elif digits.startswith("0") and digits.strip("0"):
            read = sign * int(digits, 8)
            meant = sign * int(digits)
            why = f"YAML reads {written}, with its leading zero, as the octal number {read}"
            write = f"{meant} without the leading zero"
        else:  # digit separators (1_000) or a zero written 00: right value, unusual form
            meant = sign * int(digits)
            why = f"{written} is not a plain whole number"
            write = f"{meant}"
        self._problem(event, path, f"{why}; write {write}")
        return text

    def _decimal(self, event: Any, path: Path_t) -> Decimal | str:
        text: str = event.value
        if text.lower().lstrip("+-") in {".nan", ".inf"}:
            raise self._refuse(event, path, f"{text!r} is not a finite number")
        sign = "-" if text.startswith("-") else ""
        digits = text.lstrip("+-").replace("_", "")
        if ":" in text:  # 1:20.5 is 80.5 in YAML 1.1: nobody means that in a rule file
            if len(text) > _READ_OUT:
                reading = f"{excerpt(text, quoted=True)} as a base-60 number"
            else:
                parts = reversed(digits.split(":"))
                read = sum(Decimal(part) * 60**i for i, part in enumerate(parts))
                reading = f"{excerpt(text, quoted=True)} as the base-60 number {sign}{read}"
            self._problem(
                event,
                path,
                f"YAML reads {reading}; write the number in decimal digits (quote it if it is "
                "text)",
            )
            return text
        if "_" in text:
            self._problem(
                event,
                path,
                f"{excerpt(text, quoted=True)} is not a plain decimal number; write "
                f"{excerpt(sign + digits)}",
            )
            return text
        return self._exact(event, path, Decimal)

    def _exact(self, event: Any, path: Path_t, number: Callable[[str], Decimal]) -> Decimal | str:
        """The number ``event`` writes, read exactly; past what a ``Decimal`` holds (an
        exponent of 20 digits: ``1e99999999999999999999``), one problem among others."""
        text: str = event.value
        try:
            return number(text)
        except InvalidOperation:
            self._problem(
                event,
                path,
                f"{excerpt(text, quoted=True)} is not a number qfund can read: its exponent is "
                "out of range",
            )
            return text

    def _problem(self, event: Any, path: Path_t, message: str) -> None:
        """One problem among others: the value keeps its text, and the read goes on."""
        mark = event.start_mark
        self.problems.append(Problem(self.file, mark.line + 1, mark.column + 1, path, message))


#: The one form of whole number read as such (no sign of YAML 1.1 octal, base 60, ...).
_PLAIN_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
#: The longest number in another YAML 1.1 form whose reading a problem spells out: working
#: out a base-60 number takes time that grows with the square of its length and more
#: (10 000 parts, 30 KB of a file, took 15 s).
_READ_OUT = 100


def _base60(digits: str) -> int:
    total = 0
    for part in digits.split(":"):
        total = total * 60 + int(part)
    return total


def _awaits_key(stack: list[list[Any]]) -> bool:
    """Whether the next node is a mapping key."""
    return bool(stack) and isinstance(stack[-1][1], dict) and stack[-1][2] is _NO_KEY


_NO_KEY: Any = object()


class _Dropped(str):
    """The key of a repeated entry: its value is read (and checked), then dropped."""

    __slots__ = ()
