"""Use cases shared by the TUI and the CLI.

What both faces do, written once below them (docs/arch: layer 2): each module takes
plain values (settings, parsed headers, a message's part bytes) and returns plain
values or performs one well-defined effect, so `mailtui.ui` and `mailtui.cli` only
decide *when* to call it and how to show the result.

Modules: `reading` (which part of a message is shown and that part as text: the
reader, `mailtui show` and a reply's quote), `store` (compose's message store over the
service: Sent copy, flags, the replied-to message), `sending` (an account's outbox
and its retry schedule), `addressbook` (completion from the header cache),
`invitation` (answer a calendar invitation), `unsubscribe` (List-Unsubscribe plans
and the RFC 8058 one-click POST), `notify` (new-mail bell, OSC 9/777, the
new_mail_command hook, quiet hours), `mailcap` (which program opens or renders an
attachment, as an argument list).
"""
