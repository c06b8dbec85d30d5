"""Writing and sending mail: drafts, reply/forward rules, MIME building, SMTP, outbox.

Modules: `addresses` (parse and format what people type), `draft` (Draft, Original,
reply/forward rules, the editable text form), `build` (Draft → EmailMessage → bytes;
envelope facts from bytes), `send` (SMTP submission), `outbox` (durable queue),
`flow` (outbox → SMTP → Sent copy → flags, shared by the UI and `mailtui send`),
`complete` (address and path completion).

Layering (DESIGN.md §1): compose imports only `model`, `config`, `errors` and the
stdlib; the IMAP side reaches it through `flow.MailStore` callables.
"""

from mailtui.compose.addresses import AddressError, format_address, parse_address_list
from mailtui.compose.build import build_message, complete_raw, message_bytes
from mailtui.compose.complete import AddressBook, complete_address, complete_path
from mailtui.compose.draft import (
    AttachmentData,
    Draft,
    DraftError,
    Identity,
    Original,
    forward_draft,
    new_draft,
    reply_draft,
)
from mailtui.compose.editable import draft_to_editable_text, parse_edited_text
from mailtui.compose.flow import (
    DeliveryReport,
    MailStore,
    deliver,
    resolve_folder,
    retry_outbox,
    save_draft,
    send_draft,
    send_raw,
)
from mailtui.compose.outbox import Outbox, OutboxEntry
from mailtui.compose.send import (
    SendResult,
    SmtpAuthFailed,
    SmtpError,
    SmtpInsecure,
    SmtpRejected,
    SmtpUnavailable,
    send_message,
)

__all__ = [
    "AddressBook",
    "AddressError",
    "AttachmentData",
    "DeliveryReport",
    "Draft",
    "DraftError",
    "Identity",
    "MailStore",
    "Original",
    "Outbox",
    "OutboxEntry",
    "SendResult",
    "SmtpAuthFailed",
    "SmtpError",
    "SmtpInsecure",
    "SmtpRejected",
    "SmtpUnavailable",
    "build_message",
    "complete_address",
    "complete_path",
    "complete_raw",
    "deliver",
    "draft_to_editable_text",
    "format_address",
    "forward_draft",
    "message_bytes",
    "new_draft",
    "parse_address_list",
    "parse_edited_text",
    "reply_draft",
    "resolve_folder",
    "retry_outbox",
    "save_draft",
    "send_draft",
    "send_message",
    "send_raw",
]
