"""/settings: subscriptions per topic, language, segment, public name on leaderboards, and
(for a person with both a Telegram and a VK chat) where automated messages go."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.config import Settings
from bot.content.models import Content, Contest
from bot.content.store import ContentStore
from bot.i18n import LANGUAGES, L10n
from bot.services.contests import ContestService, SegmentMove
from bot.services.partner import PUBLIC_NAMES, TOPICS, Partner, next_public_name
from bot.services.partners import PartnerService
from handlers.callbacks import MenuCb, SettingsCb
from handlers.partner.start import contest_lines, segment_question
from handlers.screens import Screen, edit, no_longer_available, reply


def settings_screen(
    partner: Partner, content: Content, l10n: L10n, *, two_chats: bool = False
) -> Screen:
    builder = InlineKeyboardBuilder()
    for topic in TOPICS:
        mark = "✅" if partner.subscribed(topic) else "❌"
        want = "0" if partner.subscribed(topic) else "1"  # the state it sets: a second
        builder.button(  # press of the same button (a double tap) changes nothing more
            text=f"{mark} {l10n(f'topic-{topic}')}",
            callback_data=SettingsCb(action="topic", value=f"{topic}.{want}"),
        )
    other = "en" if partner.language == "ru" else "ru"
    builder.button(
        text=l10n("settings-language", language=l10n(f"language-{partner.language}")),
        callback_data=SettingsCb(action="lang", value=other),
    )
    segment = content.program.segment_title(partner.segment) or l10n("me-segment-none")
    builder.button(
        text=l10n("settings-segment", segment=segment), callback_data=SettingsCb(action="segment")
    )
    builder.button(
        text=l10n("settings-public-name", choice=l10n(f"public-name-{partner.public_name}")),
        callback_data=SettingsCb(action="name", value=next_public_name(partner.public_name)),
    )
    if two_chats:
        where = partner.preferred_platform or "both"
        builder.button(
            text=l10n("settings-platform", where=where),
            callback_data=SettingsCb(action="platform"),
        )
    builder.adjust(1)
    key = "settings-stopped" if partner.stopped and partner.wants_newsletters else "settings-title"
    return Screen(l10n(key), builder.as_markup())


def _segments_screen(content: Content, l10n: L10n) -> Screen:
    builder = InlineKeyboardBuilder()
    for segment in content.program.segments:
        builder.button(
            text=segment.title, callback_data=SettingsCb(action="setseg", value=segment.id)
        )
    builder.button(text=l10n("button-back"), callback_data=SettingsCb(action="back"))
    builder.adjust(1)
    return Screen(segment_question(content, l10n), builder.as_markup())


def _switch_lines(
    move: SegmentMove,
    unheard: list[Contest],
    contests: ContestService,
    settings: Settings,
    l10n: L10n,
) -> list[str]:
    """What a partner who moved to another segment is told of contests: those they had
    not heard of (as at onboarding), and the running ones they came into — counting their
    sales from now on (again: with those made in its segments before) — or left."""
    came = {contest.id for contest, _again in move.entered}
    lines = contest_lines([c for c in unheard if c.id not in came], contests, settings, l10n)
    for contest, again in move.entered:
        key = "settings-contest-rejoined" if again else "settings-contest-joined"
        lines.append(_contest_line(key, contest, settings, l10n))
    lines.extend(_contest_line("settings-contest-left", c, settings, l10n) for c in move.left)
    return lines


def _contest_line(key: str, contest: Contest, settings: Settings, l10n: L10n) -> str:
    end = contest.ends_at.astimezone(settings.tz).strftime("%d.%m")
    return l10n(key, title=html.escape(contest.title), end=end)


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command("settings"))
    @router.callback_query(MenuCb.filter(F.item == "settings"))
    async def settings_command(
        event: Message | CallbackQuery,
        partner: Partner,
        partners: PartnerService,
        content: Content,
        l10n: L10n,
    ) -> None:
        two_chats = bool(await partners.twins(partner))
        await reply(event, settings_screen(partner, content, l10n, two_chats=two_chats))

    @router.callback_query(SettingsCb.filter())
    async def change(
        callback: CallbackQuery,
        callback_data: SettingsCb,
        partner: Partner,
        partners: PartnerService,
        contests: ContestService,
        settings: Settings,
        content: Content,
        content_store: ContentStore,
        l10n: L10n,
    ) -> None:
        action, value = callback_data.action, callback_data.value
        topic, _, want = value.partition(".")
        if action == "topic" and topic in TOPICS and want in ("", "0", "1"):
            on = want == "1" if want else not partner.subscribed(topic)  # "": a button of old
            if on == partner.subscribed(topic):  # pressed again: so it is already
                await callback.answer(l10n("settings-saved"))
                return
            partner = await partners.set_subscription(partner, topic, on)
        elif action == "lang" and value in LANGUAGES:
            partner = await partners.set_language(partner, value)
            l10n = content_store.live.translator.get(value)
        elif action == "name" and value in PUBLIC_NAMES:  # the choice the button shows next
            if value == partner.public_name:  # pressed again: so it is already
                await callback.answer(l10n("settings-saved"))
                return
            partner = await partners.set_public_name(partner, value)
        elif action == "name" and not value:  # a button from before the choice was in it
            partner = await partners.next_public_name(partner)
        elif action == "platform":
            partner = await partners.toggle_preferred_platform(partner)
        elif action == "segment":
            await callback.answer()
            await edit(callback, _segments_screen(content, l10n))
            return
        elif action == "setseg" and content.program.segment_title(value) is not None:
            before = partner.segment
            partner = await partners.set_segment(partner, value)
            contests.clear_cache()  # the boards of its contests change at once
            # contests of the new segment they have not heard of: said, as at onboarding;
            # a running one they came into or left: what it counts of their sales
            new = await contests.unheard(partner.id, before, partner.segment)
            move = await contests.segment_move(partner.id, before, partner.segment)
            lines = _switch_lines(move, new, contests, settings, l10n)
            if lines and isinstance(callback.message, Message):
                await callback.message.answer("\n".join(lines))
                await contests.mention([contest.id for contest in new], partner.id)
        elif action != "back":
            await no_longer_available(callback, l10n)
            return
        # «← Назад» from the segments saved nothing: no «Сохранено»
        await callback.answer(None if action == "back" else l10n("settings-saved"))
        two_chats = bool(await partners.twins(partner))
        await edit(callback, settings_screen(partner, content, l10n, two_chats=two_chats))

    return router
