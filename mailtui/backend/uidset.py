"""UID sets and UID maps: ranges, never expanded lists, with RFC 9051's bounds.

Every adapter (imap, maildir), the sync layer, the cache and the journal exchange UID
sets as `UidSet`: a mailbox of a million messages answered as "1:1000000" stays one
range, and a hostile server's "1:4294967295" costs nothing until it is iterated.
"""

from __future__ import annotations

import itertools
import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence

from mailtui.errors import MalformedResponse

# --- UID sets ----------------------------------------------------------------------------

# RFC 9051 §9: a UID is an nz-number, a 32-bit unsigned value; 0 is never a UID. The
# cache keys a message by folder << 32 | uid, so a larger one would land in the next
# folder's rows.
UID_MAX = 0xFFFF_FFFF

# One element of a sequence set: "7", "3:9", "9:3" (the same range), "*" or "5:*".
_SET_PART = re.compile(rb"([0-9]+|\*)(?::([0-9]+|\*))?(,|\Z)")


def _bound(digits: bytes, text: bytes, star: int | None) -> int:
    """One end of a range, checked: digits only, 1 ≤ n ≤ UID_MAX (or "*" where allowed)."""
    if digits == b"*":
        if star is None:
            raise MalformedResponse(f"'*' in a UID set where a UID is needed: {_shown(text)}")
        return star
    if len(digits) > 10 or not 1 <= (n := int(digits)) <= UID_MAX:
        raise MalformedResponse(f"UID out of range (1 to 2^32-1) in {_shown(text)}")
    return n


def _shown(text: bytes) -> str:
    """A server's text, short enough for an error message (the edge sanitises it)."""
    return repr(text[:60]) + ("…" if len(text) > 60 else "")


def _as_bytes(text: bytes | str) -> bytes:
    return text.encode("ascii", "replace") if isinstance(text, str) else bytes(text)


def _parts(text: bytes | str, star: int | None) -> Iterator[tuple[int, int]]:
    """The (first, last) pairs of a sequence set, in the order written; strict syntax."""
    raw = _as_bytes(text).strip()
    if not raw:
        raise MalformedResponse("An empty UID set")
    pos, end = 0, len(raw)
    while pos < end:
        m = _SET_PART.match(raw, pos)
        if m is None:
            raise MalformedResponse(f"Not a UID set: {_shown(raw)}")
        first = _bound(m.group(1), raw, star)
        last = first if m.group(2) is None else _bound(m.group(2), raw, star)
        yield first, last
        pos = m.end()
        if m.group(3) and pos == end:
            raise MalformedResponse(f"Not a UID set (trailing comma): {_shown(raw)}")


def uid_ranges(text: bytes | str, *, star: int | None = None) -> Iterator[tuple[int, int]]:
    """The (first, last) pairs of a sequence set as written ("9:3" stays (9, 3), "*"
    becomes `star`), checked as `UidSet.parse` checks them; lazily, so a caller that
    looks at the bounds someone wrote stops at the first that answers it."""
    return _parts(text, star)


class _Builder:
    """Collects ranges into two arrays of 32-bit bounds (8 bytes a range, whatever its
    size); sorts and merges only when they did not arrive in order."""

    __slots__ = ("hi", "lo", "ordered")

    def __init__(self) -> None:
        self.lo = array("I")
        self.hi = array("I")
        self.ordered = True

    def add(self, first: int, last: int) -> None:
        if first > last:
            first, last = last, first
        lo, hi = self.lo, self.hi
        if lo:
            top = hi[-1]
            if first > top + 1:
                pass
            elif first >= lo[-1]:  # touches or overlaps the last range: extend it
                if last > top:
                    hi[-1] = last
                return
            else:
                self.ordered = False
        lo.append(first)
        hi.append(last)

    def build(self) -> UidSet:
        lo, hi = self.lo, self.hi
        if not self.ordered:
            packed = sorted((a << 32) | b for a, b in zip(lo, hi, strict=True))
            merged = _Builder()
            for p in packed:
                merged.add(p >> 32, p & UID_MAX)
            lo, hi = merged.lo, merged.hi
        return UidSet._from_arrays(lo, hi)


def _check_uid(uid: int) -> int:
    if not isinstance(uid, int) or not 1 <= uid <= UID_MAX:
        raise ValueError(f"not a UID (1 to 2^32-1): {uid!r}")
    return uid


class UidSet:
    """A set of UIDs kept as sorted, merged ranges: `1:4294967295` costs two integers.

    Every UID set a store sends (SEARCH and ESEARCH results, VANISHED, COPYUID) and
    every one mailtui sends is one of these, so a hostile range costs O(ranges), never
    O(UIDs). Counting is O(1), membership O(log ranges), iteration lazy; where a caller
    needs concrete UIDs it intersects with the UIDs it knows (`pick`, `&`).
    Immutable; compares equal to a list or tuple of the same UIDs.
    """

    __slots__ = ("_count", "_hi", "_lo")

    _lo: array[int]
    _hi: array[int]
    _count: int

    def __init__(self, uids: Iterable[int] = ()) -> None:
        if isinstance(uids, UidSet):
            self._lo, self._hi, self._count = uids._lo, uids._hi, uids._count
            return
        if isinstance(uids, range) and uids.step == 1:
            other = UidSet.span(uids.start, uids.stop - 1) if len(uids) else UidSet()
            self._lo, self._hi, self._count = other._lo, other._hi, other._count
            return
        builder = _Builder()
        for uid in uids:
            _check_uid(uid)
            builder.add(uid, uid)
        built = builder.build()
        self._lo, self._hi, self._count = built._lo, built._hi, built._count

    @classmethod
    def _from_arrays(cls, lo: array[int], hi: array[int]) -> UidSet:
        out = cls.__new__(cls)
        out._lo, out._hi = lo, hi
        out._count = sum(hi) - sum(lo) + len(lo)
        return out

    @classmethod
    def span(cls, first: int, last: int) -> UidSet:
        """Every UID from `first` to `last` (empty when last < first)."""
        if last < first:
            return cls()
        return cls._from_arrays(array("I", [_check_uid(first)]), array("I", [_check_uid(last)]))

    @classmethod
    def parse(cls, text: bytes | str, *, star: int | None = None) -> UidSet:
        """An IMAP sequence set ("1:3,7,9:10"), strictly: digits, ':' and ',' only, each
        UID 1 ≤ uid < 2^32, "*" only where `star` says what it stands for (RFC 9051 §9).
        Anything else raises `MalformedResponse` (a ProtocolError)."""
        builder = _Builder()
        for first, last in _parts(text, star):
            builder.add(first, last)
        return builder.build()

    # --- the set ---------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __contains__(self, uid: object) -> bool:
        if not isinstance(uid, int):
            return False
        i = bisect_right(self._lo, uid) - 1
        return i >= 0 and uid <= self._hi[i]

    def __iter__(self) -> Iterator[int]:
        for first, last in zip(self._lo, self._hi, strict=True):
            yield from range(first, last + 1)

    def __reversed__(self) -> Iterator[int]:
        lo, hi = self._lo, self._hi
        for i in range(len(lo) - 1, -1, -1):
            yield from range(hi[i], lo[i] - 1, -1)

    def ranges(self) -> Iterator[tuple[int, int]]:
        """The (first, last) of each range, ascending."""
        return zip(self._lo, self._hi, strict=True)

    def min(self) -> int:
        if not self._count:
            raise ValueError("empty UID set")
        return self._lo[0]

    def max(self) -> int:
        if not self._count:
            raise ValueError("empty UID set")
        return self._hi[-1]

    def pick(self, uids: Iterable[int]) -> list[int]:
        """Those of `uids` (e.g. the cached ones) in this set: concrete UIDs out of a
        range a server sent, without ever expanding the range."""
        if isinstance(uids, list | tuple) and len(self._lo) * 8 < len(uids):
            return self.within(uids)  # few ranges, many UIDs: slice by range
        return [u for u in uids if u in self]

    def within(self, existing: Sequence[int]) -> list[int]:
        """Those of the ascending `existing` UIDs in this set, range by range:
        O(ranges × log n) plus what is returned."""
        out: list[int] = []
        for first, last in self.ranges():
            out.extend(existing[bisect_left(existing, first) : bisect_right(existing, last)])
        return out

    def __and__(self, other: Iterable[int]) -> UidSet:
        b = _coerce(other)
        out = _Builder()
        alo, ahi, blo, bhi = self._lo, self._hi, b._lo, b._hi
        i = j = 0
        while i < len(alo) and j < len(blo):
            first, last = max(alo[i], blo[j]), min(ahi[i], bhi[j])
            if first <= last:
                out.add(first, last)
            if ahi[i] < bhi[j]:
                i += 1
            else:
                j += 1
        return out.build()

    def __or__(self, other: Iterable[int]) -> UidSet:
        b = _coerce(other)
        out = _Builder()
        pairs = sorted([*self.ranges(), *b.ranges()]) if b else list(self.ranges())
        for first, last in pairs:
            out.add(first, last)
        return out.build()

    def __sub__(self, other: Iterable[int]) -> UidSet:
        b = _coerce(other)
        out = _Builder()
        blo, bhi = b._lo, b._hi
        j = 0
        for first, last in self.ranges():
            while j < len(blo) and bhi[j] < first:
                j += 1
            k = j
            while first <= last and k < len(blo) and blo[k] <= last:
                if blo[k] > first:
                    out.add(first, blo[k] - 1)
                first = max(first, bhi[k] + 1)
                k += 1
            if first <= last:
                out.add(first, last)
        return out.build()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, UidSet):
            return self._lo == other._lo and self._hi == other._hi
        if isinstance(other, list | tuple | range):
            return len(other) == self._count and list(self) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self._lo.tobytes(), self._hi.tobytes()))

    # --- as text -----------------------------------------------------------------------

    def compress(self) -> str:
        """The IMAP sequence set ("1:1000,1002"): one command for any count."""
        if not self._count:
            raise ValueError("empty UID set")
        return ",".join(f"{a}:{b}" if a != b else str(a) for a, b in self.ranges())

    def __str__(self) -> str:
        return self.compress() if self._count else ""

    def __repr__(self) -> str:
        text = str(self)
        return f"UidSet({text[:80]!r}{'…' if len(text) > 80 else ''})"


def _coerce(uids: Iterable[int]) -> UidSet:
    return uids if isinstance(uids, UidSet) else UidSet(uids)


def compress_uids(uids: Iterable[int]) -> str:
    """A compact sequence set for `uids` ("1:1000,1002"); raises ValueError when empty."""
    return _coerce(uids).compress()


class UidMap:
    """COPYUID's pairing of source to destination UIDs (RFC 4315 §3), as paired ranges.

    The two sets pair up in the order the server wrote them, and a range may run
    downwards ("5:3" is 5, 4, 3). A map of a billion-UID range is a few integers;
    `restrict` gives the plain dict for just the UIDs a caller asked about.
    """

    __slots__ = ("_count", "_dir", "_dst", "_hi", "_lo")

    def __init__(self, source: bytes | str, dest: bytes | str) -> None:
        src = list(_parts(source, None))
        dst = list(_parts(dest, None))
        segments: list[tuple[int, int, int, int]] = []  # (src low, src high, dst at low, dir)
        count = 0
        i = j = 0
        s_at, d_at = src[0][0], dst[0][0]
        while i < len(src) and j < len(dst):
            (s0, s1), (d0, d1) = src[i], dst[j]
            s_step, d_step = (1 if s1 >= s0 else -1), (1 if d1 >= d0 else -1)
            s_left, d_left = abs(s1 - s_at) + 1, abs(d1 - d_at) + 1
            n = min(s_left, d_left)
            s_end, d_end = s_at + s_step * (n - 1), d_at + d_step * (n - 1)
            if s_step > 0:
                segments.append((s_at, s_end, d_at, s_step * d_step))
            else:
                segments.append((s_end, s_at, d_end, s_step * d_step))
            count += n
            if n == s_left:
                i += 1
                s_at = src[i][0] if i < len(src) else 0
            else:
                s_at = s_end + s_step
            if n == d_left:
                j += 1
                d_at = dst[j][0] if j < len(dst) else 0
            else:
                d_at = d_end + d_step
        if i < len(src) or j < len(dst):
            raise ValueError("COPYUID source and destination sets differ in size")
        segments.sort()
        for (_, prev_hi, _, _), (lo, _, _, _) in itertools.pairwise(segments):
            if lo <= prev_hi:
                raise ValueError("COPYUID names a source UID twice")
        self._lo = array("I", (s[0] for s in segments))
        self._hi = array("I", (s[1] for s in segments))
        self._dst = array("I", (s[2] for s in segments))
        self._dir = array("b", (s[3] for s in segments))
        self._count = count

    def get(self, uid: int, default: int | None = None) -> int | None:
        i = bisect_right(self._lo, uid) - 1
        if i < 0 or uid > self._hi[i]:
            return default
        return self._dst[i] + self._dir[i] * (uid - self._lo[i])

    def __contains__(self, uid: object) -> bool:
        return isinstance(uid, int) and self.get(uid) is not None

    def __getitem__(self, uid: int) -> int:
        found = self.get(uid)
        if found is None:
            raise KeyError(uid)
        return found

    def __len__(self) -> int:
        return self._count

    def items(self) -> Iterator[tuple[int, int]]:
        """(source, destination) pairs by source UID, lazily."""
        for lo, hi, dst, step in zip(self._lo, self._hi, self._dst, self._dir, strict=True):
            for k in range(hi - lo + 1):
                yield lo + k, dst + step * k

    def restrict(self, uids: Iterable[int]) -> dict[int, int]:
        """{source: destination} for those of `uids` the map names."""
        out: dict[int, int] = {}
        for uid in uids:
            found = self.get(uid)
            if found is not None:
                out[uid] = found
        return out
