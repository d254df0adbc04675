"""The live content and what is built from it; swapped only for a valid folder.

Each load knows the folder's fingerprint (a digest of every file's name and bytes), so
that workers can tell whether they serve what another worker validated
(`bot.services.content_sync`): a worker follows a reload elsewhere only when its folder
reads to the same fingerprint, never to a state nobody validated."""

from __future__ import annotations

import hashlib
import logging
import stat
from dataclasses import dataclass
from pathlib import Path

from bot.content.kept import keep, kept
from bot.content.loader import ContentInvalid, load_content
from bot.content.models import Content
from bot.content.references import KnownContests
from bot.content.source import Problem, folder_files
from bot.i18n import Translator
from bot.services.faq_matching import FaqMatcher, lexicon

logger = logging.getLogger(__name__)

CHUNK = 1 << 20  # bytes read at a time for the fingerprint
READ_ATTEMPTS = 3  # a folder that changes while it is read is read again, this often
Signature = tuple[tuple[str, int, int], ...]  # (name, size, mtime) of every file


@dataclass(frozen=True)
class LiveContent:
    content: Content
    matcher: FaqMatcher
    translator: Translator


@dataclass(frozen=True)
class Loaded:
    """A validated folder, built and ready to swap in, and the fingerprint it was read at."""

    live: LiveContent
    fingerprint: int


def folder_signature(root: Path) -> Signature:
    """Names, sizes and modification times: cheap to read, moves with any edit."""
    signature = []
    for path in folder_files(root):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed meanwhile
            continue
        signature.append((path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def folder_fingerprint(root: Path) -> int:
    """A positive 63-bit digest of every file's name and bytes (fits a BIGINT), read in
    chunks. What is no regular file (a FIFO, a device, a symlink to one: refused by
    `loader.special_files`) counts by its name and kind only: it is never opened."""
    digest = hashlib.sha256()
    for path in folder_files(root):
        name = path.relative_to(root).as_posix().encode()
        try:
            status = path.stat()
            if not stat.S_ISREG(status.st_mode):
                digest.update(b"special" + len(name).to_bytes(4, "big") + name)
                continue
            with path.open("rb") as file:
                digest.update(len(name).to_bytes(4, "big") + name)
                digest.update(status.st_size.to_bytes(8, "big"))
                while chunk := file.read(CHUNK):
                    digest.update(chunk)
        except OSError:  # removed meanwhile, a dangling symlink: not content
            continue
    return int.from_bytes(digest.digest()[:8], "big") >> 1 or 1


class ContentStore:
    def __init__(self, root: Path, kept_in: Path | None = None) -> None:
        """`kept_in`: where each valid folder loaded is copied (`bot.content.kept`; the
        bot's own store — not the CLI's — so a restart on a broken folder has one)."""
        self.root = root
        self.kept_in = kept_in
        self.kept_from: Path | None = None  # serving a kept copy: the folder did not load
        loaded = self.load()
        self._live = loaded.live
        self.fingerprint = loaded.fingerprint

    @classmethod
    def last_valid(cls, root: Path, fingerprint: int, kept_in: Path) -> ContentStore | None:
        """A store of `root` serving the kept copy of the content that read to
        `fingerprint` (the one every worker served), when `root` itself does not load;
        None when there is no such copy (or it no longer loads)."""
        copy = kept(fingerprint, kept_in)
        if copy is None:
            return None
        try:
            content = load_content(copy)
        except ContentInvalid:
            return None
        store = cls.__new__(cls)
        store.root, store.kept_in, store.kept_from = root, kept_in, copy
        store._live = cls._build(content)
        store.fingerprint = fingerprint
        return store

    @staticmethod
    def _build(content: Content) -> LiveContent:
        matcher = FaqMatcher(content.faq, lexicon(content.lexicon))
        return LiveContent(content, matcher, Translator(content.locales))

    @property
    def live(self) -> LiveContent:
        return self._live

    @property
    def content(self) -> Content:
        return self._live.content

    def load(self, known: KnownContests | None = None) -> Loaded:
        """Read, validate and build the folder without swapping it in (safe in a thread);
        ContentInvalid with every problem. The fingerprint is taken before and after
        reading: a folder edited meanwhile is read again. `known`: /reload's (the new
        contests whose start has passed are named)."""
        for _attempt in range(READ_ATTEMPTS):
            before = folder_fingerprint(self.root)
            content = load_content(self.root, known)
            if folder_fingerprint(self.root) == before:
                if self.kept_in is not None:
                    keep(self.root, before, self.kept_in)
                return Loaded(self._build(content), before)
        raise ContentInvalid(
            [Problem(str(self.root), 1, "the folder kept changing while it was read")]
        )

    def swap(self, loaded: Loaded) -> None:
        self._live = loaded.live
        self.fingerprint = loaded.fingerprint
        self.kept_from = None
        logger.info("content loaded from %s (%016x)", self.root, loaded.fingerprint)

    def reload(self) -> list[Problem]:
        """Load the folder again; on any problem keep the old content and return them."""
        try:
            loaded = self.load()
        except ContentInvalid as exc:
            logger.warning("content reload refused: %d problem(s)", len(exc.problems))
            return exc.problems
        self.swap(loaded)
        return []

    def load_validated(self, fingerprint: int) -> Loaded | None:
        """The folder loaded, if it reads to `fingerprint` (what a worker validated and
        published); None when the folder has changed since (or no longer loads)."""
        if folder_fingerprint(self.root) != fingerprint:
            return None
        try:
            loaded = self.load()
        except ContentInvalid:
            return None
        return loaded if loaded.fingerprint == fingerprint else None
