"""The credential helpers a bucket's client starts (botocore's ``credential_process``:
aws-vault, granted, saml2aws, an MFA or SSO script), watched so that a cancel waiting on a
bucket's call can say what it waits for.

botocore starts the AWS profile's ``credential_process`` from the thread signing a request,
at the first request and again once the credentials it gave near their expiry, and waits for
it with no timeout (a helper asking a person for an MFA code waits for that person). A
request whose signing waits for it has not reached the service: the words "the service has
not answered, its timeout ending the wait" would be false twice over. :func:`watch` keeps,
for a client's session, the helper processes it starts; :func:`helper_waited` tells whether
one of them is running now. A client botocore made otherwise (no such provider, another
botocore's internals) is left alone and never said to wait for a helper.

The helper runs on the one thread signing a request (botocore refreshes on one thread; the
others keep sending theirs with the credentials they have), so a running helper does not say
that every call of the client waits for it: :func:`remember` also counts, a thread each, the
client's requests on the wire (``before-send`` to ``response-received``, each attempt), and
:func:`helper_wait` says "maybe" where another thread's request is on the wire meanwhile (a
hung network call, which its timeout ends). A response's body read after its headers is not
counted (its service has answered; its read timeout ends the wait).
"""

from __future__ import annotations

import subprocess
import threading
import weakref
from contextlib import suppress
from typing import Any

# client → the helper processes its session started (the running ones, and the last one)
_STARTED: weakref.WeakKeyDictionary[Any, list[subprocess.Popen[bytes]]] = (
    weakref.WeakKeyDictionary()
)
_LOCK = threading.Lock()


def watch(session: Any) -> list[subprocess.Popen[bytes]]:
    """The list that keeps, from now on, the credential helpers *session* (a botocore
    session) starts: give it to :func:`remember` with the client made from *session*
    (whose making may start the first). Call it once the session's profile is set (the
    provider reads it when made) and before the client is made."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        resolver = session.get_component("credential_provider")
        provider = resolver.get_provider("custom-process")
    except Exception:  # no such provider here (another botocore): nothing to watch
        return started
    popen = getattr(provider, "_popen", None)
    if popen is None:
        return started

    def tracked(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        process: subprocess.Popen[bytes] = popen(*args, **kwargs)
        with _LOCK:
            # the finished ones say nothing more: a long run starts one an hour
            started[:] = [p for p in started if p.poll() is None]
            started.append(process)
        return process

    provider._popen = tracked
    return started


# client → the threads (idents) with a request of it on the wire now, and how many each
_SENDING: weakref.WeakKeyDictionary[Any, dict[int, int]] = weakref.WeakKeyDictionary()


def remember(client: Any, started: list[subprocess.Popen[bytes]]) -> None:
    """*client*'s helpers are those *started* (:func:`watch`) keeps; from now on its
    requests on the wire are counted, a thread each (module docstring)."""
    sending: dict[int, int] = {}
    with _LOCK:
        _STARTED[client] = started
        _SENDING[client] = sending

    def sent(**_: Any) -> None:  # (returns None: a value would stand in for the response)
        me = threading.get_ident()
        with _LOCK:
            sending[me] = sending.get(me, 0) + 1

    def answered(**_: Any) -> None:
        me = threading.get_ident()
        with _LOCK:
            left = sending.get(me, 0) - 1
            if left > 0:
                sending[me] = left
            else:
                sending.pop(me, None)

    with suppress(Exception):  # a client without these events: nothing counted
        client.meta.events.register("before-send.s3", sent, unique_id="offload-sent")
        client.meta.events.register("response-received.s3", answered, unique_id="offload-answered")


def helper_waited(client: Any) -> bool:
    """Whether a credential helper *client*'s session started is running now (a request
    of that client waits for it: botocore starts one only to sign a request)."""
    with _LOCK:
        return any(p.poll() is None for p in _STARTED.get(client, ()))


def helper_wait(client: Any) -> str:
    """What a cancel waiting on *client*'s calls waits for, of its credential helper:
    ``"helper"`` a helper it started runs and no request of it is on the wire (every call
    left waits for the helper), ``"maybe"`` one runs and another thread's request is on the
    wire (that call waits for the service), ``""`` none runs."""
    if not helper_waited(client):
        return ""
    with _LOCK:
        return "maybe" if _SENDING.get(client) else "helper"
