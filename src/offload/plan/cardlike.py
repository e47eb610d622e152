"""Does a folder look like a camera card? (A second card given by mistake as a destination.)

The signs are the folder layouts cameras write at the root of their media, and a card's own
ASC MHL history at the root without offload-ai's state beside it. Looks at a handful of
names at the root (and, for a sign, one name below it; for a folder named as an ARRI reel,
its listing) only: cheap, and never wrong about a folder holding our own copies. An ARRI
reel, a sound recorder's take (``.WAV``, ``.BWF``) or a Blackmagic clip counts only at the
root of a FAT or exFAT volume (``volume_root_sign``): a drive's folder holding another
tool's copy of such a card is where an offload of that card finds its copies.

Our own copies look like cards, by design: a copy root is the card's tree, so an ``--into``
copy of a GoPro card has ``DCIM/`` at the destination's root, and ``offload copy
A001_0101AB.RDM RAID`` leaves ``RAID/A001_0101AB.RDM/``. Every copy root of ours holds
``.offload/`` (its ledger and lock, made before the first byte: a run stopped by Ctrl-C has
it too). So a sign is not counted where that state says it is ours: ``.offload/`` at the
folder's root (the folder is one of our copy roots: everything in it is our copy), or in the
sign's own top folder (``RAID/A001_0101AB.RDM/.offload``: that folder is our copy of a card).
A real card has neither: offload-ai never writes to a source, and a card given as a
destination is refused before anything (``.offload/`` included) is written, unless the user
said it is not a card (``--allow-card-destination``). Our copy of a card is a destination
for that card's re-run (``--into`` it), not for a copy made inside it
(``copy_root_card_sign``: the preflight refuses it as a card).

A folder *on* a card (``camera_card_volume``) is judged by its volume's root, and only on a
volume a camera formats: FAT or exFAT (SD, CFexpress, CFast, XQD, SxS, P2 are all formatted
so by the camera). A shuttle or RAID drive (ext4, XFS, btrfs, APFS, HFS+, NTFS) whose root
holds a Finder copy of a card's ``DCIM/`` is a drive, and its folders are destinations.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from offload.plan.filesystem import detect_filesystem
from offload.sound_takes import RECORDING_ENDINGS

# A copy root's state folder (offload.ledger.STATE_FOLDER; not imported: the ledger module
# is not needed to plan a copy that refuses its destinations).
_OURS = ".offload"

# (path below the root, what writes it): one is enough.
CARD_SIGNS: tuple[tuple[str, str], ...] = (
    ("DCIM", "DCIM/ (stills and video cameras, drones, action cameras)"),
    ("PRIVATE/M4ROOT", "PRIVATE/M4ROOT/ (Sony XAVC)"),
    # XDROOT: Sony's professional cameras alike (XDCAM camcorders, FS7, FX9, F55, VENICE,
    # BURANO; XAVC, and X-OCN on an AXS card): the folder does not tell which one wrote it.
    ("PRIVATE/XDROOT", "PRIVATE/XDROOT/ (Sony XAVC or X-OCN: XDCAM, FX9, VENICE, BURANO)"),
    ("XDROOT", "XDROOT/ (Sony XAVC or X-OCN: XDCAM, FX9, VENICE, BURANO)"),
    ("PRIVATE/AVCHD", "PRIVATE/AVCHD/ (AVCHD cameras)"),
    ("CONTENTS/CLIPS001", "CONTENTS/CLIPS001/ (Canon Cinema EOS, XF)"),
    ("CONTENTS/VIDEO", "CONTENTS/VIDEO/ (Panasonic P2)"),
    ("LASTCLIP.TXT", "LASTCLIP.TXT (Panasonic P2)"),
    ("MEDIAPRO.XML", "MEDIAPRO.XML (Sony SxS/XQD)"),
    # Sound Devices recorders make it (hidden on the recorder) on every medium they format.
    ("SOUNDDEV", "SOUNDDEV/ (Sound Devices recorder)"),
)

# ARRI ALEXA: a reel folder at the card's root (A001R1AB: camera letter, reel number, "R",
# the card's ID), holding the reel's clip folders (A001C001_230101_R1AB) of .mxf or .ari.
_ARRI_REEL = re.compile(r"[A-Z][0-9]{3}R[0-9A-Z]{3,4}", re.IGNORECASE)
# Blackmagic cameras write their clips at the card's root under the camera's own names,
# Blackmagic RAW and ProRes alike (A001_08151234_C001.braw, .mov): a clip named otherwise (a
# drive's own, an edit's export) is not a sign. Other cameras' .mov names differ (Canon
# A001C001_..., Sony C0001, Panasonic, GoPro, Atomos), and are in folders, not at the root.
_BLACKMAGIC_CLIP = re.compile(r"[A-Z][0-9]{3}_[0-9]{8}_C[0-9]{3}\.(braw|mov)", re.IGNORECASE)
_BLACKMAGIC_CODEC = {"braw": "Blackmagic RAW", "mov": "Blackmagic ProRes"}
# The earlier Blackmagic cameras (Cinema Camera, Production Camera 4K, the first Pocket)
# name a clip [camera ID]_[reel]_[date]_[hhmm]_C[clip] (BMC01_1_2012-08-08_1631_C0002): a
# QuickTime movie (ProRes or DNxHD: those cameras record DNx in QuickTime, not MXF) or a
# CinemaDNG clip, a folder of that name holding the frames (.dng), at the card's root.
_BLACKMAGIC_2012 = re.compile(
    r"[A-Z0-9]+_[0-9]+_[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9]{4}_C[0-9]{4}", re.IGNORECASE
)


# The filesystems a camera formats its media with, as /proc/self/mountinfo (or, for a FUSE
# block mount, its device's boot sector) names them: FAT (SD up to 32 GB, older CF) and exFAT
# (SDXC, CFexpress, CFast, XQD, SxS). Not a camera's: ext4, xfs, btrfs, zfs, apfs, hfsplus,
# ntfs/ntfs3/ntfs-3g, tmpfs, network filesystems.
_CARD_FILESYSTEMS = frozenset({"vfat", "msdos", "fat", "umsdos", "exfat"})


def _our_copy_root(folder: Path) -> bool:
    """Whether *folder* holds offload-ai's state, so is a copy root of ours."""
    return os.path.isdir(folder / _OURS)


def camera_card_sign(folder: Path, *, history: bool = True) -> str | None:
    """What makes *folder* look like a camera card's root, or None. Never raises (a folder
    that cannot be listed is not called a card); None for a copy root of ours, and a sign
    whose top folder is a copy root of ours is not counted (see the module docstring).
    *history* False leaves out the weakest sign, an ASC MHL history at the root."""
    if _our_copy_root(folder):
        return None
    return _layout_sign(folder, history=history)


def copy_root_card_sign(folder: Path) -> str | None:
    """What makes *folder*, a copy root of ours, look like a camera card (our copy of one,
    ``D1/FX6`` holding ``PRIVATE/M4ROOT/``), or None (not a copy root of ours, or laid out
    like no card). Such a folder is a destination only for that card, ``--into`` it; given
    as a destination that a copy goes inside (``offload copy CANON D1/FX6`` makes
    ``D1/FX6/CANON``) it is a mistyped destination, refused by the preflight as a card is.
    Its ASC MHL history is ours: not a sign. The root of a volume no camera formats
    (``card_filesystem``) is that drive, not a mistyped destination, as for another tool's
    copy there (``destination_card_sign``): a shuttle drive holding our copy of a card at its
    root takes offloads into its root. Never raises."""
    if not _our_copy_root(folder):
        return None
    sign = _layout_sign(folder, history=False)
    if sign is not None and _drive_root(folder):
        return None
    return sign


def enclosing_copy_root_card(folder: Path) -> tuple[Path, str] | None:
    """The copy root of ours laid out like a card (``copy_root_card_sign``) that *folder* is
    inside of, as (that copy root, its sign), or None: ``offload copy CANON D1/FX6/PRIVATE``
    writes inside the FX6's copy as surely as ``D1/FX6`` would. Only the folders above
    *folder* below its volume's root are looked at (a few ``isdir`` calls): a drive's root
    holding our copy of a card is that drive, its folders ordinary destinations
    (``camera_card_volume``). Never raises."""
    try:
        current = Path(os.path.realpath(folder)).parent
        while current != current.parent and not os.path.ismount(current):
            if _our_copy_root(current):
                sign = _layout_sign(current, history=False)
                if sign is not None:
                    return current, sign
            current = current.parent
    except (OSError, ValueError):
        return None
    return None


def _drive_root(folder: Path) -> bool:
    """Whether *folder* is the root of a mounted volume no camera formats. Never raises."""
    try:
        real = os.path.realpath(folder)
        return os.path.ismount(real) and not card_filesystem(Path(real))
    except (OSError, ValueError):
        return False


def _layout_sign(folder: Path, *, history: bool) -> str | None:
    """``camera_card_sign``'s signs of *folder*'s layout, whether or not it is a copy root
    of ours (a sign whose top folder is one is still not counted)."""
    for relative, what in CARD_SIGNS:
        top = relative.partition("/")[0]
        if os.path.lexists(folder / relative) and not _our_copy_root(folder / top):
            return what
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    red = next(
        (n for n in names if n.upper().endswith(".RDM") and not _our_copy_root(folder / n)),
        None,
    )
    if red is not None:
        return f"{red}/ (RED magazine)"
    if history and "ascmhl" in names:
        return "an ASC MHL history (ascmhl/) at its root that offload-ai did not write there"
    return None


class SoundSign(str):
    """A sign's words (a ``str``, shown as is) that are a sound recorder's, not a camera's:
    a take at the volume's root or a folder of takes beside its sound report. The preflight
    words its refusal by this kind, never by the words' text (review of names70, L2: a
    substring chose the sound words, and the line through ``camera_card_volume`` called a
    recorder's card a camera card)."""

    __slots__ = ()


def volume_root_sign(root: Path, *, takes: bool = True) -> str | None:
    """The signs counted only at the root of a volume a camera formats (FAT, exFAT): an
    ARRI reel folder, a sound recorder's take (a ``.WAV`` or ``.BWF`` file, the sign the
    ``--cascade-to`` check counts there too) or a folder of takes beside its sound report
    (``250101/250101.CSV``, ``_recorder_folder``), a Blackmagic clip (``.braw`` or ProRes
    ``.mov``, the camera's names; the earlier cameras' QuickTime, ProRes or DNxHD, or
    CinemaDNG clip folder).
    Another tool's copy of such a card on a drive has the same layout in a folder
    (``RAID/A001R1AB/A001C001_...``), which an offload of that card into the drive is meant
    to find and adopt: a folder is not judged by them (the misordering check of
    ``--cascade-to``, ``cli/common._card_signs``, counts them in a plain folder only as a
    weaker sign, against the SOURCE's own; *takes* False leaves the sound takes and folders
    out, which it counts as clips at a folder's top, its own rule). Never raises."""
    try:
        names = os.listdir(root)
    except OSError:
        return None
    reel = next((n for n in names if _arri_reel(root, n)), None)
    if reel is not None:
        return f"{reel}/ (ARRI reel)"
    take = _recorder_take(root, sorted(names)) if takes else None
    if take is not None:
        return SoundSign(f"{take} (a sound recorder's take at the card's root)")
    report = _recorder_folder(root, sorted(names)) if takes else None
    if report is not None:
        return SoundSign(f"{report} (a sound recorder's takes beside its sound report)")
    for name in names:
        clip = _BLACKMAGIC_CLIP.fullmatch(name)
        if clip is not None:
            return f"{name} ({_BLACKMAGIC_CODEC[clip.group(1).lower()]} clip at the card's root)"
        stem, dot, extension = name.rpartition(".") if "." in name else (name, "", "")
        if not _BLACKMAGIC_2012.fullmatch(stem):
            continue
        if dot and extension.lower() == "mov":
            return f"{name} (Blackmagic QuickTime clip, ProRes or DNxHD, at the card's root)"
        if not dot and _holds_dng(root / name):
            return f"{name}/ (Blackmagic CinemaDNG clip at the card's root)"
    return None


# A recorder's name for a take: a run of three digits (Zoom's ZOOM0001, Tascam's, a dated
# 250101_001), a take number after a scene's (S01T01_1) or alone (T001, 1-T01). A single
# ``sync_tone.wav`` a DIT left at a shuttle drive's root is none (rev7_69 L4).
_TAKE_NAME = re.compile(r"(?i)^(?=.*(?:[0-9]{3}|(?:^|[^a-z])T[0-9]|S[0-9]+T[0-9])).+\.(?:wav|bwf)$")


def _recorder_take(root: Path, names: list[str]) -> str | None:
    """The first of *names* (at *root*) that is a sound recorder's take (``_sound_take``)
    named as a recorder names one (``_TAKE_NAME``), or, with two or more takes at the root
    whatever their names, the first of them; else None."""
    found = [n for n in names if _sound_take(root, n)]
    named = next((n for n in found if _TAKE_NAME.match(n)), None)
    if named is not None:
        return named
    return found[0] if len(found) >= 2 else None


def _recorder_folder(root: Path, names: list[str]) -> str | None:
    """The sound report (``<folder>/<folder>.CSV``, as ``report.release`` knows one) of the
    first folder of *names* (at *root*) that holds one beside a take (``_sound_take``), as
    ``250101/250101.CSV``; else None. Recorders that file their takes by day or project
    (``250101/250101_T01.WAV``), without SOUNDDEV/, write no take at the root (QA qa70rep
    L1: such a card took a GoPro's clips). Lists only a folder holding such a CSV (one
    ``isfile`` a folder of the root, never a folder of ours)."""
    for name in names:
        report = f"{name}.CSV"
        folder = root / name
        if not os.path.isfile(folder / report) or _our_copy_root(folder):
            continue
        try:
            inside = os.listdir(folder)
        except OSError:
            continue
        # The report as the folder spells it (FAT and exFAT match names in any case).
        spelled = next((n for n in inside if n.upper() == report.upper()), report)
        if any(_sound_take(folder, n) for n in inside):
            return f"{name}/{spelled}"
    return None


def _sound_take(folder: Path, name: str) -> bool:
    """Whether *name* in *folder* is a sound recorder's take: a ``.WAV`` or ``.BWF`` file
    (``RECORDING_ENDINGS``, case-insensitively), not a link. Stats only a name so ending."""
    if not name.upper().endswith(RECORDING_ENDINGS):
        return False
    return os.path.isfile(folder / name) and not os.path.islink(folder / name)


def _holds_dng(folder: Path) -> bool:
    """Whether *folder* (not a copy root of ours) holds a CinemaDNG frame (``.dng``)."""
    if _our_copy_root(folder):
        return False
    try:
        return any(n.lower().endswith(".dng") for n in os.listdir(folder))
    except OSError:
        return False


def _arri_reel(folder: Path, name: str) -> bool:
    """Whether *name* in *folder* is an ARRI reel folder: a reel's name, not a copy root of
    ours, holding a clip folder of that reel (``A001R1AB/A001C001_...``). Lists only a
    folder so named."""
    if not _ARRI_REEL.fullmatch(name) or _our_copy_root(folder / name):
        return False
    try:
        inside = os.listdir(folder / name)
    except OSError:
        return False
    clip = re.compile(re.escape(name[:4]) + r"C[0-9]{3}_", re.IGNORECASE)
    return any(clip.match(n) for n in inside)


def destination_card_sign(folder: Path) -> str | None:
    """What makes *folder*, given as a destination, look like a camera card (its own signs,
    `camera_card_sign`), or None; also None when *folder* is the root of a volume no camera
    formats (``card_filesystem``): a shuttle drive's root holding a Finder copy of a card's
    ``DCIM/`` is that drive, not a card. A folder below a volume's root is judged by its
    layout alone (a card's folder copied to a drive, given by mistake). Never raises."""
    sign = camera_card_sign(folder)
    try:
        real = os.path.realpath(folder)
        root = os.path.ismount(real)
    except (OSError, ValueError):
        return sign
    if root and (sign is not None or not _our_copy_root(folder)):
        if not card_filesystem(Path(real)):
            return None
        return sign or volume_root_sign(Path(real))
    return sign


def camera_card_volume(folder: Path) -> tuple[Path, str] | None:
    """The camera card *folder* is inside of, as (the card's root, its sign), or None.

    A camera card is a volume of its own, so this looks at one folder: the root of the
    mounted filesystem holding *folder* (or, for a folder not made yet, its nearest existing
    parent), when that root is not *folder* itself (whose own signs `camera_card_sign`
    reads). ``offload copy A001 /media/FX6CARD/PRIVATE`` writes into a Sony card as surely as
    ``/media/FX6CARD`` would. The folders between are not looked at: a drive's subfolders hold
    copies of cards made by other tools, which look like cards by design. Nor is an ASC MHL
    history at the volume's root a sign here: a drive another tool copied a card to the root
    of has one, and the folders below it are ordinary destinations. The system's root is never
    a card. Nor is a volume no camera formats (``card_filesystem``: only FAT and exFAT are):
    a shuttle drive holding a Finder copy of a card at its root is a drive. Never raises."""
    try:
        existing = Path(os.path.abspath(folder))
        while not os.path.isdir(existing) and existing != existing.parent:
            existing = existing.parent
        # Where it really is: a link to a folder on a card leads onto the card.
        existing = Path(os.path.realpath(existing))
        root = existing
        while not os.path.ismount(root):
            root = root.parent
    except (OSError, ValueError):
        return None
    if root == root.parent or root == Path(os.path.realpath(folder)):
        return None
    # The layout's own signs first: a few lexists, where the filesystem's type reads
    # mountinfo. The root's signs (``volume_root_sign``) only on a volume a camera formats:
    # they look into each folder of the root, which an ext4 or NFS drive of 5,000 folders
    # paid on every run (0.45 s, review of names70, L3).
    sign = camera_card_sign(root, history=False)
    if sign is None and _our_copy_root(root):
        return None
    if not card_filesystem(root):
        return None
    sign = sign or volume_root_sign(root)
    return None if sign is None else (root, sign)


def card_filesystem(root: Path) -> bool:
    """Whether the volume mounted at *root* may be a camera card: FAT or exFAT (the kernel's
    driver, a FUSE program serving one, a ``fuseblk`` mount whose device holds one), or a
    filesystem that cannot be told (no mountinfo, a ``fuseblk`` device that cannot be read:
    exFAT among its candidates), so that a card is never written into for want of knowing.
    Never raises."""
    found = detect_filesystem(root)
    fstype = (found.on_device or found.fstype).lower()
    if fstype in _CARD_FILESYSTEMS or fstype in ("unknown", "fuseblk"):
        return True
    program = fstype[5:] if fstype.startswith("fuse.") else ""
    return "fat" in program  # fuse.exfat, fuse.exfat-fuse, fuse.fusefat
