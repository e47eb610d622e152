"""The ``offload`` command line's parser (``build_parser``), apart from the command's module:
``offload copy``'s entry point parses its command line before it loads the command
(``cli/entry.py``), to ask for the card's first files while the command loads
(``fs/readahead.py``). It imports what the options' choices and defaults name, nothing of
the plan, the engine or the reports."""

from __future__ import annotations

import argparse

from offload._version import __version__
from offload.cli.common import (
    UsageParser,
    add_block_size_option,
    add_creator_arguments,
    add_hash_option,
    add_quiet_and_report_dir_options,
    add_verify_option,
    path_text,
)
from offload.destinations.s3limits import CHECKSUMS
from offload.hashing.registry import DEFAULT_ALGORITHM
from offload.options import DeviceConcurrency

EXIT_CODES_HELP = (
    "Exit codes: 0 every file verified now or earlier on every destination (with "
    "--verify transfer: transfer-checked only, never read back); 1 completed, but some "
    "destination or file failed; 2 nothing could be copied; 64 usage error or "
    "refused (the preflight, another run's lock), no copy made (an s3:// preflight's probe "
    "objects aside); 130 cancelled (re-run to resume)."
)


def build_parser(*, copy_only: bool = False) -> argparse.ArgumentParser:
    """The parser of every command; *copy_only*: of ``offload copy`` alone (``main`` when
    the command line starts with ``copy``): the other commands' modules, and what they
    import, are then not imported at all (~30 ms of start-up)."""
    parser = UsageParser(
        prog="offload",
        allow_abbrev=False,
        epilog=EXIT_CODES_HELP,
        description="Offload camera cards to several drives, verified.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)
    copy = commands.add_parser(
        "copy",
        allow_abbrev=False,
        epilog=EXIT_CODES_HELP,
        help="copy a card or folder to several destinations with verification",
        description="Copy SOURCE (a card, a folder or a file) into every DEST, like cp -r: "
        "by default into DEST/<source folder name>/ (--into copies the contents "
        "into DEST itself). One read of the source feeds every destination; each "
        "file is written under a hidden partial name, flushed, read back from the "
        "media and compared before it gets its final name. Re-running the same "
        "command resumes an interrupted offload and copies only what is new.",
    )
    copy.add_argument("source", metavar="SOURCE", type=path_text)
    copy.add_argument("destinations", metavar="DEST", nargs="+", type=path_text)
    copy.add_argument(
        "--into",
        action="store_true",
        help="copy the contents of SOURCE into DEST (not DEST/<name>/), an existing folder: "
        "a card whose DEST/<name> holds another card's offload (cards of one name, "
        "EOS_DIGITAL) is refused without it, and goes into a folder of its own with it",
    )
    add_hash_option(copy, DEFAULT_ALGORITHM)
    add_verify_option(copy)
    policy = copy.add_mutually_exclusive_group()
    policy.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a different file already at the destination (only "
        "after the new copy is verified)",
    )
    policy.add_argument(
        "--keep-both",
        action="store_true",
        help="keep a different existing file and name the new copy 'name (1).ext'",
    )
    copy.add_argument(
        "--no-resume",
        action="store_true",
        help="do not trust the ledger of an earlier run (files already there are read back "
        "and compared with the source instead)",
    )
    copy.add_argument(
        "--reverify",
        action="store_true",
        help="re-read copies an earlier run verified and compare them with the recorded "
        "digests (like rsync -c); a copy that no longer matches is copied again",
    )
    copy.add_argument(
        "--s3-endpoint",
        metavar="URL",
        help="endpoint of an S3-compatible service for s3://bucket/prefix destinations "
        "(default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, else AWS; docs/s3.md)",
    )
    copy.add_argument(
        "--s3-profile",
        metavar="NAME",
        help="AWS profile (~/.aws/config) for s3:// destinations (default: AWS_PROFILE); "
        "credentials always come from the standard AWS chain",
    )
    copy.add_argument(
        "--s3-part-size",
        metavar="SIZE",
        help="multipart part size for s3:// destinations, 5MiB to 5GiB (default 8MiB; e.g. "
        "64MiB); grown automatically for a file that would need more than S3's 10,000 parts "
        "(8MiB parts: up to 78 GiB)",
    )
    copy.add_argument(
        "--s3-checksum",
        type=str.upper,
        choices=CHECKSUMS,
        help="checksum of every part, checked by the service before it stores it: CRC32 "
        "(default), CRC32C (needs awscrt), SHA256, SHA1, or MD5 (Content-MD5, for services "
        "without the x-amz-checksum headers)",
    )
    copy.add_argument(
        "--s3-no-digest-metadata",
        action="store_true",
        help="do not store the digests of a file copied straight from the card in its "
        "object's metadata (x-amz-meta-offload-<hash>): a multipart object (above 8MiB) "
        "is otherwise copied onto itself, server-side, once complete (a PutObject carries "
        "them at no cost)",
    )
    copy.add_argument(
        "--s3-head-check",
        action="store_true",
        help="for an S3 service that ignores or refuses If-None-Match (the preflight tries "
        "it; without this flag such a service is refused): check each key with a HEAD just "
        "before writing it instead; racy, another writer could create the key in between "
        "(also OFFLOAD_S3_HEAD_CHECK=1; docs/s3.md)",
    )
    cascade = copy.add_argument_group(
        "cascading copy",
        "A slow destination (a bucket behind an uplink, a slow shuttle drive) need not hold "
        "the card back: the card is read once to the other destinations; once they are "
        "verified the card is released (a line says it can be ejected), then the cascaded "
        "destinations are fed from a verified local copy, re-read from its drive and checked "
        "against the card's digests. Off by default, s3:// destinations included: a "
        "cascade reads the data twice and makes one more hop, which only pays when a "
        "destination is much slower. Needs at least one local destination that is not "
        "cascaded.",
    )
    cascade.add_argument(
        "--cascade",
        action="store_true",
        help="feed every s3:// destination in cascade",
    )
    cascade.add_argument(
        "--cascade-to",
        action="append",
        default=[],
        metavar="DEST",
        type=path_text,
        help="also copy to DEST (a folder or s3:// URL; it may be one of the DESTs) in "
        "cascade; repeat for several slow destinations",
    )
    copy.add_argument(
        "--allow-card-destination",
        action="store_true",
        help="write into a destination even if it looks like a camera card (DCIM/, "
        "PRIVATE/M4ROOT/, a card's own ascmhl/ history...); refused without it",
    )
    copy.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would be copied, skipped and refused, and the space left on each "
        "destination; write nothing",
    )
    copy.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="PATTERN",
        help="also ignore names (or /-anchored paths) matching PATTERN",
    )
    copy.add_argument(
        "--no-default-ignore",
        action="store_true",
        help="copy OS junk too (.DS_Store, ._*, .Spotlight-V100, ...)",
    )
    add_block_size_option(copy, "8 MiB")
    copy.add_argument(
        "--device-concurrency",
        choices=[m.value for m in DeviceConcurrency],
        default=DeviceConcurrency.AUTO.value,
        help="how destinations on one disk read back: auto (default: one at a time on a "
        "spinning disk two or more of them share, in parallel elsewhere, virtual disks "
        "included), parallel, or serial (one at a time on any shared disk); the decision "
        "is shown by --dry-run and recorded in the reports",
    )
    copy.add_argument(
        "--json", action="store_true", help="print one JSON event per line on stdout (docs/json.md)"
    )
    add_quiet_and_report_dir_options(copy)
    copy.add_argument(
        "--progress-trace",
        metavar="FILE",
        type=path_text,
        help="record the run's progress (every event with its time, and what the progress "
        "showed) as JSON lines into FILE, a new file, to judge the ETA (docs/json.md)",
    )
    copy.add_argument(
        "--mhl",
        choices=["ascmhl", "legacy", "both", "none"],
        default="ascmhl",
        help="manifests written into each destination: an ASC MHL v2 history "
        "(default; a card's own history is carried and continued), a "
        "legacy MHL v1 file, both, or none",
    )
    add_creator_arguments(copy, "manifest creator info")
    production = copy.add_argument_group("production fields (reports)")
    production.add_argument("--production", metavar="NAME", help="production title")
    production.add_argument("--shoot-day", metavar="DAY", help="shoot day, e.g. 'Day 12'")
    production.add_argument("--camera", metavar="NAME", help="camera, e.g. 'A cam'")
    production.add_argument(
        "--reel", metavar="NAME", help="reel or card name (default: the source folder's name)"
    )

    if copy_only:
        return parser
    from offload.bench.cli import add_bench_parser
    from offload.cli.history_cmd import add_history_parser
    from offload.cli.verify_cmd import add_verify_parser
    from offload.report.cli import add_report_parser

    add_verify_parser(commands)
    add_history_parser(commands)
    add_bench_parser(commands)
    add_report_parser(commands)
    return parser
