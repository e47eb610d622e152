"""The retries every request of an S3 client gets (docs/s3.md, "Retries").

What is retried and how many times are botocore's standard mode, as the client's config says
(connection errors, timeouts, 5xx, 503 SlowDown and the other throttling answers,
RequestTimeout; ``max_attempts``, ``AWS_MAX_ATTEMPTS``). How long a request waits between its
attempts is ours, and no retry quota is shared between the client's requests:

* recent botocore (1.44 here) backs off from 50 ms for an error that is not throttling
  (``rand * 0.05 * 2**i``): a connection refused by an endpoint restarting was given up on
  after ~4-6 s over 8 retries, not the ~10-20 s these docs said. The service's restart
  lost the whole destination;
* its standard mode's retry quota (500, 14 a retry, refilled by successes alone) is one per
  client, which a destination's parallel parts share: one outage drains it, and every
  request after it (the rest of the run) is then not retried at all.

Here the delay before retry *n* (1-based) is ``c / 2 + rand * c / 2`` with
``c = min(0.2 * 2**(n - 1), 6)`` seconds: 8 retries (9 attempts, the default) wait 12-24 s
in all, so a service away for up to ~12 s (a restart, a router's failover) is waited for,
and one gone for good is given up on in 12-24 s a request (plus its connect timeouts).
The half that is not random is what makes "survived" true of every request, not of most.
"""

from __future__ import annotations

import logging
import random
from typing import Any

#: The first back-off's ceiling, the doubling's cap (seconds).
FIRST_S = 0.2
MOST_S = 6.0

_log = logging.getLogger(__name__)


def delay_s(attempt: int, draw: float) -> float:
    """The wait after failed attempt *attempt* (1-based) for a random *draw* in [0, 1)."""
    ceiling = min(FIRST_S * 2.0 ** (attempt - 1), MOST_S)
    return float(ceiling / 2 + draw * ceiling / 2)


def total_wait_s(retries: int) -> tuple[float, float]:
    """The least and the most a request waits over *retries* retries, back-offs alone."""
    most = sum(delay_s(n, 1.0) for n in range(1, retries + 1))
    return most / 2, most


class _Backoff:
    """botocore's ``BaseRetryBackoff`` interface: ``delay_amount(context)``."""

    def delay_amount(self, context: Any) -> float:
        return delay_s(int(context.attempt_number), random.random())


class _NoQuota:
    """botocore's ``RetryQuotaChecker`` interface: every retry its attempts allow is made."""

    def acquire_retry_quota(self, context: Any) -> bool:
        return True


def install(client: Any) -> None:
    """Give *client*'s requests these retries in place of botocore's standard handler (the
    one botocore registered for the client's config, by its unique id): the same retry
    conditions and attempt count, this module's back-off, no quota. Left as botocore made
    it if this botocore lacks the parts (logged at debug)."""
    try:
        from botocore.retries import standard as botocore_standard

        # Duck-typed parts: botocore calls delay_amount and acquire_retry_quota alone.
        standard: Any = botocore_standard
        attempts = int(client.meta.config.retries["total_max_attempts"])
        service = client.meta.service_model.service_id.hyphenize()
        handler = standard.RetryHandler(
            retry_policy=standard.RetryPolicy(
                retry_checker=standard.StandardRetryConditions(max_attempts=attempts),
                retry_backoff=_Backoff(),
            ),
            retry_event_adapter=standard.RetryEventAdapter(),
            retry_quota=_NoQuota(),
        )
    except (ImportError, AttributeError, KeyError, TypeError) as exc:
        _log.debug("botocore's own retries kept: %r", exc)
        return
    event, unique = f"needs-retry.{service}", f"retry-config-{service}"
    # Botocore's handler is dropped, not shadowed: both would sleep. Its quota's release on
    # after-call stays registered, releasing into a quota nothing asks any more.
    client.meta.events.unregister(event, unique_id=unique)
    client.meta.events.register(event, handler.needs_retry, unique_id=unique)
