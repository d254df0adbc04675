"""Marketing creatives by kind, only those meant for the partner's segment."""

from __future__ import annotations

from bot.content.models import CREATIVE_KINDS, Creative, CreativeKind
from bot.content.store import ContentStore


class CreativeService:
    def __init__(self, store: ContentStore) -> None:
        self._store = store

    def kinds(self, segment: str | None) -> list[CreativeKind]:
        present = {item.kind for item in self._store.content.creatives if item.visible_to(segment)}
        return [kind for kind in CREATIVE_KINDS if kind in present]

    def items(self, kind: str, segment: str | None) -> list[Creative]:
        return [
            item
            for item in self._store.content.creatives
            if item.kind == kind and item.visible_to(segment)
        ]

    def item(self, creative_id: str, segment: str | None) -> Creative | None:
        item = self._store.content.creative(creative_id)
        return item if item is not None and item.visible_to(segment) else None

    def file_path(self, item: Creative) -> str | None:
        return str(self._store.content.root / item.file) if item.file else None
