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
"""

from __future__ import annotations

import subprocess
import threading
import weakref
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


def remember(client: Any, started: list[subprocess.Popen[bytes]]) -> None:
    """*client*'s helpers are those *started* (:func:`watch`) keeps."""
    with _LOCK:
        _STARTED[client] = started


def helper_waited(client: Any) -> bool:
    """Whether a credential helper *client*'s session started is running now (a request
    of that client waits for it: botocore starts one only to sign a request)."""
    with _LOCK:
        return any(p.poll() is None for p in _STARTED.get(client, ()))
