"""What the soak promised, message by message, and the check of each promise on the server.

Every step acts on messages no earlier step touched, so each message's fate depends on
one step only. A step the actor saw journaled (and, for an undo, saw undone) must have
landed exactly once; a step cut short by a kill may have landed or not, but never
twice and never half. Messages are identified by Message-ID across the folders the
soak uses, so a moved or undone message is found under whatever UID it now has.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

FOLDERS = ("INBOX", "Moved", "Copies", "Trash")
# Flags a flag step adds; the churn never touches these on the actor's messages.
MARKS = frozenset({"\\Flagged", "$Soak"})
KINDS = ("flag", "move", "copy", "delete")
DEST = {"move": "Moved", "copy": "Copies", "delete": "Trash"}


@dataclass(frozen=True)
class Outcome:
    """Where one message may be (folder → count) and whether its INBOX copy has MARKS."""

    where: tuple[tuple[str, int], ...]
    marked: bool | None = None  # None: not checked

    @staticmethod
    def of(marked: bool | None = None, **where: int) -> Outcome:
        return Outcome(tuple(sorted((k, v) for k, v in where.items() if v)), marked)

    def counts(self) -> Counter[str]:
        return Counter(dict(self.where))


UNTOUCHED = Outcome.of(marked=False, INBOX=1)


def applied(kind: str) -> Outcome:
    """The message after `kind` was applied (and not undone)."""
    if kind == "flag":
        return Outcome.of(marked=True, INBOX=1)
    if kind == "copy":
        return Outcome.of(marked=False, INBOX=1, Copies=1)
    return Outcome(((DEST[kind], 1),))


@dataclass
class Step:
    id: int
    kind: str
    uids: tuple[int, ...]  # INBOX UIDs when the step was planned
    mids: tuple[str, ...]
    undo: bool
    log: list[str] = field(default_factory=list)  # what the actor wrote about it

    @property
    def actions(self) -> int:
        return 2 if self.undo else 1

    def spec(self) -> dict:
        return {"id": self.id, "kind": self.kind, "uids": list(self.uids), "undo": self.undo}

    def allowed(self) -> set[Outcome]:
        """Every outcome this step may have, given what the actor reported before it ended
        (or was killed)."""
        said = {line.split()[0] for line in self.log}
        done, undone = applied(self.kind), UNTOUCHED
        if "refused" in said:
            return {UNTOUCHED}  # never sent: the server must not have it
        if "journaled" not in said:
            return {UNTOUCHED, done, undone} if self.undo else {UNTOUCHED, done}
        if not self.undo or "undo-failed" in said:
            return {done}
        if "undone" in said:
            return {undone}
        return {done, undone}  # killed between the action and its undo's ending


@dataclass
class Verdict:
    """Broken promises, keyed "<step>:<Message-ID>" (so rounds can be compared)."""

    checked: int = 0
    lost: dict[str, str] = field(default_factory=dict)
    doubled: dict[str, str] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)


class Ledger:
    """The steps planned so far, and the pool of messages no step has touched yet."""

    def __init__(self, inbox: dict[int, str]) -> None:
        self.free = sorted(inbox)  # INBOX UIDs of untouched pool messages
        self.mid = dict(inbox)
        self.pool = set(inbox.values())
        self.steps: list[Step] = []
        # Once a check has seen an ambiguous step's outcome, it must stay that way.
        self.settled: dict[int, Outcome] = {}

    def plan(self, kind: str, count: int, undo: bool) -> Step | None:
        if len(self.free) < count:
            return None
        uids, self.free = tuple(self.free[:count]), self.free[count:]
        step = Step(len(self.steps) + 1, kind, uids, tuple(self.mid[u] for u in uids), undo)
        self.steps.append(step)
        return step

    def read_log(self, lines: list[str]) -> None:
        """Attach the actor's log lines ("<word> <step id> ...") to their steps."""
        by_id = {s.id: s for s in self.steps}
        for line in lines:
            words = line.split()
            if len(words) >= 2 and words[1].isdigit() and int(words[1]) in by_id:
                by_id[int(words[1])].log.append(" ".join([words[0], *words[2:]]))

    def check(self, seen: dict[str, list[tuple[str, frozenset[str]]]]) -> Verdict:
        """`seen`: Message-ID → [(folder, flags)] as the server holds them now."""
        verdict = Verdict()
        touched = set()
        for step in self.steps:
            verdict.checked += step.actions
            if any(line.startswith("refused") for line in step.log):
                verdict.refused.append(f"step {step.id} {step.kind}: {step.log}")
            allowed = {self.settled[step.id]} if step.id in self.settled else step.allowed()
            outcomes = set()
            for mid in step.mids:
                touched.add(mid)
                actual = _actual(seen.get(mid, []))
                match = next((o for o in allowed if _fits(o, actual)), None)
                if match is None:
                    where = _where(seen.get(mid, []))
                    bucket = verdict.doubled if _more(actual, allowed) else verdict.lost
                    bucket[f"{step.id}:{mid}"] = (
                        f"step {step.id} {step.kind}{' + undo' if step.undo else ''} "
                        f"<{mid}>: server {where}, allowed {sorted(map(_show, allowed))}, "
                        f"actor said {step.log}"
                    )
                else:
                    outcomes.add(match)
            if len(outcomes) > 1:  # one step, one command: all its messages alike
                verdict.lost[f"{step.id}:*"] = f"step {step.id} {step.kind}: applied to some only"
            elif len(outcomes) == 1 and len(allowed) > 1:
                self.settled[step.id] = outcomes.pop()
        for mid in self.pool - touched:
            if not _fits(UNTOUCHED, _actual(seen.get(mid, []))):
                verdict.lost[f"0:{mid}"] = f"untouched <{mid}> changed: {_where(seen.get(mid, []))}"
        return verdict


def _actual(places: list[tuple[str, frozenset[str]]]) -> tuple[Counter[str], bool | None]:
    counts = Counter(folder for folder, _flags in places)
    inbox = [flags for folder, flags in places if folder == "INBOX"]
    marked = None
    if len(inbox) == 1:
        have = MARKS & inbox[0]
        marked = True if have == MARKS else False if not have else None  # None: half-marked
    return counts, marked


def _fits(outcome: Outcome, actual: tuple[Counter[str], bool | None]) -> bool:
    counts, marked = actual
    if counts != outcome.counts():
        return False
    return outcome.marked is None or marked == outcome.marked


def _more(actual: tuple[Counter[str], bool | None], allowed: set[Outcome]) -> bool:
    """More instances than any allowed outcome has somewhere: a doubled action."""
    counts = actual[0]
    return any(
        all(counts[f] >= o.counts()[f] for f in FOLDERS) and counts != o.counts() for o in allowed
    ) or any(n > 1 for n in counts.values())


def _where(places: list[tuple[str, frozenset[str]]]) -> str:
    return ", ".join(f"{f} {sorted(MARKS & flags)}" for f, flags in places) or "nowhere"


def _show(outcome: Outcome) -> str:
    where = " + ".join(f"{f}×{n}" for f, n in outcome.where)
    marked = {True: " marked", False: " unmarked", None: ""}[outcome.marked]
    return where + marked
