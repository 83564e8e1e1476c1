"""Reading a definition file's YAML safely, with the line of every value.

Only safe YAML is read (no Python objects), within limits on the file's size, the values
it writes down and what its aliases (*name) and merge keys (<<) expand to, so any file is
accepted or refused in about a second. Values come back as :class:`Scalar`, :class:`Seq`
and :class:`Map` nodes that remember their lines; :func:`plain` turns a node into plain
Python data and :func:`positions` gives the line of every path in it.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from surveyapp.plaintext import CONTROL_CHARACTERS
from surveyapp.questionnaires.problems import (
    N_,
    Count,
    DefinitionError,
    Msg,
    Problem,
    Report,
    Text,
    msg,
)

# Guards against alias bombs ("billion laughs"), merge-key chains and absurdly large
# files: every file is accepted or refused in about a second and well under 200 MB.
# The largest shipped definition is 41 KB with 1,500 values.
#: Bytes a definition file may have (composing YAML in Python takes ~2 µs a byte).
MAX_FILE_BYTES = 512 * 1024
#: Values (YAML nodes) a file may write down: room for about 1,300 questions.
MAX_NODES = 20_000
#: Values and characters of text once every alias (*name) and merge key (<<) is
#: expanded: what the validator, the stored JSON and every page would have to hold.
MAX_EXPANDED_NODES = 40_000
MAX_EXPANDED_CHARS = 1_000_000

_N = TypeVar("_N", bound=Node)

_TAG_MAP = "tag:yaml.org,2002:map"
_TAG_SEQ = "tag:yaml.org,2002:seq"
_TAG_NULL = "tag:yaml.org,2002:null"
_TAG_MERGE = "tag:yaml.org,2002:merge"
#: PyYAML's words for a scalar with a tag the safe loader has no constructor for.
_UNKNOWN_TAG = re.compile(r"could not determine a constructor for the tag '([^']*)'")


# --------------------------------------------------------------------------- nodes


@dataclass(eq=False)
class Scalar:
    line: int
    value: Any


@dataclass(eq=False)
class Seq:
    line: int
    items: list[Value]


@dataclass(eq=False)
class Entry:
    line: int  # the line of the key
    value: Value


@dataclass(eq=False)
class Map:
    line: int
    entries: dict[str, Entry]


Value: TypeAlias = Scalar | Seq | Map
#: Where a value is in a file: mapping keys and list positions from the top.
Path: TypeAlias = tuple[str | int, ...]


def raw_value(entry: Entry | None) -> Any:
    """The plain value of an entry if it is a scalar, else None."""
    if entry is not None and isinstance(entry.value, Scalar):
        return entry.value.value
    return None


def plain(value: Value) -> Any:
    """A node as plain Python data (dicts, lists and scalars)."""
    if isinstance(value, Map):
        return {key: plain(entry.value) for key, entry in value.entries.items()}
    if isinstance(value, Seq):
        return [plain(item) for item in value.items]
    return value.value


def positions(value: Value, line: int | None = None) -> dict[Path, int]:
    """The line of every path under a node: a mapping entry's key, a list item's start.

    ``line`` is where the node itself counts as being (the line of the key that holds
    it); the node's own start when not given.
    """
    found: dict[Path, int] = {}
    stack: list[tuple[Path, Value, int]] = [((), value, value.line if line is None else line)]
    while stack:
        path, node, at = stack.pop()
        found[path] = at
        if isinstance(node, Map):
            stack.extend((path + (k,), e.value, e.line) for k, e in node.entries.items())
        elif isinstance(node, Seq):
            stack.extend((path + (i,), item, item.line) for i, item in enumerate(node.items))
    return found


# --------------------------------------------------------------------------- describing values


def describe(value: Value | Any) -> Text:
    """A value as a message names it ("the number 42", "a list"); nodes or plain data.

    A :class:`Msg` (``str()`` of it is English); YAML's true and false as written.
    """
    if isinstance(value, Map | dict):
        return msg(N_("a mapping"))
    if isinstance(value, Seq | list | tuple):
        return msg(N_("a list"))
    x = value.value if isinstance(value, Scalar) else value
    if x is None:
        return msg(N_("nothing (an empty value)"))
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int | float):
        return msg(N_("the number %(number)s"), number=f"{x:g}" if isinstance(x, float) else x)
    if isinstance(x, str):
        shown = x if len(x) <= 40 else x[:37] + "..."
        return msg(N_("the text '%(text)s'"), text=shown)
    if isinstance(x, _dt.datetime):
        return msg(N_("the date and time %(value)s"), value=x.isoformat())
    if isinstance(x, _dt.date):
        return msg(N_("the date %(value)s"), value=x.isoformat())
    if isinstance(x, bytes):
        return msg(N_("binary data"))
    return msg(N_("a value of type %(type)s"), type=type(x).__name__)


def _scalar(value: Value | Any) -> tuple[bool, Any]:
    """(True, the value) for a scalar node or plain scalar; (False, None) otherwise."""
    if isinstance(value, Scalar):
        return True, value.value
    if isinstance(value, Map | Seq | dict | list | tuple):
        return False, None
    return True, value


def text_hint(value: Value | Any) -> Text:
    """Why a value that should be text is not, when YAML did something surprising."""
    is_scalar, x = _scalar(value)
    if is_scalar:
        if isinstance(x, bool):
            return msg(
                N_(
                    " (YAML reads unquoted yes, no, on, off, true and false as true/false;"
                    " put the text in quotes)"
                )
            )
        if isinstance(x, int | float | _dt.date):
            return msg(N_(" (put it in quotes to make it text)"))
    return ""


def number_hint(value: Value | Any) -> Text:
    is_scalar, x = _scalar(value)
    if is_scalar and isinstance(x, str):
        try:
            float(x)
        except ValueError:
            return ""
        return msg(N_(" (remove the quotes)"))
    return ""


def bool_hint(value: Value | Any) -> Text:
    is_scalar, x = _scalar(value)
    if is_scalar and isinstance(x, str | int):
        return msg(N_(" (write true or false, without quotes)"))
    return ""


# --------------------------------------------------------------------------- reading


def read_file(path: str | os.PathLike[str]) -> bytes:
    """A definition file's bytes (never more than the limit); a DefinitionError if unreadable."""
    filename = os.fspath(path)
    try:
        with open(filename, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # never more: /dev/zero has no end
            if len(data) > MAX_FILE_BYTES:
                info = os.fstat(handle.fileno())
                size = info.st_size if stat.S_ISREG(info.st_mode) else None
                raise DefinitionError([_too_large(filename, size)])
    except OSError as exc:
        raise DefinitionError([unreadable(filename, exc)]) from None
    return data


def file_problem(filename: str, message: Msg) -> Problem:
    """A problem with the whole file (no place in it), translatable."""
    return Problem(filename, "", str(message), None, message.msgid, message.params)


def unreadable(filename: str, exc: OSError) -> Problem:
    """Why a file could not be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return file_problem(filename, msg(N_("file not found")))
    if isinstance(exc, IsADirectoryError):
        return file_problem(filename, msg(N_("is a directory, not a file")))
    reason = exc.strerror or str(exc)
    return file_problem(filename, msg(N_("cannot read the file: %(reason)s"), reason=reason))


def read_source(text: str | bytes, report: Report) -> tuple[Value, Any] | None:
    """The file's top node and its plain data; None when it cannot be read (see ``report``).

    A file over the size limit raises DefinitionError at once.
    """
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise DefinitionError([_too_large(report.filename, size)])
    if isinstance(text, bytes):
        decoded = _decode(text, report)
        if decoded is None:
            return None
    else:
        decoded = text[1:] if text.startswith("\ufeff") else text
    return _compose(decoded, report)


def _too_large(filename: str, size: int | None) -> Problem:
    """A file over MAX_FILE_BYTES (``size`` None: a stream, its size unknown)."""
    told = (
        msg(N_("%(size)s bytes"), size=Count(size))
        if size is not None
        else msg(N_("more than %(max)s bytes"), max=Count(MAX_FILE_BYTES))
    )
    return file_problem(
        filename,
        msg(
            N_(
                "the file is too large: %(told)s, and a definition file may have at most"
                " %(max)s (%(kb)s KB)"
            ),
            told=told,
            max=Count(MAX_FILE_BYTES),
            kb=MAX_FILE_BYTES // 1024,
        ),
    )


class _TooBig(Exception):
    """The file is beyond one of the size limits; ``message`` says which."""

    def __init__(self, message: Msg) -> None:
        super().__init__(str(message))
        self.message = message


def _decode(data: bytes, report: Report) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        byte = data[exc.start : exc.start + 1].hex()
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            hint = msg(N_(" (it looks like UTF-16; save the file as UTF-8)"))
        else:
            hint = msg(N_(" (perhaps it was saved as Latin-1/Windows-1252; save it as UTF-8)"))
        report.add(
            line,
            "",
            msg(
                N_(
                    "the file is not valid UTF-8: byte 0x%(byte)s at byte offset %(offset)s"
                    " cannot be decoded%(hint)s"
                ),
                byte=byte,
                offset=exc.start,
                hint=hint,
            ),
        )
        return None
    return text[1:] if text.startswith("\ufeff") else text


def _yaml_error_hint(problem: str) -> Text:
    if "mapping values are not allowed" in problem:
        return msg(N_(" (is there an unquoted ': ' inside a value? Put such text in quotes)"))
    if "but got '?'" in problem or "but got ':'" in problem:
        return msg(
            N_(
                " (inside {...} or [...], text containing '?' or ':' must be in quotes,"
                ' e.g. {nb: "Hvor fornøyd er du?", ...})'
            )
        )
    if "expected <block end>" in problem or "did not find expected key" in problem:
        return msg(N_(" (check the indentation: items of the same list or mapping must line up)"))
    if "'\\t'" in problem:
        return msg(N_(" (YAML does not allow tab characters for indentation; use spaces)"))
    return ""


def _compose(text: str, report: Report) -> tuple[Value, Any] | None:
    """Compose and construct the YAML; problems go to ``report``."""
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text)
        node = loader.get_single_node()
        if node is None or (
            isinstance(node, ScalarNode) and node.tag == _TAG_NULL and not node.value
        ):
            report.add(None, "", msg(N_("the file is empty")))
            return None
        _check_duplicate_keys(node, report)
        raw = loader.construct_document(node)  # also resolves merge keys (<<) in the nodes
        value = _Converter(report).convert(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable"
        # The parser's own words are English: the command line gives them, the page a
        # translated sentence with the place and a hint.
        english = f"not valid YAML: {problem}"
        if exc.context and exc.problem and exc.context_mark is not None:
            english += (
                f" ({exc.context}, which starts at line {exc.context_mark.line + 1},"
                f" column {exc.context_mark.column + 1})"
            )
        hint = _yaml_error_hint(problem)
        english += str(hint)
        tag = _UNKNOWN_TAG.search(problem) if isinstance(exc, ConstructorError) else None
        if tag is not None:
            translated = _unsupported_tag(tag.group(1))
        elif isinstance(exc, ConstructorError) and problem == "found unhashable key":
            translated = msg(N_("a key must be text, not a list or mapping"))
        else:
            translated = msg(N_("the file is not valid YAML%(hint)s"), hint=hint)
        if mark is None:
            report.add(None, "", translated, english)
        else:
            column = msg(N_("column %(column)s"), column=mark.column + 1)
            report.add(mark.line + 1, column, translated, english)
        return None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        report.add(
            line,
            "",
            msg(
                N_("the file contains a character YAML does not allow (%(character)s)"),
                character=repr(exc.character),
            ),
            f"the file contains a character YAML does not allow ({exc.character!r}): {exc.reason}",
        )
        return None
    except yaml.YAMLError as exc:
        report.add(None, "", msg(N_("the file is not valid YAML")), f"not valid YAML: {exc}")
        return None
    except RecursionError:
        report.add(None, "", msg(N_("the file is nested too deeply to read")))
        return None
    except _TooBig as exc:
        report.add(None, "", exc.message)
        return None
    finally:
        if loader is not None:
            loader.dispose()
    return value, raw


class _BoundedLoader(yaml.SafeLoader):
    """A SafeLoader that measures each node as it is composed, counting every use of an
    alias at the full size of what it refers to, and stops (``_TooBig``) as soon as the
    file writes down too many values or would expand beyond the limits. Nothing is
    built from the nodes before the whole file has passed."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, characters)
        self._composed = 0

    def _measured(self, node: _N, children: Iterable[Node]) -> _N:
        values, chars = 1, len(node.value) if isinstance(node, ScalarNode) else 0
        for child in children:
            # A node still being composed is a recursive alias: the converter reports it.
            child_values, child_chars = self._sizes.get(id(child), (1, 0))
            values += child_values
            chars += child_chars
        self._composed += 1
        if self._composed > MAX_NODES:
            raise _TooBig(
                msg(
                    N_(
                        "the file is too large: it has more than %(max)s values"
                        " (entries, items and texts)"
                    ),
                    max=Count(MAX_NODES),
                )
            )
        if values > MAX_EXPANDED_NODES or chars > MAX_EXPANDED_CHARS:
            line = node.start_mark.line + 1
            raise _TooBig(
                msg(
                    N_(
                        "the file is too large: with its aliases (*name) and merge keys (<<)"
                        " expanded, the structure starting at line %(line)s holds more than"
                        " %(values)s values or %(chars)s characters of text"
                    ),
                    line=line,
                    values=Count(MAX_EXPANDED_NODES),
                    chars=Count(MAX_EXPANDED_CHARS),
                )
            )
        self._sizes[id(node)] = (values, chars)
        return node

    # ``anchor`` is the anchor's name (types-PyYAML spells it as a dict).
    def compose_scalar_node(self, anchor: Any) -> ScalarNode:
        return self._measured(super().compose_scalar_node(anchor), ())

    def compose_sequence_node(self, anchor: Any) -> SequenceNode:
        node = super().compose_sequence_node(anchor)
        return self._measured(node, node.value)

    def compose_mapping_node(self, anchor: Any) -> MappingNode:
        node = super().compose_mapping_node(anchor)
        return self._measured(node, [part for pair in node.value for part in pair])


def _check_duplicate_keys(root: Node, report: Report) -> None:
    """YAML silently keeps the last of two equal keys; a definition file must not."""
    seen: set[int] = set()
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.tag != _TAG_MERGE:
                    ident = (key.tag, key.value)
                    line = key.start_mark.line + 1
                    if ident in first:
                        report.add(
                            line,
                            "",
                            msg(
                                N_(
                                    "duplicate key '%(key)s'%(first)s; YAML would silently"
                                    " keep only the last one"
                                ),
                                key=key.value,
                                first=first_at_line(first[ident]),
                            ),
                        )
                    else:
                        first[ident] = line
                stack.append(key)
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)


def _unsupported_tag(tag: str) -> Msg:
    return msg(N_("unsupported YAML tag '%(tag)s'"), tag=tag)


#: The msgid of :func:`first_at_line`: a reader that made the YAML itself (XLSForm) puts
#: the place in its own file instead.
FIRST_AT_LINE = N_(" (first at line %(line)s)")


def first_at_line(line: int) -> Msg:
    """Where a repeated value first was: `` (first at line 10)``."""
    return msg(FIRST_AT_LINE, line=line)


class _Converter:
    """Turns composed YAML nodes into values that remember their line numbers."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.count = 0
        self.active: set[int] = set()
        self.constructor = SafeConstructor()

    def scalar(self, node: ScalarNode) -> Any:
        value = self.constructor.construct_object(node)
        if isinstance(value, str):
            found = CONTROL_CHARACTERS.search(value)
            if found is not None:
                # Written as an escape ("\0", "\x1b"): YAML refuses them typed raw.
                self.report.add(
                    node.start_mark.line + 1,
                    "",
                    msg(
                        N_(
                            "the text contains the control character U+%(code)s;"
                            " remove it (it would break the database and the exports)"
                        ),
                        code=f"{ord(found.group()):04X}",
                    ),
                )
        return value

    def convert(self, node: Node) -> Value:
        self.count += 1
        if self.count > MAX_EXPANDED_NODES:  # cannot happen after _BoundedLoader; a backstop
            raise _TooBig(
                msg(
                    N_("the file is too large: more than %(max)s values"),
                    max=Count(MAX_EXPANDED_NODES),
                )
            )
        line = node.start_mark.line + 1
        if isinstance(node, ScalarNode):
            return Scalar(line, self.scalar(node))
        if id(node) in self.active:
            self.report.add(line, "", msg(N_("an alias refers to the structure that contains it")))
            return Scalar(line, None)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag != _TAG_SEQ:
                    self.report.add(line, "", _unsupported_tag(node.tag))
                return Seq(line, [self.convert(item) for item in node.value])
            if isinstance(node, MappingNode):
                if node.tag != _TAG_MAP:
                    self.report.add(line, "", _unsupported_tag(node.tag))
                entries: dict[str, Entry] = {}
                for key_node, value_node in node.value:
                    key_line = key_node.start_mark.line + 1
                    if not isinstance(key_node, ScalarNode):
                        self.report.add(
                            key_line, "", msg(N_("a key must be text, not a list or mapping"))
                        )
                        continue
                    key = self.scalar(key_node)
                    if not isinstance(key, str):
                        shown = Scalar(key_line, key)
                        self.report.add(
                            key_line,
                            "",
                            msg(
                                N_("a key must be text, not %(got)s%(hint)s"),
                                got=describe(shown),
                                hint=text_hint(shown),
                            ),
                        )
                        continue
                    entries[key] = Entry(key_line, self.convert(value_node))
                return Map(line, entries)
        finally:
            self.active.discard(id(node))
        raise TypeError(f"unexpected YAML node {node!r}")  # pragma: no cover
