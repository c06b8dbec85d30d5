"""Local Maildir trees behind the same `backend.Session` interface as an IMAP server.

`session.MaildirSession` is the adapter; the rest are its parts, each with one job:
`layout` (which directories are folders: Maildir++ or nested; names in modified UTF-7,
`text.utf7`), `names` (file names, the ":2," info and its flags), `uidmap`
(UIDs/UIDVALIDITY in mailtui's data dir), `folder` (listing a folder into UIDs),
`keywords` (Dovecot's keyword letters), `sections` (BODY[section] from a file),
`search` (IMAP SEARCH over files), `disk` (atomic changes to the tree), `watch`
(inotify or polling for IDLE). Only the stdlib, `model`, `errors`, `backend`,
`config` and `mime` are imported here.
"""
