"""What one send attempt came to; the transports answer it, the outbox records it. No Flask."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    state: str                 # sent | retry | failed | cancelled
    error: str | None = None   # shown to admins; our own words are msgids (labels.N_)
    gone: bool = False         # push: the subscription no longer exists, forget it

    @classmethod
    def sent(cls) -> Outcome:
        return cls("sent")

    @classmethod
    def retry(cls, error: str) -> Outcome:
        return cls("retry", error[:1000])

    @classmethod
    def failed(cls, error: str) -> Outcome:
        return cls("failed", error[:1000])

    @classmethod
    def cancelled(cls, error: str, *, gone: bool = False) -> Outcome:
        return cls("cancelled", error[:1000], gone)
