"""Which program shows an attachment: mailcap files (RFC 1524) and `[ui.openers]`.

The answer is always an **argument list**, never a shell string. A mailcap command is
split into words with shlex, then each `%s` (the file), `%t` (the type) and
`%{param}` is substituted inside its word — so a file called `$(rm -rf ~).pdf`,
`a b.pdf` or `x'; reboot; '.pdf` stays one inert argument, because no shell ever reads
it. `%s` must be a whole word: `sh -c 'cat %s'` would hand the name to a shell as code,
so such an entry is not used (its `problem` says why), the rule `ui.open_command`
follows. For the same reason words that are shell syntax (`|`, `>`, `&&`) make an
entry unusable — point `[ui.openers]` or the mailcap entry at a script instead. An
entry with no `%s` gets the file on its standard input (RFC 1524 §3).

`%t` and `%{param}` come from the message: the type is kept only when it is a plain
RFC 6838 name, and only whitelisted parameters (charset) are substituted, reduced to
token characters; anything else becomes empty. `\\%` is a literal percent.

`test=` is honoured, as NeoMutt does (`test=test -n "$DISPLAY"` is how a mailcap says
"only under X"): it is the user's own (or the system's) command and runs through
`/bin/sh` like `password_command`, in its own process group with a short timeout — but
only when it contains no `%` escape, so no message data ever reaches that shell; a
test with one counts as failed.

Files are read from `$MAILCAPS` (colon-separated) or `~/.mailcap:/etc/mailcap:
/usr/etc/mailcap:/usr/local/etc/mailcap` (RFC 1524 Appendix A), each capped; a line is
parsed in one pass (fields split on unescaped `;`), long lines skipped.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from mailtui.text.safe import fit_filename, safe_filename, split_ext

__all__ = [
    "MailcapEntry",
    "MailcapError",
    "command_argv",
    "default_paths",
    "load_mailcaps",
    "lookup",
    "opener_entries",
    "parse_mailcap",
]

MAX_FILE = 1 << 20
MAX_LINE = 4096
MAX_ENTRIES = 5000
TEST_TIMEOUT = 2.0
PARAM_WHITELIST = frozenset({"charset"})
_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/([a-z0-9][a-z0-9!#$&^_.+-]{0,126}|\*)")
_TOKEN = re.compile(r"[A-Za-z0-9._:+-]{1,64}")
_SHELL_WORDS = frozenset({"|", "||", "&", "&&", ";", "|&"})
_REDIRECT = re.compile(r"\d*[<>|&]")  # >out, 2>/dev/null, <in, |cmd, &>log
_PERCENT = "\x00"  # stands for a `\%` while the line is split (NUL cannot be in a line)


class MailcapError(ValueError):
    """An entry cannot be turned into a safe argument list."""


@dataclass(frozen=True)
class MailcapEntry:
    """One mailcap entry (or a `[ui.openers]` override), as read."""

    type: str
    """Lower-case "type/subtype" or "type/*"."""
    command: str
    copiousoutput: bool = False
    needsterminal: bool = False
    test: str = ""
    nametemplate: str = ""
    description: str = ""
    source: str = ""
    """Where it came from: "/home/me/.mailcap:12" or "ui.openers"."""
    problem: str = ""
    """Why the entry is not used ("" when usable)."""
    append_file: bool = False
    """No %s: append the file as the last argument (openers) instead of stdin (mailcap)."""

    @property
    def usable(self) -> bool:
        return not self.problem

    @property
    def stdin(self) -> bool:
        """The file is fed on standard input (a mailcap command with no %s)."""
        return "%s" not in _escapes(self.command) and not self.append_file

    def matches(self, mime_type: str) -> bool:
        main, _, sub = mime_type.lower().partition("/")
        want_main, _, want_sub = self.type.partition("/")
        return want_main == main and want_sub in ("*", sub)

    def file_name(self, name: str) -> str:
        """The temp file name for a saved attachment called `name` (already a safe
        basename), following `nametemplate=` ("%s.pdf") when there is one: some
        viewers decide by the extension."""
        name = safe_filename(name)
        template = self.nametemplate
        if not template or template.count("%s") != 1:
            return name
        prefix, _, suffix = template.partition("%s")
        stem, ext = split_ext(name)
        if suffix and ext.lower() == suffix.lower():
            name = stem
        return safe_filename(fit_filename(prefix + name, suffix))


def _escapes(command: str) -> set[str]:
    """The %-escapes a command uses ("%s", "%t", "%{"), ignoring `\\%`."""
    found = set()
    text = command.replace("\\%", "")
    for m in re.finditer(r"%(\{|.)", text):
        found.add("%" + m.group(1))
    return found


# --------------------------------------------------------------------------- parsing


def _fields(line: str) -> list[str]:
    """Split on ';' not preceded by a backslash (RFC 1524 §3); `\\;` becomes ';'."""
    fields: list[str] = []
    current: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "\\" and i + 1 < n:
            nxt = line[i + 1]
            current.append(";" if nxt == ";" else ch + nxt)
            i += 2
            continue
        if ch == ";":
            fields.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    fields.append("".join(current).strip())
    return fields


def _check_command(command: str) -> str:
    """ "" when `command` can become a safe argv, else the reason it cannot."""
    try:
        words = shlex.split(command.replace("\\%", _PERCENT))
    except ValueError as exc:
        return f"cannot be split into words ({exc})"
    if not words:
        return "names no command"
    for i, word in enumerate(words):
        if "%s" in word and word != "%s":
            return 'puts "%s" inside a word, where a file name would reach a shell'
        if word == "&" and i == len(words) - 1:
            continue  # "in the background": dropped, viewers start detached anyway
        if word in _SHELL_WORDS or _REDIRECT.match(word):
            return f"uses shell syntax ({word}), which mailtui does not run"
    return ""


def _entry(fields: list[str], source: str) -> MailcapEntry | None:
    type_ = fields[0].lower()
    if "/" not in type_:
        type_ += "/*"  # RFC 1524: "text" means text/*
    if not _TYPE.fullmatch(type_) or len(fields) < 2:
        return None
    entry = MailcapEntry(type=type_, command=fields[1], source=source)
    for flag in fields[2:]:
        name, eq, value = flag.partition("=")
        name = name.strip().lower()
        value = value.strip()
        if not eq:
            if name == "copiousoutput":
                entry = replace(entry, copiousoutput=True)
            elif name == "needsterminal":
                entry = replace(entry, needsterminal=True)
        elif name == "test":
            entry = replace(entry, test=value)
        elif name == "nametemplate":
            entry = replace(entry, nametemplate=value)
        elif name == "description":
            entry = replace(entry, description=value.strip('"'))
    return replace(entry, problem=_check_command(entry.command))


def _lines(text: str) -> Iterator[str]:
    """The lines of `text`, one at a time (no list of a million empty strings)."""
    pos, n = 0, len(text)
    while pos < n:
        end = text.find("\n", pos)
        if end < 0:
            end = n
        yield text[pos:end]
        pos = end + 1


def parse_mailcap(text: str, source: str = "mailcap") -> list[MailcapEntry]:
    """The entries of one mailcap file's text, in order (linear; lines over MAX_LINE and
    entries past MAX_ENTRIES are skipped)."""
    entries: list[MailcapEntry] = []
    pieces: list[str] = []  # the entry so far, when lines end with a backslash
    size = 0
    too_long = False
    start_line = 0
    for number, raw in enumerate(_lines(text[:MAX_FILE]), 1):
        line = raw.rstrip("\r")
        if not pieces and not too_long:
            start_line = number
            if not line.strip() or line.lstrip().startswith("#"):
                continue
        size += len(line)
        too_long = too_long or size > MAX_LINE
        if line.endswith("\\") and not line.endswith("\\\\"):
            if not too_long:
                pieces.append(line[:-1])
            continue
        whole = "".join([*pieces, line]) if not too_long else ""
        skip = too_long or "\x00" in whole
        pieces, size, too_long = [], 0, False
        if skip:
            continue
        entry = _entry(_fields(whole), f"{source}:{start_line}")
        if entry is not None:
            entries.append(entry)
            if len(entries) >= MAX_ENTRIES:
                break
    return entries


def default_paths(environ: Mapping[str, str] | None = None) -> list[Path]:
    """$MAILCAPS, else the RFC 1524 Appendix A list."""
    env = os.environ if environ is None else environ
    listed = env.get("MAILCAPS")
    if listed:
        return [Path(p).expanduser() for p in listed.split(":") if p]
    home = Path(env.get("HOME") or Path.home())
    return [
        home / ".mailcap",
        Path("/etc/mailcap"),
        Path("/usr/etc/mailcap"),
        Path("/usr/local/etc/mailcap"),
    ]


def load_mailcaps(paths: Iterable[Path] | None = None) -> list[MailcapEntry]:
    """Every entry of every readable mailcap file, in path order (first match wins)."""
    entries: list[MailcapEntry] = []
    for path in default_paths() if paths is None else paths:
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_FILE)
        except OSError:
            continue
        entries.extend(parse_mailcap(data.decode("utf-8", "replace"), str(path)))
    return entries


def opener_entries(openers: Mapping[str, str]) -> list[MailcapEntry]:
    """`[ui.openers]` ("image/*" = "feh %s") as entries, exact types before wildcards.

    "%s" or "{}" (as in ui.open_command) marks the file; without either the file is
    appended as the last argument."""
    out: list[MailcapEntry] = []
    for type_, command in openers.items():
        key = type_.strip().lower()
        key = key if "/" in key else key + "/*"
        if not _TYPE.fullmatch(key):
            continue
        words = command.replace("{}", "%s")
        entry = MailcapEntry(
            type=key,
            command=words,
            source="ui.openers",
            append_file="%s" not in _escapes(words),
        )
        out.append(replace(entry, problem=_check_command(words)))
    out.sort(key=lambda e: e.type.endswith("/*"))
    return out


# --------------------------------------------------------------------------- choosing


def _passes(test: str, cache: dict[str, bool]) -> bool:
    """Run a `test=` command (no % escapes) through /bin/sh; exit 0 passes."""
    if not test:
        return True
    if "%" in test.replace("\\%", ""):
        return False  # would put message data into a shell: never run
    if test not in cache:
        cache[test] = _run_test(test.replace("\\%", "%"))
    return cache[test]


def _run_test(command: str) -> bool:
    try:
        proc = subprocess.Popen(
            ["/bin/sh", "-c", command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        return False
    try:
        return proc.wait(timeout=TEST_TIMEOUT) == 0
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        return False


def lookup(
    mime_type: str,
    entries: Iterable[MailcapEntry],
    *,
    openers: Iterable[MailcapEntry] = (),
    copious: bool | None = None,
    run_tests: bool = True,
) -> MailcapEntry | None:
    """The entry that shows `mime_type`: `[ui.openers]` first, then mailcap order.

    `copious=True` wants an entry whose output can be shown inline in the reader
    (copiousoutput), False one that opens on its own, None either. Unusable entries and
    entries whose test fails are passed over."""
    cache: dict[str, bool] = {}
    for entry in (*openers, *entries):
        if not entry.usable or not entry.matches(mime_type):
            continue
        if copious is not None and entry.copiousoutput != copious:
            continue
        if run_tests and not _passes(entry.test, cache):
            continue
        return entry
    return None


def _safe_type(mime_type: str) -> str:
    t = mime_type.strip().lower()
    return t if _TYPE.fullmatch(t) and not t.endswith("/*") else ""


def _substitute(word: str, path: str, mime_type: str, params: Mapping[str, str]) -> str:
    """One word with %t and %{param} replaced (the whole-word %s is handled by the caller)."""
    out: list[str] = []
    i, n = 0, len(word)
    while i < n:
        ch = word[i]
        if ch == _PERCENT:
            out.append("%")
        elif ch == "%" and i + 1 < n and word[i + 1] == "t":
            out.append(_safe_type(mime_type))
            i += 1
        elif ch == "%" and i + 1 < n and word[i + 1] == "{":
            end = word.find("}", i + 2)
            if end < 0:
                out.append(word[i:])
                break
            name = word[i + 2 : end].strip().lower()
            value = {k.lower(): v for k, v in params.items()}.get(name, "")
            ok = name in PARAM_WHITELIST and _TOKEN.fullmatch(value)
            out.append(value if ok else "")
            i = end
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def command_argv(
    entry: MailcapEntry, path: str, mime_type: str, params: Mapping[str, str] | None = None
) -> list[str]:
    """The argument list that runs `entry` on the file at `path`.

    `path` is one whole argument wherever it stands; feed the file on stdin when
    `entry.stdin`. Raises MailcapError for an unusable entry."""
    if entry.problem:
        raise MailcapError(f"{entry.source}: {entry.command!r} {entry.problem}")
    if path.startswith("-"):
        path = "./" + path  # a file name is never read as an option
    words = shlex.split(entry.command.replace("\\%", _PERCENT))
    argv = [path if w == "%s" else _substitute(w, path, mime_type, params or {}) for w in words]
    if argv and argv[-1] == "&":
        argv.pop()  # "run in the background": viewers are started detached anyway
    if entry.append_file:
        argv.append(path)
    if not argv or not argv[0]:
        raise MailcapError(f"{entry.source}: names no command")
    argv[0] = os.path.expanduser(argv[0])
    return argv
