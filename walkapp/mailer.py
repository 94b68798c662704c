"""Sending one e-mail over SMTP, telling a refusal (safe to retry) from an unknown outcome.

Everything before the message content is handed over (connect, TLS, login, MAIL, RCPT, the
DATA command itself) fails cleanly: nothing was delivered, so the outbox retries. Once the
content has gone out, a lost connection or a timeout leaves us not knowing whether the server
took the message; that attempt ends "failed" with UNSURE so an admin decides (see README,
"Delivery"). No Flask here.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from walkapp.labels import N_
from walkapp.models import utcnow
from walkapp.outcome import Outcome

NOT_CONFIGURED = N_("E-mail is not configured on the server (WALKAPP_SMTP_HOST).")
UNSURE = N_("The connection ended while the message was being handed over, so it may or may "
            "not have arrived. It is not sent again by itself: check with the recipient, then "
            "retry if needed.")


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    user: str | None = None
    password: str | None = None
    sender: str = "walkapp@localhost"
    timeout: float = 15

    @classmethod
    def from_config(cls, cfg) -> SmtpConfig:
        return cls(host=cfg["SMTP_HOST"], port=cfg["SMTP_PORT"],
                   security=cfg["SMTP_SECURITY"].lower(), user=cfg["SMTP_USER"],
                   password=cfg["SMTP_PASSWORD"], sender=cfg["SMTP_FROM"],
                   timeout=cfg["DELIVERY_TIMEOUT_SECONDS"])


def message_id(key: str, sender: str) -> str:
    """The Message-ID of the e-mail for one outbox key: the same on every attempt, so a mail
    system that keeps one copy per Message-ID drops a repeat."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "walkapp.invalid"
    return f"<{key}@{domain}>"


def compose(sender: str, to: str, subject: str, body: str, key: str, language: str,
            headers: dict[str, str] | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg.set_content(body)  # first: it replaces every Content-* header
    name, addr = parseaddr(sender)
    msg["From"] = Address(display_name=name or "walkapp", addr_spec=addr or sender)
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = message_id(key, sender)
    msg["Content-Language"] = language
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to us
    for header, value in (headers or {}).items():
        msg[header] = value
    return msg


def send(cfg: SmtpConfig, msg: EmailMessage) -> Outcome:
    """One SMTP transaction for one message to its one recipient."""
    if not cfg.host:
        return Outcome.retry(NOT_CONFIGURED)
    sender = parseaddr(str(msg["From"]))[1]
    recipient = parseaddr(str(msg["To"]))[1]
    try:
        smtp = (smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout,
                                 context=ssl.create_default_context())
                if cfg.security == "ssl" else smtplib.SMTP(cfg.host, cfg.port,
                                                           timeout=cfg.timeout))
    except (OSError, smtplib.SMTPException) as err:
        return Outcome.retry(f"SMTP {cfg.host}:{cfg.port}: {err}")
    try:
        return _transact(smtp, cfg, sender, recipient, msg)
    except (OSError, smtplib.SMTPException) as err:
        return Outcome.retry(f"SMTP {cfg.host}:{cfg.port}: {err}")
    finally:
        # After the answer to DATA nothing may change the outcome: a failed QUIT included.
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _transact(smtp: smtplib.SMTP, cfg: SmtpConfig, sender: str, recipient: str,
              msg: EmailMessage) -> Outcome:
    if cfg.security == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    if cfg.user:
        smtp.login(cfg.user, cfg.password or "")
    smtp.ehlo_or_helo_if_needed()
    code, reply = smtp.mail(sender)
    if code != 250:
        return _refused("MAIL FROM", code, reply)
    code, reply = smtp.rcpt(recipient)
    if code not in (250, 251):
        return _refused("RCPT TO", code, reply)
    try:
        # CRLF line ends: smtplib passes bytes through as they are (send_message does this too)
        code, reply = smtp.data(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))
    except smtplib.SMTPDataError as err:  # the DATA command refused: nothing handed over
        return _refused("DATA", err.smtp_code, err.smtp_error)
    except (OSError, smtplib.SMTPException):
        return Outcome.failed(UNSURE)
    if code != 250:
        return _refused("DATA", code, reply)
    return Outcome.sent()


def _refused(step: str, code: int, reply: bytes | str) -> Outcome:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    error = f"SMTP {step}: {code} {text}"
    # 5xx is the server's final word (unknown mailbox, policy); 4xx asks us to come back.
    return Outcome.failed(error) if 500 <= code < 600 else Outcome.retry(error)
