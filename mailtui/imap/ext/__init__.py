"""Server extensions and provider quirks, one small module each.

Each reports through the session's `model.Capabilities` (`labels`, `raw_search`…), so
sync and the UI ask "does the session support labels?", never "is this Gmail?":
- `gmail.py`  X-GM-EXT-1: ID, labels, X-GM-MSGID/X-GM-THRID, X-GM-RAW, archive by label.
- `quirks.py` what some servers get wrong, and the `quirks = [...]` switches that work
  around it (throttling, Yahoo's CLIENTBUG, iCloud's QRESYNC).
"""
