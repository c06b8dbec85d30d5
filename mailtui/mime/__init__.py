"""Everything a stranger sends, decoded and made safe to show.

Modules (imported directly, so `text.safe` stays cheap for the CLI's error path):
`safe` (untrusted text and filenames), `headers` (RFC 2047, addresses, dates, ids),
`parse` (whole messages, IMAP part numbers), `html` (HTML to inert text), `render`
(body choice, blocks, rich Text), `threads` (JWZ threading), `attachments` (saving).
Only the stdlib, rich, html2text, `mailtui.model` and `mailtui.errors` are imported here.
"""
