"""Dovecot's BODYSTRUCTURE and mailtui's own MIME parser must agree on part numbers.

A part chosen from the cached structure is fetched by its section number, so any
disagreement shows the wrong part or an empty attachment.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailtui.imap.session import ImapSession
from mailtui.mime.parse import parse_message, transfer_decode
from mailtui.model import BodyPart
from tests.support import mailgen
from tests.support.accounts import settings_for
from tests.support.dovecot import Dovecot, MailUser


def _shape(part: BodyPart) -> list[tuple[str, str]]:
    return [(p.section, p.mime_type) for p in part.walk() if not p.is_multipart]


def _session(dovecot: Dovecot, user: MailUser) -> ImapSession:
    from mailtui.config.credentials import Secret

    server = settings_for(dovecot, user).account().imap
    session = ImapSession(server, lambda: Secret("password", user.password))
    session.connect()
    session.select("INBOX")
    return session


def test_generated_mail_structures_agree(dovecot: Dovecot, mail_user: MailUser) -> None:
    msgs = list(mailgen.generate(40, seed=40, attachment_ratio=0.5, html_ratio=0.5))
    client = dovecot.client(mail_user)
    uids = mailgen.append_imap(client, "INBOX", msgs)
    client.logout()
    session = _session(dovecot, mail_user)
    try:
        for uid, msg in zip(uids, msgs, strict=True):
            ours = parse_message(msg.raw).structure
            theirs = session.fetch_bodystructure(uid)
            assert _shape(theirs) == _shape(ours), msg.subject
            parsed = parse_message(msg.raw)
            for part in theirs.walk():
                if part.is_multipart or part.maintype == "message":
                    continue
                fetched = transfer_decode(session.fetch_section(uid, part.section), part.encoding)
                assert fetched.rstrip(b"\r\n") == parsed.part_bytes(part.section).rstrip(b"\r\n")
    finally:
        session.close()


leaf = st.sampled_from(
    ["text/plain", "text/html", "image/png", "application/pdf", "message/rfc822"]
)


def _tree(draw_leaf: str, children: list) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    if children:
        msg.make_mixed()
        for child in children:
            msg.attach(child)
        return msg
    kind = draw_leaf
    if kind == "text/plain":
        msg.set_content("hello\n")
    elif kind == "text/html":
        msg.set_content("<p>hi</p>", subtype="html")
    elif kind == "message/rfc822":
        inner = EmailMessage(policy=SMTP)
        inner["Subject"] = "inner"
        inner.set_content("inner body\n")
        inner.add_attachment(b"\x89PNG....", maintype="image", subtype="png", filename="i.png")
        msg.set_content(inner)
    else:
        maintype, subtype = kind.split("/")
        msg.set_content(
            b"\x00\x01data", maintype=maintype, subtype=subtype, filename=f"f.{subtype}"
        )
    return msg


trees = st.recursive(
    leaf.map(lambda k: _tree(k, [])),
    lambda kids: st.lists(kids, min_size=1, max_size=3).map(lambda cs: _tree("", cs)),
    max_leaves=6,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tree=trees)
def test_random_mime_trees_agree(dovecot: Dovecot, tree: EmailMessage) -> None:
    user = dovecot.add_user()
    tree["Subject"] = "tree"
    tree["From"] = "a@example.test"
    raw = tree.as_bytes(policy=SMTP)
    client = dovecot.client(user)
    (uid,) = mailgen.append_imap(client, "INBOX", [mailgen.from_bytes(raw)])
    client.logout()
    session = _session(dovecot, user)
    try:
        assert _shape(session.fetch_bodystructure(uid)) == _shape(parse_message(raw).structure)
    finally:
        session.close()
