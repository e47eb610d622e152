"""Settings and the boto3 client of an S3 destination.

boto3 is an optional dependency (``pip install 'offload-ai[s3]'``): it is imported here, lazily,
the first time an ``s3://`` destination is used, so the core works without it.

Credentials, region and profiles come from the standard AWS chain (environment variables,
``~/.aws/config`` and ``~/.aws/credentials``, a named profile, instance roles...); offload-ai
never reads, prints, logs or writes a secret itself. The endpoint of an S3-compatible service
comes from ``--s3-endpoint`` or the standard ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``.
Retries are botocore's "standard" mode, set explicitly (throttling such as 503 SlowDown,
5xx, timeouts and dropped connections), with the exponential backoff of ``s3retries``.
"""

from __future__ import annotations

import os
import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from offload.destinations import s3helpers, s3retries

# S3's multipart limits and the part checksums: a module of their own, which the command's
# parser reads without loading this one (a copy with no s3:// destination never does).
from offload.destinations.s3credentials import TOKEN_ADVICE, unrenewed
from offload.destinations.s3limits import CHECKSUMS as CHECKSUMS
from offload.destinations.s3limits import MAX_PART_SIZE as MAX_PART_SIZE
from offload.destinations.s3limits import MAX_PARTS as MAX_PARTS
from offload.destinations.s3limits import MIN_PART_SIZE as MIN_PART_SIZE
from offload.destinations.s3limits import MiB as MiB
from offload.errors import UsageError

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

EXTRA_HINT = "install the s3 extra: pip install 'offload-ai[s3]'"


@dataclass(frozen=True)
class S3Settings:
    """How to reach the service and how to upload. Holds no secret (credentials stay in
    botocore's chain); safe to print."""

    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None
    part_size: int = 8 * MiB  # grown per file so that a file needs at most MAX_PARTS parts
    parallel_parts: int = 4  # parts in flight per destination (and buffers = this + 1)
    single_put_max: int = 8 * MiB  # files up to this size go in one PutObject
    checksum: str = "CRC32"
    # Use If-None-Match: * on PutObject/CompleteMultipartUpload (atomic no-overwrite). Off: a
    # HEAD check before each write (racy: named in a warning, ``s3preflight.probe``).
    conditional_writes: bool = True
    # Where the preflight's probe finds that the service ignores or refuses If-None-Match: a
    # HEAD check before each write (True: ``--s3-head-check``, OFFLOAD_S3_HEAD_CHECK=1, with a
    # warning naming the race), else the copy is refused (False, the default).
    head_check: bool = False
    # Retries of a failed request after its first attempt (botocore's standard mode, its
    # client config's ``max_attempts``): 9 attempts, exponential backoff with jitter, so a
    # dropped connection or a busy service on a field network is ridden out. The standard
    # AWS_MAX_ATTEMPTS (attempts, the first included), else the profile's max_attempts in
    # the AWS config file, sets it (``settings_from_env``).
    max_attempts: int = 8
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    # Our unfinished uploads of keys this run does not write are aborted once this old.
    abandon_after_s: float = 24 * 3600.0
    # Times a part the service refused for a bad checksum is sent again.
    part_attempts: int = 3
    # A replacement up to this size is copied from its staging key by one CopyObject (S3's
    # limit: 5 GiB); larger ones by a multipart copy (UploadPartCopy).
    copy_max: int = MAX_PART_SIZE
    # Store the digests of a direct copy in its object's metadata (offload-<algorithm>): free
    # for a PutObject; a multipart object is copied onto itself, server-side, to get them.
    metadata_digests: bool = True
    # The AWS config and shared credentials files the client's session reads (paths, no
    # secret): those of the environment ``settings_from_env`` was given (``aws_config_files``),
    # which need not be os.environ. None: botocore's own, from os.environ.
    config_file: str | None = None
    credentials_file: str | None = None
    # A CA bundle (a PEM file) that the service's TLS certificate is checked against:
    # AWS_CA_BUNDLE, else the profile's ca_bundle. None: the system's (certifi's).
    ca_bundle: str | None = None
    # "path", "virtual" or "auto": the profile's ``s3 = addressing_style = ...`` in the AWS
    # config file. None: path-style on an endpoint that is not AWS's (every S3-compatible
    # service takes it), botocore's choice on AWS.
    addressing_style: str | None = None
    # True when ``settings_from_env`` resolved every setting above from the environment it
    # was given (its variables, then the profile it names in the AWS config file it names):
    # the client then takes none of them from os.environ, where botocore would look for what
    # is unset (one source of truth). False (settings made by hand): botocore fills in what
    # is None from the process's environment and files, as it does for any client.
    # Credentials are never settings: botocore's chain reads them (the credentials file
    # named above; the process's AWS_ACCESS_KEY_ID..., SSO, roles).
    from_environment: bool = False

    def __post_init__(self) -> None:
        """Refuse what S3 would refuse (UsageError, exit 64: one line saying what to give)."""
        if not MIN_PART_SIZE <= self.part_size <= MAX_PART_SIZE:
            raise UsageError(
                f"S3 part size {self.part_size} bytes is outside S3's limits (5 MiB to 5 GiB); "
                "give e.g. --s3-part-size 8MiB or 64MiB"
            )
        if self.checksum not in CHECKSUMS:
            raise UsageError(
                f"unknown S3 part checksum {self.checksum!r} (accepted: {', '.join(CHECKSUMS)})"
            )
        if self.parallel_parts < 1:
            raise UsageError(f"S3 parallel parts must be at least 1, not {self.parallel_parts}")
        if self.addressing_style not in (None, *ADDRESSING_STYLES):
            raise UsageError(
                f"unknown S3 addressing style {self.addressing_style!r} (accepted: "
                f"{', '.join(ADDRESSING_STYLES)})"
            )


ADDRESSING_STYLES = ("path", "virtual", "auto")


def settings_from_env(
    env: Mapping[str, str],
    *,
    endpoint_url: str | None = None,
    profile: str | None = None,
    **overrides: Any,
) -> S3Settings:
    """Settings from the CLI's values, falling back on the standard AWS variables of *env*,
    then on the profile's settings in the AWS config file *env* names, as AWS's own tools
    do: the endpoint (``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL``, the profile's
    ``services`` section's ``s3 = endpoint_url``, its ``endpoint_url``; none of those from
    the files where ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` or the profile's
    ``ignore_configured_endpoint_urls`` is true), the profile (``AWS_PROFILE``,
    ``AWS_DEFAULT_PROFILE``), the region (``AWS_REGION``, ``AWS_DEFAULT_REGION``, the
    profile's ``region``), the CA bundle (``AWS_CA_BUNDLE``, the profile's ``ca_bundle``),
    the addressing style (the profile's ``s3 = addressing_style``), the attempts a request
    gets (``AWS_MAX_ATTEMPTS``, the first included; the profile's ``max_attempts``) and the
    AWS config and credentials files themselves (``aws_config_files``); and on
    ``OFFLOAD_S3_HEAD_CHECK`` (``1``: ``head_check``, unless given). The settings are then
    ``from_environment``: ``make_client`` takes none of these from os.environ, so *env* is
    the one source of them (the CLI gives os.environ). Raises UsageError (64) for an
    ``AWS_MAX_ATTEMPTS`` or a profile's ``max_attempts`` that is not a whole number of at
    least 1, or an addressing style botocore does not know."""
    if "head_check" not in overrides and env.get("OFFLOAD_S3_HEAD_CHECK", "") not in ("", "0"):
        overrides["head_check"] = True
    profile = profile or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or None
    config_file, credentials_file = aws_config_files(env)
    scoped, services, where = _profile_config(config_file, profile)
    endpoint = endpoint_url or env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    ignore = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") or _text(
        scoped.get("ignore_configured_endpoint_urls")
    )
    if not endpoint and ignore.strip().lower() != "true":
        service = _section(services.get(_text(scoped.get("services")), {})).get("s3")
        endpoint = _text(_section(service).get("endpoint_url")) or _text(scoped.get("endpoint_url"))
    if "max_attempts" not in overrides:
        # Given explicitly to botocore (``_client``), our retries would otherwise override
        # the variable and the profile's setting botocore itself reads: the user's setting
        # silently ignored. AWS's order: the variable, then the profile, then our default.
        attempts = env.get("AWS_MAX_ATTEMPTS", "").strip()
        if attempts:
            named = f"AWS_MAX_ATTEMPTS={attempts!r}"
            fix = "or unset it"
        else:
            attempts = _text(scoped.get("max_attempts")).strip()
            named = f"max_attempts = {attempts!r} of {where}"
            fix = "or remove it"
        if attempts:
            # ASCII digits alone: str.isdigit() also takes '²', which int() refuses.
            if not (attempts.isascii() and attempts.isdigit()) or int(attempts) < 1:
                raise UsageError(
                    f"{named} is not a number of attempts: give a whole number of at least "
                    f"1 (the first attempt included, e.g. 3), {fix} for offload-ai's "
                    "default of 9"
                )
            overrides["max_attempts"] = int(attempts) - 1
    if "addressing_style" not in overrides:
        style = _text(_section(scoped.get("s3")).get("addressing_style")).strip() or None
        if style is not None and style not in ADDRESSING_STYLES:
            raise UsageError(
                f"addressing_style = {style!r} of {where} is not one botocore knows: give "
                f"{', '.join(ADDRESSING_STYLES)}, or remove it"
            )
        overrides["addressing_style"] = style
    return S3Settings(
        endpoint_url=endpoint or None,
        profile=profile,
        region=env.get("AWS_REGION")
        or env.get("AWS_DEFAULT_REGION")
        or _text(scoped.get("region"))
        or None,
        config_file=config_file,
        credentials_file=credentials_file,
        ca_bundle=env.get("AWS_CA_BUNDLE") or _text(scoped.get("ca_bundle")) or None,
        from_environment=True,
        **overrides,
    )


def aws_config_files(env: Mapping[str, str]) -> tuple[str, str]:
    """The AWS config and shared credentials files botocore reads for *env*, as messages name
    them: ``AWS_CONFIG_FILE`` (else ``~/.aws/config``) and ``AWS_SHARED_CREDENTIALS_FILE``
    (else ``~/.aws/credentials``), ``~`` expanded. Raises nothing; the files need not exist."""
    config = env.get("AWS_CONFIG_FILE") or "~/.aws/config"
    credentials = env.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    return os.path.expanduser(config), os.path.expanduser(credentials)


def _profile_config(path: str, profile: str | None) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The settings of *profile* (None: ``default``) in the AWS config file at *path*
    (``[profile x]`` or ``[default]``), the file's ``[services ...]`` sections, and how a
    message names the profile and the file; empty where there is no such file or profile,
    or botocore cannot read the file (``make_client`` then says why). Read with botocore's
    own loader, imported only where the file exists. Raises nothing."""
    name = profile or "default"
    where = f"profile {name!r} in {path}"
    if not os.path.isfile(path):
        return {}, {}, where
    try:
        from botocore.configloader import load_config
        from botocore.exceptions import BotoCoreError

        loaded = load_config(path)
    except (ImportError, BotoCoreError, OSError, ValueError):
        return {}, {}, where
    return (
        _section(loaded.get("profiles", {}).get(name)),
        _section(loaded.get("services")),
        where,
    )


def _section(value: object) -> dict[str, Any]:
    """*value* if it is a section (a dict) of the AWS config file, else an empty one."""
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    """*value* if it is a setting's text in the AWS config file, else ``""``."""
    return value if isinstance(value, str) else ""


def redact_endpoint(endpoint: str | None) -> str:
    """An endpoint URL without any user:password part (nor query), for messages; also one
    too malformed to parse. The user:password is cut up to the last ``@`` first: a password
    may hold ``@``, ``/``, ``?`` or ``#`` unencoded (AWS secret keys often hold ``/``), which
    a URL parser reads as the host, port, path or query."""
    if not endpoint:
        return "the AWS default endpoint"
    endpoint = _URL_USERINFO.sub(r"\g<scheme>", endpoint)
    if "://" not in endpoint and "@" in endpoint:  # no scheme: all to the last "@" goes
        endpoint = endpoint.rsplit("@", 1)[1]
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
        if ":" in host:  # an IPv6 literal keeps its brackets
            host = f"[{host}]"
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:  # a bad IPv6 literal or port: the user:password is gone already
        return endpoint.split("?")[0]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


# A URL's user:password (``http://key:secret@host``), in a word or a whole command line: up
# to the word's LAST "@", since a password may hold "@", "/", "?" or "#" unencoded (an AWS
# secret key often holds "/"); a path holding "@" is hidden with it, which leaks nothing.
# An s3:// URL carries no user:password (a bucket's name holds neither ":" nor "@") and its
# key may hold "@": it is left whole.
_URL_USERINFO = re.compile(r"(?P<scheme>\b(?![sS]3://)[A-Za-z][A-Za-z0-9+.-]*://)\S*@")
# The query of an http(s) URL: a presigned URL carries its signature (and a token) there.
# It ends at a backtick or quote too: botocore quotes the endpoint it refuses in backticks
# ("Custom endpoint `...` was not a valid URI"), and a signature or token never holds one.
_HTTP_QUERY = re.compile(r"(?P<url>\bhttps?://[^?#\s]*)\?[^#\s`'\"]*")


def redact_secrets(text: str) -> str:
    """*text* (a command line's word, or a whole line) with every secret a URL in it may
    carry replaced by ``***``: its ``user:password@`` (``--s3-endpoint http://key:pw@host``,
    also as ``--s3-endpoint=...``) and the query of an http(s) URL. What offload-ai writes or
    prints of a command line goes through this: no option of ours carries any other secret
    (credentials come from the AWS chain, never from an argument; docs/s3.md)."""
    text = _URL_USERINFO.sub(r"\g<scheme>***@", text)
    return _HTTP_QUERY.sub(r"\g<url>?***", text)


def require_boto3() -> Any:
    """Import boto3, or raise UsageError naming the extra to install."""
    try:
        import boto3
    except ImportError:
        raise UsageError(f"s3:// destinations need boto3: {EXTRA_HINT}") from None
    return boto3


def make_client(settings: S3Settings) -> S3Client:
    """A thread-safe S3 client for *settings*, its session reading the AWS config and
    credentials files *settings* names (else botocore's, from os.environ). Settings
    ``from_environment`` are the one source of the endpoint, profile, region, CA bundle and
    addressing style: botocore fills in none of them from os.environ or the files. Raises
    UsageError for an unknown profile, an AWS config or credentials file botocore cannot
    parse (``ConfigParseError``: the file named, never its lines) or a malformed endpoint
    (nothing is sent over the
    network here)."""
    boto3 = require_boto3()
    import botocore.session
    from botocore.exceptions import ConfigParseError, ProfileNotFound

    config, credentials = aws_config_files(os.environ)
    core = botocore.session.get_session()
    if settings.config_file is not None:
        config = settings.config_file
        core.set_config_variable("config_file", config)
    if settings.credentials_file is not None:
        credentials = settings.credentials_file
        core.set_config_variable("credentials_file", credentials)
    if settings.from_environment:
        # What settings_from_env resolved, None included, is final: botocore would take
        # what is unset from os.environ (AWS_PROFILE, AWS_DEFAULT_REGION, AWS_CA_BUNDLE,
        # AWS_ENDPOINT_URL...), which need not be the environment the settings came from.
        # The config store's overrides hold None too (a session's own variable set to None
        # would fall through to the environment).
        store = core.get_component("config_store")
        store.set_config_variable("profile", settings.profile)
        store.set_config_variable("region", settings.region)
        store.set_config_variable("ca_bundle", settings.ca_bundle)
        store.set_config_variable("ignore_configured_endpoint_urls", True)
    try:
        session = boto3.session.Session(botocore_session=core, profile_name=settings.profile)
    except ProfileNotFound:
        raise UsageError(
            f"AWS profile {settings.profile!r} is not in {config} or {credentials}; "
            "name an existing profile (--s3-profile or AWS_PROFILE)"
        ) from None
    except ConfigParseError as exc:
        raise UsageError(_unparsable(exc, config, credentials)) from None
    helpers = s3helpers.watch(core)  # what a cancel waits for, said (s3helpers)
    client = _client(session, settings, path_style=bool(settings.endpoint_url))
    endpoint = client.meta.endpoint_url or ""
    if not settings.endpoint_url and not _is_aws(endpoint) and settings.addressing_style is None:
        # A profile's endpoint_url (~/.aws/config, no flag or variable) in settings made by
        # hand: an S3-compatible service, reached path-style as one named by --s3-endpoint is.
        client = _client(session, settings, path_style=True)
    _SESSIONS[client] = (session, settings.profile, config, credentials)
    s3helpers.remember(client, helpers)
    return client


def one_attempt_client(client: Any, settings: S3Settings) -> S3Client | None:
    """A client like *client* (one ``make_client`` made of *settings*: the same endpoint,
    region, CA bundle, and *client*'s own config: addressing style, connect and read
    timeouts) on *client*'s own session, so on its credentials as resolved once (no new
    assume-role call, credential helper or MFA prompt), but sending each request once, no
    retry (botocore's ``total_max_attempts`` 1). None for a client ``make_client`` did not
    make (a test's stand-in). Raises what making a client raises (botocore's errors); sends
    nothing."""
    from botocore.config import Config

    try:
        made = _SESSIONS.get(client)
    except TypeError:  # an object no weak reference can name (a test's stub)
        return None
    if made is None:
        return None
    config = client.meta.config.merge(Config(retries={"mode": "standard", "total_max_attempts": 1}))
    sibling: S3Client = made[0].client(
        "s3",
        endpoint_url=settings.endpoint_url,
        region_name=settings.region,
        config=config,
        verify=settings.ca_bundle,
    )
    _SESSIONS[sibling] = made
    return sibling


def _unparsable(exc: Exception, config: str, credentials: str) -> str:
    """The one line for an AWS config or credentials file botocore cannot parse
    (``ConfigParseError``): the file by its path and variable, and what to do. Never a
    line of the file: a malformed line may be, or hold, a secret."""
    path = str(getattr(exc, "kwargs", {}).get("path") or "")
    if path and os.path.abspath(path) == os.path.abspath(credentials):
        what, variable = f"the AWS credentials file {path}", "AWS_SHARED_CREDENTIALS_FILE"
    elif path and os.path.abspath(path) == os.path.abspath(config):
        what, variable = f"the AWS config file {path}", "AWS_CONFIG_FILE"
    else:
        what = f"the AWS file {path}" if path else f"the AWS files {config} or {credentials}"
        variable = "AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE"
    return (
        f"{what} cannot be parsed (botocore: each setting must be a 'name = value' line under "
        f"a [section]); fix it, or point {variable} at a valid file"
    )


# Each client ``make_client`` made -> its session, profile and AWS files: where its
# credentials came from (``credential_source``), asked only when a request is refused.
_SESSIONS: weakref.WeakKeyDictionary[Any, tuple[Any, str | None, str, str]] = (
    weakref.WeakKeyDictionary()
)


#: The variables botocore's environment provider takes a session token from, in its order.
_TOKEN_VARIABLES = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def credential_source(client: Any) -> str | None:
    """Where the credentials *client* signs with came from, in words a DIT can act on
    (botocore's chain: the environment's variables, a profile of the credentials or config
    file, by name and path, or the provider's name: sso, assume-role, iam-role...); never
    the key id or the secret. None for a client ``make_client`` did not make, or no
    credentials. Resolved by botocore when the client was first used; never raises."""
    try:
        made = _SESSIONS.get(client)
    except TypeError:  # None, or an object no weak reference can name (a test's stub)
        return None
    if made is None:
        return None
    session, profile, config, credentials = made
    try:
        found = session.get_credentials()
    except Exception:
        return None
    method = getattr(found, "method", None) if found is not None else None
    if not method:
        return None
    name = profile or "default"
    if method == "env":
        # A session token signs too (and may be what is refused): named where one is set.
        token = next((v for v in _TOKEN_VARIABLES if os.environ.get(v)), None)
        also = f", {token}" if token else ""
        return f"the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY{also})"
    if method == "shared-credentials-file":
        return f"profile {name!r} of {credentials}"
    if method == "config-file":
        return f"profile {name!r} of {config}"
    return f"the AWS chain's {method!r} provider (profile {name!r})"


def signs_with_session_token(client: Any) -> bool:
    """Whether the credentials *client* signs with carry a session token (temporary
    credentials: ``AWS_SESSION_TOKEN``, a profile's ``aws_session_token``, sso, an assumed
    role), which can expire or be revoked while the key id stays valid. False for a client
    ``make_client`` did not make, or no credentials; never raises."""
    try:
        made = _SESSIONS.get(client)
    except TypeError:
        return False
    if made is None:
        return False
    try:
        found = made[0].get_credentials()
        return bool(found is not None and found.get_frozen_credentials().token)
    except Exception:
        return False


def _is_aws(endpoint: str) -> bool:
    host = (urlsplit(endpoint).hostname or "").lower()
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


def _refuse_query(endpoint: str | None) -> None:
    """Raise UsageError for an endpoint URL with a query (``?...``) or a fragment, which
    botocore's S3 endpoint rules refuse at the first request ("Custom endpoint ... was not
    a valid URI", once said as a service that failed): a usage error, said before anything
    is sent, the URL named without its user:password, query and fragment (a token may be
    there)."""
    if not endpoint:
        return
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        return  # malformed otherwise: botocore's own refusal, worded by _client
    if parts.query or parts.fragment or endpoint.rstrip().endswith(("?", "#")):
        raise UsageError(
            f"cannot use the S3 endpoint {redact_endpoint(endpoint)!r}: an S3 endpoint URL "
            "takes no query (?...) nor fragment (#...); give a URL such as "
            "https://s3.example.com (--s3-endpoint or AWS_ENDPOINT_URL)"
        )


def _client(session: Any, settings: S3Settings, *, path_style: bool) -> S3Client:
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, InvalidRegionError

    _refuse_query(settings.endpoint_url)
    style: Any = settings.addressing_style or ("path" if path_style else "auto")
    config = Config(
        retries={"mode": "standard", "max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout_s,
        read_timeout=settings.read_timeout_s,
        max_pool_connections=2 * settings.parallel_parts + 4,
        # Path-style requests work on every S3-compatible service; AWS itself picks; the
        # profile's addressing_style wins (a service that takes virtual-hosted alone).
        s3={"addressing_style": style},
        # We compute and send the part checksums ourselves, and verify reads with our own
        # hashes: botocore adds none of its own.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        user_agent_extra="offload-ai",
    )
    try:
        client: S3Client = session.client(
            "s3",
            endpoint_url=settings.endpoint_url,
            region_name=settings.region,
            config=config,
            # None: botocore's own (the session's ca_bundle, else certifi's).
            verify=settings.ca_bundle,
        )
    except InvalidRegionError as exc:
        # The region is to blame, not the endpoint (a region is never a secret).
        region = getattr(exc, "kwargs", {}).get("region_name", settings.region)
        raise UsageError(
            f"the AWS region {region!r} is not a region name (letters, digits and hyphens, "
            "e.g. us-east-1); fix AWS_REGION, AWS_DEFAULT_REGION or the profile's region in "
            "the AWS config file"
        ) from None
    except (BotoCoreError, ValueError) as exc:
        lapsed = unrenewed(exc)
        if lapsed is not None:
            # botocore gets the credentials as it makes the client: a credential_process or
            # an SSO session failing is no fault of the endpoint.
            raise UsageError(
                f"{redact_secrets(lapsed)}; {TOKEN_ADVICE} and run the same command again"
            ) from None
        # Named without its user:password part, also where botocore's message quotes it.
        shown = redact_endpoint(settings.endpoint_url)
        reason = redact_secrets(str(exc).replace(settings.endpoint_url or "", shown))
        raise UsageError(
            f"cannot use the S3 endpoint {shown!r}: {reason}; "
            "give a URL such as https://s3.example.com (--s3-endpoint or AWS_ENDPOINT_URL)"
        ) from None
    # The attempts botocore's standard mode counts, with the back-off docs/s3.md promises
    # and no quota shared by the parallel parts (s3retries says why).
    s3retries.install(client)
    return client


def part_size_for(size_bytes: int, settings: S3Settings) -> int:
    """The part size for a file: the configured one, grown (in MiB) so that the file fits in
    MAX_PARTS parts (8 MiB parts hold up to 78 GiB; a 500 GiB file gets 52 MiB parts)."""
    size = max(settings.part_size, MIN_PART_SIZE)
    needed = -(-size_bytes // MAX_PARTS)
    if needed > size:
        size = -(-needed // MiB) * MiB
    return min(size, MAX_PART_SIZE)


def checksum_function(name: str) -> Callable[[bytes | bytearray | memoryview], tuple[str, str]]:
    """For a CHECKSUMS name: a function returning (request parameter, base64 value)."""
    # Imported here, for an s3:// destination only (hashlib loads OpenSSL: ~3 ms of every
    # offload's start-up otherwise).
    import hashlib
    import zlib

    if name == "CRC32":
        return lambda data: ("ChecksumCRC32", _b64(zlib.crc32(data).to_bytes(4, "big")))
    if name == "SHA256":
        return lambda data: ("ChecksumSHA256", _b64(hashlib.sha256(data).digest()))
    if name == "SHA1":
        return lambda data: ("ChecksumSHA1", _b64(hashlib.sha1(data).digest()))
    if name == "MD5":
        return lambda data: ("ContentMD5", _b64(hashlib.md5(data).digest()))
    if name == "CRC32C":
        try:
            from awscrt import checksums
        except ImportError:
            raise UsageError("the CRC32C part checksum needs awscrt: pip install awscrt") from None
        return lambda data: ("ChecksumCRC32C", _b64(checksums.crc32c(data).to_bytes(4, "big")))
    raise UsageError(f"unknown S3 part checksum {name!r} (accepted: {', '.join(CHECKSUMS)})")


def _b64(raw: bytes) -> str:
    import base64

    return base64.b64encode(raw).decode("ascii")
