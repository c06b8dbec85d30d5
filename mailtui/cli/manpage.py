"""`mailtui --man`: the manual page (roff), generated from the argument parser, so it
lists exactly the commands and options the program takes.

Install it with `mailtui --man > ~/.local/share/man/man1/mailtui.1`; read it with
`mailtui --man | man -l -`.
"""

from __future__ import annotations

import argparse
from datetime import date

from mailtui import __version__

_KEYS = (
    ("j/k, J/K, g/G", "next/previous message, next/previous unread, first/last"),
    ("enter, space, z", "open, page through, reader full screen"),
    ("d a m c s U l u", "delete, archive, move, copy, flag, read/unread, label, undo"),
    ("r R f C", "reply, reply all, forward, new mail"),
    ("/ n N", "search, next/previous match"),
    ("&", "filter: show only matching messages (escape clears)"),
    (":", "command line: :move FOLDER, :label +a -b, :sort subject, :folder create NAME"),
    ("| S ctrl+u h", "pipe, save (.eml/mbox), raw source, all headers"),
    ("A", "attachments: s save (asks where), o open (mailcap), v view as text"),
    ("t e o O", "threads, fold thread, sort, reverse"),
    ("[ ]", "list shorter/taller"),
    ("?", "every key"),
)


def _esc(text: str) -> str:
    """Text for roff: backslashes doubled, hyphens escaped, no line starting with a dot."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(
        ("\\&" + line if line.startswith((".", "'")) else line) for line in text.split("\n")
    )


def _options(parser: argparse.ArgumentParser) -> list[str]:
    out = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        if isinstance(action, argparse._HelpAction):
            continue
        flags = ", ".join(action.option_strings)
        if action.nargs != 0:
            flags += " " + (action.metavar or action.dest.upper())
        out += [".TP", f"\\fB{_esc(flags)}\\fR", _esc(action.help or "")]
    return out


def manpage(parser: argparse.ArgumentParser) -> str:
    """The page, in roff (man(7))."""
    lines = [
        f'.TH MAILTUI 1 "{date.today().isoformat()}" "mailtui {__version__}" "User Commands"',
        ".SH NAME",
        "mailtui \\- a keyboard\\-driven terminal mail client (IMAP, Maildir)",
        ".SH SYNOPSIS",
        ".B mailtui",
        "[\\fIOPTIONS\\fR] [\\fICOMMAND\\fR [\\fIARGS\\fR]]",
        ".SH DESCRIPTION",
        _esc(
            "Without a command, mailtui opens the full-screen app on the configured accounts: "
            "folder tree, message list, reader. With a command it runs headless on the same "
            "engine (header cache, journaled actions), for scripts, cron and SSH."
        ),
        ".SH OPTIONS",
        *_options(parser),
        ".SH COMMANDS",
    ]
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {a.dest: a.help or "" for a in action._choices_actions}
        for name, sub in action.choices.items():
            usage = sub.format_usage().replace("usage: ", "").strip()
            lines += [".SS " + _esc(name), ".nf", _esc(usage), ".fi", _esc(helps.get(name, ""))]
            if sub.description and sub.description != helps.get(name):
                lines += [".PP", _esc(sub.description)]
            opts = _options(sub)
            if opts:
                lines += [".RS", *opts, ".RE"]
            for inner in sub._actions:
                if isinstance(inner, argparse._SubParsersAction):
                    for op, opp in inner.choices.items():
                        lines += [".TP", f"\\fB{_esc(name)} {_esc(op)}\\fR"]
                        lines.append(_esc(opp.format_usage().replace("usage: ", "").strip()))
    lines += [".SH KEYS (THE APP)"]
    for keys, what in _KEYS:
        lines += [".TP", f"\\fB{_esc(keys)}\\fR", _esc(what)]
    lines += [
        ".SH FILES",
        ".TP",
        "\\fI$XDG_CONFIG_HOME/mailtui/config.toml\\fR",
        "the configuration (or \\fB\\-\\-config\\fR, or \\fI$MAILTUI_CONFIG\\fR)",
        ".TP",
        "\\fI$XDG_CACHE_HOME/mailtui/\\fR",
        "header caches (disposable)",
        ".TP",
        "\\fI$XDG_STATE_HOME/mailtui/ui\\-state.json\\fR",
        "what was chosen in the app (sort, threads, theme, pane sizes)",
        ".SH EXIT STATUS",
        "0 done; 1 failed; 2 usage or configuration; 65 a message send cannot take; 70 a bug "
        "in mailtui; 75 saved, sent when the server is back; 77 the stored sign\\-in is "
        "dead (mailtui setup \\-\\-reauth NAME); 141 the reader of the output went away.",
        ".SH SEE ALSO",
        "mailtui \\-\\-help, mailtui COMMAND \\-\\-help, mailtui completion",
    ]
    return "\n".join(lines) + "\n"
