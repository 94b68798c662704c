"""Failed sign-ins per account: after a few, that account waits longer and longer, whichever
address the attempts come from (the per-address limit alone lets a botnet guess on).

Counted in the rate limiter's storage (Redis when several workers run), keyed by a hash of
the e-mail typed, whether or not such an account exists, so a wait tells nothing either.
"""

import hashlib
import time

from flask import current_app
from limits import parse_many

from walkapp.extensions import limiter


def _key(email: str) -> str:
    return "login-fail:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _tiers():
    return parse_many(current_app.config["RATELIMIT_LOGIN_ACCOUNT"])


def _storage_down(err: Exception) -> None:
    # Redis unreachable: sign-in goes on with the per-address limit only (which falls back
    # to counting in memory), rather than no one signing in at all.
    current_app.logger.warning("sign-in throttle unavailable: %s", err)


def wait_seconds(email: str) -> int:
    """0 if this account may try now, else the seconds until it may."""
    strategy = limiter.limiter
    if strategy is None:
        return 0
    try:
        waits = [strategy.get_window_stats(tier, _key(email)).reset_time - time.time()
                 for tier in _tiers() if not strategy.test(tier, _key(email))]
    except Exception as err:  # any storage error
        _storage_down(err)
        return 0
    return max(1, round(max(waits))) if waits else 0


def _each_tier(action: str, email: str) -> None:
    if limiter.limiter is None:
        return
    try:
        for tier in _tiers():
            getattr(limiter.limiter, action)(tier, _key(email))
    except Exception as err:  # any storage error
        _storage_down(err)


def failed(email: str) -> None:
    _each_tier("hit", email)


def succeeded(email: str) -> None:
    _each_tier("clear", email)
