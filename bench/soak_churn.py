"""The soak's "other device": a second IMAP client changing the mailbox all the time.

It delivers its own mail to INBOX, reads and expunges it, moves some to Moved, and
toggles a `$Churn` keyword on the actor's messages — so every sync mailtui runs sees
new UIDs, expunges (VANISHED / EXPUNGE), flag changes and a moving UIDNEXT. It never
moves, deletes or marks (\\Flagged, $Soak) the actor's messages, so the soak's ledger
stays exact. `pause()` returns once the client is between operations and stays so
until `resume()`: checks compare cache and server on a mailbox that holds still.
"""

from __future__ import annotations

import random
import threading
import time

import imapclient

from tests.support.dovecot import Dovecot, MailUser


class Churn(threading.Thread):
    def __init__(self, dc: Dovecot, user: MailUser, pool: set[str], seed: int) -> None:
        super().__init__(name="soak-churn", daemon=True)
        self.dc, self.user, self.pool = dc, user, pool
        self.rng = random.Random(seed)
        self.go = threading.Event()
        self.go.set()
        self.holding = threading.Event()
        self.stopping = threading.Event()
        self.ops = 0
        self.error: BaseException | None = None
        self.sent = 0

    def pause(self) -> None:
        self.go.clear()
        if not self.holding.wait(60) and self.is_alive():
            raise RuntimeError("the churn client did not pause")

    def resume(self) -> None:
        self.holding.clear()
        self.go.set()

    def stop(self) -> None:
        self.stopping.set()
        self.go.set()
        self.join(30)

    def run(self) -> None:
        client: imapclient.IMAPClient | None = None
        try:
            while not self.stopping.is_set():
                if not self.go.is_set():
                    self.holding.set()
                    self.go.wait()
                    continue
                if client is None:
                    client = self.dc.client(self.user)
                self._one(client)
                self.ops += 1
                time.sleep(self.rng.uniform(0.03, 0.15))  # pacing, not synchronisation
        except BaseException as exc:  # reported by the soak at the end
            self.error = exc
            self.holding.set()
        finally:
            if client is not None:
                try:
                    client.logout()
                except Exception:
                    pass

    def _one(self, client: imapclient.IMAPClient) -> None:
        client.select_folder("INBOX")
        uids = client.search(["ALL"])
        r = self.rng.random()
        ours = self._ours(client, uids) if r >= 0.3 else set()
        if r < 0.3 or not ours:
            self.sent += 1
            n = self.sent
            raw = (
                "From: Other Device <other@example.test>\r\nTo: soak@example.test\r\n"
                f"Subject: churn #{n}\r\nMessage-ID: <churn-{n}@soak.example>\r\n\r\n"
                f"hello {n}\r\n"
            ).encode()
            client.append("INBOX", raw, flags=[b"\\Seen"] if n % 3 == 0 else [])
        elif r < 0.5:
            uid = self.rng.choice(sorted(ours))
            flag = [b"\\Seen"]
            if self.rng.random() < 0.5:
                client.add_flags([uid], flag)
            else:
                client.remove_flags([uid], flag)
        elif r < 0.65:
            uid = self.rng.choice(sorted(ours))
            client.add_flags([uid], [b"\\Deleted"])
            client.uid_expunge([uid])
        elif r < 0.75:
            client.move([self.rng.choice(sorted(ours))], "Moved")
        else:
            pool_uids = [u for u in uids if u not in ours]
            if pool_uids:
                uid = self.rng.choice(pool_uids)
                if self.rng.random() < 0.5:
                    client.add_flags([uid], [b"$Churn"])
                else:
                    client.remove_flags([uid], [b"$Churn"])

    def _ours(self, client: imapclient.IMAPClient, uids: list[int]) -> set[int]:
        """INBOX UIDs of the churn's own messages (a header SEARCH on the Message-ID)."""
        if not uids:
            return set()
        return set(client.search(["HEADER", "Message-ID", "@soak.example"]))
