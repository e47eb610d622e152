"""Once the service refuses an S3 destination's session token, no further request is sent.

A session token that expired or that the service does not know (``s3credentials``: its
``"token"`` codes) is refused to every later request signed with it, and the engine loses
the destination on the first refusal (EKEYEXPIRED). The requests already queued or in the
destination's upload threads at that moment (a PutObject a file, parts, read-backs, the
lock's clean-up) would each still be sent and each be refused the same: requests the
service logs as refused, for nothing.

Contract: ``TokenLatch.watch(client)`` hooks a boto3 client (anything else is left
alone); several clients of one destination share one latch. After the first answer whose
code ``refused_credentials`` calls ``"token"`` (any operation, any of the watched
clients), every later call of a watched client raises botocore's ``ClientError`` with that
answer's code, message and HTTP status, for its own operation, without sending anything:
``s3.os_error`` words it exactly as the service's own answer (EKEYEXPIRED, the advice of
new credentials), so each file not copied is named as before, by no request. ``refused``:
whether the latch is set. Thread-safe (set once under a lock; read without one)."""

from __future__ import annotations

import threading
from typing import Any

from offload.destinations.s3credentials import refused_credentials


class TokenLatch:
    """See the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # The first refused answer: (its Error element, its HTTP status); None: none yet.
        self._answer: tuple[dict[str, str], int] | None = None

    @property
    def refused(self) -> bool:
        return self._answer is not None

    def watch(self, client: object) -> None:
        """Hook *client*'s calls (module docstring); a client without botocore's events
        (a test's stand-in) is left alone."""
        events = getattr(getattr(client, "meta", None), "events", None)
        if events is None:
            return
        # "after-call.s3" matches every operation's "after-call.s3.<Operation>". A unique_id
        # is one registration of the emitter's, whatever the event: one each.
        for event, handler in (("after-call.s3", self._after), ("before-call.s3", self._before)):
            events.register(event, handler, unique_id=f"offload-latch-{event}-{id(self)}")

    def _after(self, http_response: Any = None, parsed: Any = None, **_: object) -> None:
        status = int(getattr(http_response, "status_code", 0) or 0)
        if status < 300 or self._answer is not None or not isinstance(parsed, dict):
            return
        error = parsed.get("Error") or {}
        code = str(error.get("Code", ""))
        if refused_credentials(code, status) != "token":
            return
        with self._lock:
            if self._answer is None:
                self._answer = ({"Code": code, "Message": str(error.get("Message", ""))}, status)

    def _before(self, model: Any = None, **_: object) -> None:
        answer = self._answer
        if answer is None:
            return
        from botocore.exceptions import ClientError

        error, status = answer
        # The metadata a real answer carries: botocore's own handlers (its region
        # redirector) read ``HTTPHeaders`` of a refusal directly.
        metadata = {"HTTPStatusCode": status, "HTTPHeaders": {}, "RequestId": ""}
        response: Any = {"Error": dict(error), "ResponseMetadata": metadata}
        raise ClientError(response, str(getattr(model, "name", "") or "request"))


__all__ = ["TokenLatch"]
