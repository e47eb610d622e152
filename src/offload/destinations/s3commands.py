"""The ``aws s3api`` commands offload-ai's words give for an object on a run's S3 service:
one spelling of the arguments that name it (``where``), so that each command pasted into a
shell reaches the service and credentials the run used (its ``--endpoint-url`` and
``--profile``) whatever the shell's environment; and the same for the ``offload verify``
commands it suggests (``offload_reach``: ``--s3-endpoint``, ``--s3-profile``).

Contract: pure functions of an ``S3Destination``'s settings and URL and a key; each
argument one word as ``errors.shell_word`` writes it (pasted into bash, the exact key,
whatever it holds: a mark of a name that is not NFC, a control character, a quote; a
value that starts with ``-`` as ``--key=WORD``, ``option``), and built once: the
terminal, the HTML, the PDF and the JSON show that same word, which no display escape
changes (but the PDF's, whose fonts lack the characters outside Latin-1: a word holding
one is written there with its bytes, ``report.pdf.pasteable_words``); never a secret (an
endpoint's user:password part is left out).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from offload.destinations.s3config import redact_endpoint
from offload.errors import shell_word

if TYPE_CHECKING:
    from offload.destinations.s3 import S3Destination

#: The restore hint ``s3.get_refused`` gives for an archived object, naming no object: a
#: caller that knows the object names it with ``restore_named``.
RESTORE_HINT = "(aws s3api restore-object)"


def where(store: S3Destination, key: str) -> str:
    """The arguments of an ``aws s3api`` command naming the object *key* on the service
    *store* reaches, shell-quoted: ``--endpoint-url`` (the run's own, from
    ``--s3-endpoint``, the environment or the profile; without its user:password part, which
    the AWS CLI takes from nowhere but the URL: the credentials come from its chain) and
    ``--profile`` where the run had them, then ``--bucket`` and ``--key``."""
    return f"{aws_reach(store)}{option('--bucket', store.url.bucket)} {option('--key', key)}"


def option(name: str, value: str) -> str:
    """The option *name* of an ``aws`` (or ``offload``) command with its *value* as one
    word (``errors.shell_word``): ``--key WORD``, but ``--key=WORD`` where the value starts
    with ``-`` (a key ``-day1/clip.mov``, quoted or not: bash takes the quotes off), which
    the AWS CLI (argparse) would otherwise take for an option of its own and refuse the
    command ("expected one argument")."""
    word = shell_word(value)
    return f"{name}={word}" if value.startswith("-") else f"{name} {word}"


def aws_reach(store: S3Destination) -> str:
    """The options of an ``aws`` command that reaches the service and credentials *store*
    reached (``where``'s), shell-quoted, each followed by a space; "" for AWS itself with
    the chain's own credentials."""
    return _reach(store, "--endpoint-url", "--profile")


def offload_reach(store: S3Destination) -> str:
    """The options of an ``offload`` command that reaches the service and credentials
    *store* reached, shell-quoted, each followed by a space: ``--s3-endpoint`` (without its
    user:password part, never printed) and ``--s3-profile`` where the run had them; ""
    for AWS itself with the chain's own credentials."""
    return _reach(store, "--s3-endpoint", "--s3-profile")


def _reach(store: S3Destination, endpoint_flag: str, profile_flag: str) -> str:
    """*store*'s endpoint (its user:password part left out: never printed) after
    *endpoint_flag* and its profile after *profile_flag*, where the run had them,
    shell-quoted, each followed by a space (``aws_reach``, ``offload_reach``)."""
    settings = store.settings
    reach = ""
    if settings.endpoint_url:
        reach += option(endpoint_flag, redact_endpoint(settings.endpoint_url)) + " "
    if settings.profile:
        reach += option(profile_flag, settings.profile) + " "
    return reach


#: How long a restored copy of an archived object stays readable, in the restore command
#: printed: RestoreObject requires it of an object in an archive storage class (the AWS CLI
#: sends no default; a command without it is refused), and a week covers a verify or an
#: offload run again in the days after the restore completes (Standard tier: hours).
RESTORE_DAYS = 7


def restore_named(words: str, store: S3Destination, key: str) -> str:
    """*words* (``s3.get_refused``'s) with its restore hint naming the object *key* and the
    run's service as the other commands do, and the restore request RestoreObject needs:
    ``(aws s3api restore-object --endpoint-url ... --bucket B --key K --restore-request
    Days=7)`` (:data:`RESTORE_DAYS`). *words* without the hint are returned as they are."""
    command = f"aws s3api restore-object {where(store, key)} --restore-request Days={RESTORE_DAYS}"
    return words.replace(RESTORE_HINT, f"({command})")
