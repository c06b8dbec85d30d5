"""The query tree as SQL over the cache: the only place SQL is built from a query.

Text terms become one FTS5 MATCH over the indexed header columns (subject, sender,
recipients; the cache holds no bodies, so body: and free text look at those too),
each word a prefix match; flags, keywords, dates and sizes become conditions on the
`messages` row. FTS5 cannot start an expression with NOT, so a negated text term
that comes first is a LIKE on the subject and sender instead. The compiler never
puts the user's text into the SQL itself: every value is a parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mailtui.backend.query import (
    TEXT_TERMS,
    And,
    Before,
    Cc,
    Flag,
    From,
    Keyword,
    Larger,
    MessageId,
    Muted,
    Not,
    On,
    Or,
    Query,
    QueryError,
    Raw,
    Since,
    Smaller,
    Subject,
    To,
    local_only,
)
from mailtui.cache.db import folder_range
from mailtui.cache.messages import MessageTable
from mailtui.cache.muted import MUTED_CLAUSE, ensure
from mailtui.model import SEEN
from mailtui.text.labels import token_of

# The FTS5 column each header term looks in; body and free text look in all of them.
_COLUMN = {From: "sender", To: "recipients", Cc: "recipients", Subject: "subject"}
_HAS = "instr(' ' || m.flags || ' ', ?) > 0"
_IN_FTS = "m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)"


@dataclass
class LocalQuery:
    """A query compiled for the cache: conditions on the row `m`, their parameters in
    order, and the FTS5 MATCH expression of its top-level text terms (None without any)."""

    where: str = ""
    params: list[object] = field(default_factory=list)
    fts: str | None = None
    uses_fts: bool = False  # text terms under Or/Not(And) match the index too
    unseen: bool = False  # a top-level "unseen": the partial index of unread rows answers


def compile_query(query: Query) -> LocalQuery:
    """The query as SQL pieces; the top-level text terms of an And share one MATCH."""
    items = query.items if isinstance(query, And) else (query,)
    sql = _Sql()
    where: list[str] = []
    fts: list[str] = []
    for item in items:
        negated = isinstance(item, Not)
        inner = item.item if isinstance(item, Not) else item
        if isinstance(inner, TEXT_TERMS):
            expr = _fts_phrase(inner.text, _COLUMN.get(type(inner)))
            if expr is None:
                continue  # nothing searchable in it (punctuation, controls)
            if negated and not fts:
                # FTS5 cannot start with NOT: a LIKE on the row instead.
                where.append("NOT (m.subject LIKE ? OR m.from_name LIKE ? OR m.from_addr LIKE ?)")
                like = f"%{inner.text}%"
                sql.params += [like, like, like]
            else:
                fts.append(f"NOT {expr}" if negated else expr)
            continue
        where.append(sql.clause(item))
    return LocalQuery(
        " AND ".join(where),
        sql.params,
        " AND ".join(fts).replace("AND NOT", "NOT") if fts else None,
        sql.uses_fts,
        any(_is_unseen(item) for item in items),
    )


def _is_unseen(item: Query) -> bool:
    if isinstance(item, Not) and isinstance(item.item, Flag):
        item = Flag(item.item.name, not item.item.present)
    return isinstance(item, Flag) and item.name == SEEN and not item.present


class _Sql:
    """Conditions on the row for any node, parameters collected in the order written;
    text terms below the top level match the FTS5 index in a subquery."""

    def __init__(self) -> None:
        self.params: list[object] = []
        self.uses_fts = False

    def clause(self, query: Query) -> str:
        if isinstance(query, And | Or):
            parts = [self.clause(q) for q in query.items]
            joint = " AND " if isinstance(query, And) else " OR "
            return "(" + joint.join(parts) + ")" if parts else ("1" if joint == " AND " else "0")
        if isinstance(query, Not):
            if isinstance(query.item, Flag):
                return self.clause(Flag(query.item.name, not query.item.present))
            return f"NOT ({self.clause(query.item)})"
        if isinstance(query, TEXT_TERMS):
            expr = _fts_phrase(query.text, _COLUMN.get(type(query)))
            if expr is None:
                return "1"  # nothing searchable: the term is left out, as at the top
            self.uses_fts = True
            self.params.append(expr)
            return _IN_FTS
        if isinstance(query, MessageId):
            self.params.append(query.value)
            return "m.message_id = ?"
        if isinstance(query, Flag) and query.name == SEEN:
            # The generated column `seen`: with `m.folder = ?`, the messages_unseen index.
            return "m.seen" if query.present else "NOT m.seen"
        if isinstance(query, Flag | Keyword):
            # A Gmail label is cached spelt as a keyword (text/labels.py): "My%20Label".
            name = token_of(query.name) if isinstance(query, Keyword) else query.name
            self.params.append(f" {name} ")
            return _HAS if not isinstance(query, Flag) or query.present else f"NOT ({_HAS})"
        if isinstance(query, Since | Before | On):
            day = query.day
            start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
            if isinstance(query, On):
                self.params += [start, start]
                return "(m.date >= ? AND m.date < ? + 86400)"
            self.params.append(start)
            return "m.date >= ?" if isinstance(query, Since) else "m.date < ?"
        if isinstance(query, Larger | Smaller):
            self.params.append(query.size)
            return "m.size > ?" if isinstance(query, Larger) else "m.size < ?"
        if isinstance(query, Muted):
            return MUTED_CLAUSE
        if isinstance(query, Raw):
            raise QueryError(
                "A gmail: search runs on the server, not in the cache",
                "search the folder on the server (not the local filter)",
            )
        raise TypeError(f"not a query term: {query!r}")


class SearchTable(MessageTable):
    """The cache's searches, composed into HeaderCache beside its other tables."""

    def search(self, folder: str, query: Query, limit: int = 5000) -> list[int]:
        """UIDs of `folder` matching `query` in the cache, newest first."""
        compiled = compile_query(query)  # first: a query the cache cannot answer says so
        fid = self.folder_id(folder)
        if fid is None:
            return []
        lo, hi = folder_range(fid)
        sql = "SELECT m.uid FROM messages m WHERE m.id BETWEEN ? AND ?"
        args: list[object] = [lo, hi]
        if compiled.unseen:
            # Unread rows are few: the partial index (folder) WHERE NOT seen finds them
            # without reading every row of a 100k folder (3x faster there).
            sql += " AND m.folder = ?"
            args.append(fid)
        if compiled.fts or compiled.uses_fts:
            self.ensure_fts(folder)
        if local_only(query):
            ensure(self)  # the `muted` table (cache/muted.py), made on first use
        if compiled.fts:
            sql += f" AND {_IN_FTS}"
            args.append(compiled.fts)
        if compiled.where:
            sql += f" AND {compiled.where}"
            args.extend(compiled.params)
        sql += " ORDER BY m.date DESC, m.uid DESC LIMIT ?"
        args.append(limit)
        return [r[0] for r in self.db.execute(sql, args)]

    def search_local(
        self, folder: str | None, fts_query: str, limit: int = 1000
    ) -> list[tuple[str, int]]:
        """FTS5 match over subject/sender/recipients: (folder, uid), newest first."""
        self.ensure_fts(folder)
        names = {fid: name for name, fid in self.db.execute("SELECT name, id FROM folders")}
        params: list[object] = [fts_query]
        where = ""
        if folder is not None:
            fid = self.folder_id(folder)
            if fid is None:
                return []
            lo, hi = folder_range(fid)
            where = " AND m.id BETWEEN ? AND ?"
            params += [lo, hi]
        params.append(limit)
        rows = self.db.execute(
            "SELECT m.folder, m.uid FROM messages_fts f JOIN messages m ON m.id = f.rowid "
            f"WHERE messages_fts MATCH ?{where} ORDER BY m.date DESC LIMIT ?",
            params,
        ).fetchall()
        return [(names.get(fid, ""), uid) for fid, uid in rows]


def _fts_phrase(value: str, column: str | None) -> str | None:
    """A prefix-matching FTS5 phrase for each word, optionally limited to one column."""
    words = re.findall(r"\w+", value, re.UNICODE)
    if not words:
        return None
    phrase = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
    return f"{column} : ({phrase})" if column else f"({phrase})"
