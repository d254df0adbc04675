"""/creatives: kinds, then the items of a kind for the partner's segment; files as files."""

from __future__ import annotations

from pathlib import Path

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, FSInputFile, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.content.models import CREATIVE_KINDS, Creative
from bot.content.render import creative_message
from bot.i18n import L10n
from bot.services.creatives import CreativeService
from bot.services.partner import Partner
from handlers.callbacks import CreativeCb, MenuCb
from handlers.screens import Screen, edit, file_or_notice, no_longer_available, reply, send


def kinds_screen(creatives: CreativeService, segment: str | None, l10n: L10n) -> Screen:
    kinds = creatives.kinds(segment)
    if not kinds:
        return Screen(l10n("creatives-empty"))
    builder = InlineKeyboardBuilder()
    for kind in kinds:
        count = len(creatives.items(kind, segment))
        builder.button(
            text=l10n("creatives-kind-button", kind=l10n(f"creative-kind-{kind}"), count=count),
            callback_data=CreativeCb(action="kind", ref=kind),
        )
    builder.adjust(2)
    return Screen(l10n("creatives-kinds"), builder.as_markup())


def _kind_screen(items: list[Creative], kind: str, l10n: L10n) -> Screen:
    builder = InlineKeyboardBuilder()
    for item in items:
        builder.button(text=item.title[:60], callback_data=CreativeCb(action="item", ref=item.id))
    builder.button(text=l10n("button-back"), callback_data=CreativeCb(action="kinds"))
    builder.adjust(1)
    return Screen(l10n("creatives-kind", kind=l10n(f"creative-kind-{kind}")), builder.as_markup())


async def _send_item(
    message: Message, item: Creative, creatives: CreativeService, l10n: L10n
) -> None:
    sent = creative_message(item)
    path = creatives.file_path(item)
    if path is not None:
        await file_or_notice(
            message,
            message.answer_document(
                FSInputFile(path, filename=Path(path).name), caption=sent.caption
            ),
            "document",
            l10n,
            caption=sent.caption,
        )
    if sent.text is not None:
        await send(message, Screen(sent.text))


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command("creatives"))
    @router.callback_query(MenuCb.filter(F.item == "creatives"))
    async def creatives_command(
        event: Message | CallbackQuery, partner: Partner, creatives: CreativeService, l10n: L10n
    ) -> None:
        await reply(event, kinds_screen(creatives, partner.segment, l10n))

    @router.callback_query(CreativeCb.filter(F.action == "kinds"))
    async def to_kinds(
        callback: CallbackQuery, partner: Partner, creatives: CreativeService, l10n: L10n
    ) -> None:
        await callback.answer()
        await edit(callback, kinds_screen(creatives, partner.segment, l10n))

    @router.callback_query(CreativeCb.filter(F.action == "kind"))
    async def open_kind(
        callback: CallbackQuery,
        callback_data: CreativeCb,
        partner: Partner,
        creatives: CreativeService,
        l10n: L10n,
    ) -> None:
        items = creatives.items(callback_data.ref, partner.segment)
        if callback_data.ref not in CREATIVE_KINDS or not items:
            await no_longer_available(callback, l10n)
            return
        await callback.answer()
        await edit(callback, _kind_screen(items, callback_data.ref, l10n))

    @router.callback_query(CreativeCb.filter(F.action == "item"))
    async def open_item(
        callback: CallbackQuery,
        callback_data: CreativeCb,
        partner: Partner,
        creatives: CreativeService,
        l10n: L10n,
    ) -> None:
        item = creatives.item(callback_data.ref, partner.segment)
        if item is None or not isinstance(callback.message, Message):
            await no_longer_available(callback, l10n)
            return
        await callback.answer()
        await _send_item(callback.message, item, creatives, l10n)

    return router
