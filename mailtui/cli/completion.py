"""`mailtui completion bash|zsh|fish`: shell completion, generated from the argument parser.

Subcommands, their flags and folder operations come from `build_parser()`, so the
scripts cannot drift from the commands. Account and folder names come at completion
time from `mailtui completion --list accounts|folders [--account A]`, which reads the
config and the header cache only (no network, no password), and prints nothing when
there is no config yet. Names are printed one a line, control characters removed.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field

from mailtui.text.safe import clean_line

SHELLS = ("bash", "zsh", "fish")
# Commands whose first positional argument is a folder.
FOLDER_FIRST = ("list", "show", "save", "mark", "move", "copy", "delete", "archive", "search")
ACCOUNT_FIRST = ("sync", "watch", "login")


@dataclass
class Command:
    """One subcommand as completion needs it."""

    name: str
    help: str
    flags: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)  # `folder create|rename|…`


def commands(parser: argparse.ArgumentParser) -> list[Command]:
    """The subcommands with their flags, read from the parser."""
    out = []
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {a.dest: a.help or "" for a in action._choices_actions}
        for name, sub in action.choices.items():
            cmd = Command(name, helps.get(name, ""))
            for a in sub._actions:
                if isinstance(a, argparse._SubParsersAction):
                    cmd.ops = list(a.choices)
                    for op in a.choices.values():
                        cmd.flags += [s for x in op._actions for s in x.option_strings]
                else:
                    cmd.flags += [s for s in a.option_strings]
            cmd.flags = sorted(dict.fromkeys(f for f in cmd.flags if f.startswith("--")))
            out.append(cmd)
    return out


def top_flags(parser: argparse.ArgumentParser) -> list[str]:
    return [s for a in parser._actions for s in a.option_strings if s.startswith("--")]


def add_parser(sub: argparse._SubParsersAction, root: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description="Print a completion script: `mailtui completion bash > "
        "~/.local/share/bash-completion/completions/mailtui`, "
        "`mailtui completion zsh > ~/.zfunc/_mailtui`, "
        "`mailtui completion fish > ~/.config/fish/completions/mailtui.fish`.",
    )
    p.add_argument("shell", nargs="?", choices=SHELLS)
    p.add_argument("--list", choices=("accounts", "folders"), help=argparse.SUPPRESS)
    p.add_argument("--account", "-a", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_completion, root_parser=root)


def cmd_completion(args: argparse.Namespace) -> int:
    if args.list:
        for name in _names(args):
            print(name)
        return 0
    if not args.shell:
        print("say which shell: mailtui completion bash|zsh|fish", file=sys.stderr)
        return 2
    parser = args.root_parser
    script = {"bash": bash, "zsh": zsh, "fish": fish}[args.shell](parser)
    sys.stdout.write(script)
    return 0


def _names(args: argparse.Namespace) -> list[str]:
    """Account or folder names from the config and the cache; [] when there is none."""
    from mailtui.errors import MailtuiError

    try:
        from mailtui.cli.access import open_context

        ctx = open_context(args)
    except (MailtuiError, OSError):
        return []
    try:
        if args.list == "accounts":
            names = list(ctx.settings.accounts)
        else:
            names = [f.name for f in ctx.service(args.account).folders() if f.selectable]
    except (MailtuiError, OSError):
        names = []
    finally:
        ctx.close()
    return [n for n in (clean_line(x) for x in names) if n and not n.startswith("-")]


def _words(items: list[str]) -> str:
    return " ".join(items)


def bash(parser: argparse.ArgumentParser) -> str:
    cmds = commands(parser)
    cases = []
    for c in cmds:
        extra = ""
        if c.ops:
            extra = (
                f'            if [ "$cword_index" -eq 2 ]; then words="$(printf \'%s\\n\' {_words(c.ops)})"; '
                'else words="$(_mailtui_names folders)"; fi\n'
            )
        elif c.name in FOLDER_FIRST:
            extra = '            [ "$cword_index" -eq 2 ] && words="$(_mailtui_names folders)"\n'
        elif c.name in ACCOUNT_FIRST:
            extra = '            [ "$cword_index" -eq 2 ] && words="$(_mailtui_names accounts)"\n'
        elif c.name == "completion":
            extra = f"            words=\"$(printf '%s\\n' {_words(list(SHELLS))})\"\n"
        cases.append(
            f'        {c.name})\n            flags="{_words(c.flags)}"\n{extra}            ;;\n'
        )
    return f"""# bash completion for mailtui (generated by `mailtui completion bash`)
_mailtui_names() {{
    mailtui completion --list "$1" ${{_mailtui_account:+--account "$_mailtui_account"}} 2>/dev/null
}}
_mailtui() {{
    local cur prev cmd cword_index words flags i
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    cmd="" _mailtui_account="" cword_index=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            --account|-a) _mailtui_account="${{COMP_WORDS[i+1]}}"; ((i++)) ;;
            --config|--log) ((i++)) ;;
            -*) ;;
            *) if [ -z "$cmd" ]; then cmd="${{COMP_WORDS[i]}}"; cword_index=1; else ((cword_index++)); fi ;;
        esac
    done
    ((cword_index++))
    case "$prev" in
        --account|-a) COMPREPLY=($(compgen -W "$(_mailtui_names accounts)" -- "$cur")); return ;;
        --folder) COMPREPLY=($(compgen -W "$(_mailtui_names folders)" -- "$cur")); return ;;
        --config|--log|--dir|-d) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    if [ -z "$cmd" ]; then
        COMPREPLY=($(compgen -W "{_words([c.name for c in cmds])} {_words(top_flags(parser))}" -- "$cur"))
        return
    fi
    words="" flags=""
    case "$cmd" in
{"".join(cases)}    esac
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    else
        local IFS=$'\\n'
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    fi
}}
complete -F _mailtui mailtui
"""


def zsh(parser: argparse.ArgumentParser) -> str:
    """zsh runs the bash function through bashcompinit (part of zsh)."""
    return (
        "#compdef mailtui\n"
        "# zsh completion for mailtui (generated by `mailtui completion zsh`)\n"
        "autoload -U +X bashcompinit && bashcompinit\n" + bash(parser).split("\n", 1)[1]
    )


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish(parser: argparse.ArgumentParser) -> str:
    cmds = commands(parser)
    names = " ".join(c.name for c in cmds)
    lines = [
        "# fish completion for mailtui (generated by `mailtui completion fish`)",
        "complete -c mailtui -f",
    ]
    for flag in top_flags(parser):
        lines.append(f"complete -c mailtui -n '__fish_use_subcommand' -l {flag[2:]}")
    for c in cmds:
        lines.append(
            f"complete -c mailtui -n '__fish_use_subcommand' -a {c.name} -d {_fish_quote(c.help)}"
        )
        for flag in c.flags:
            lines.append(
                f"complete -c mailtui -n '__fish_seen_subcommand_from {c.name}' -l {flag[2:]}"
            )
        if c.ops:
            ops = " ".join(c.ops)
            lines.append(
                f"complete -c mailtui -n '__fish_seen_subcommand_from {c.name}; "
                f"and not __fish_seen_subcommand_from {ops}' -a '{ops}'"
            )
    folder_cmds = " ".join([*FOLDER_FIRST, "folder"])
    account_cmds = " ".join(ACCOUNT_FIRST)
    lines += [
        f"complete -c mailtui -n '__fish_seen_subcommand_from {folder_cmds}' "
        "-a '(mailtui completion --list folders 2>/dev/null)'",
        f"complete -c mailtui -n '__fish_seen_subcommand_from {account_cmds}' "
        "-a '(mailtui completion --list accounts 2>/dev/null)'",
        "complete -c mailtui -l account -s a -x -a '(mailtui completion --list accounts 2>/dev/null)'",
        "complete -c mailtui -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'",
        f"# subcommands: {names}",
    ]
    return "\n".join(lines) + "\n"
