"""/faq browsing and free-text questions answered from the FAQ."""

from __future__ import annotations

import html
import zlib

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import typed_labels
from bot.config import Settings
from bot.content.models import Content, FaqEntry
from bot.content.render import faq_answer_html
from bot.i18n import L10n, Translator
from bot.rendering import TEXT_LIMIT, visible_length
from bot.services import small_talk
from bot.services.audit import AuditLog
from bot.services.faq import Answer, FaqService
from bot.services.partner import Partner
from handlers.callbacks import AskCb, FaqCb, MenuCb
from handlers.filters import PlainQuestion, PlainText
from handlers.manager import MANAGER_COMMANDS
from handlers.middlewares import TextReading
from handlers.partner.link import looks_like_id
from handlers.partner.menu import menu_screen
from handlers.screens import Screen, actor, edit, keyboard, no_longer_available, reply, send

BUTTON_LABEL_LIMIT = 60
TOPIC_PAGE = 20  # a topic's questions a screen (with the turns and «← Назад»: VK takes 40)


def topic_key(topic: str) -> str:
    return format(zlib.crc32(topic.encode()), "08x")


def _short(text: str) -> str:
    return text if len(text) <= BUTTON_LABEL_LIMIT else text[: BUTTON_LABEL_LIMIT - 1] + "…"


def topics_screen(faq: FaqService, segment: str | None, l10n: L10n) -> Screen:
    builder = InlineKeyboardBuilder()
    for topic in faq.topics(segment):
        builder.button(text=topic, callback_data=FaqCb(action="topic", ref=topic_key(topic)))
    builder.adjust(2)
    return Screen(l10n("faq-topics"), builder.as_markup())


def _topic_screen(
    faq: FaqService, topic: str, segment: str | None, l10n: L10n, page: int = 0
) -> Screen:
    """A topic's questions, `TOPIC_PAGE` a screen (VK's keyboard holds 40 buttons: a topic
    of 45 lost its last five and «← Назад» there)."""
    entries = faq.entries(topic, segment)
    pages = max(1, -(-len(entries) // TOPIC_PAGE))
    page = min(max(page, 0), pages - 1)
    builder = InlineKeyboardBuilder()
    for entry in entries[page * TOPIC_PAGE : (page + 1) * TOPIC_PAGE]:
        builder.button(
            text=_short(entry.question), callback_data=FaqCb(action="entry", ref=entry.id)
        )
    builder.adjust(1)
    key = topic_key(topic)
    turns = [
        InlineKeyboardButton(
            text=label, callback_data=FaqCb(action="topic", ref=f"{key}.{to}").pack()
        )
        for label, to in ((l10n("faq-page-previous"), page - 1), (l10n("faq-pick-next"), page + 1))
        if 0 <= to < pages
    ]
    if turns:
        builder.row(*turns)
    builder.row(
        InlineKeyboardButton(text=l10n("button-back"), callback_data=FaqCb(action="topics").pack())
    )
    title = l10n("faq-topic", topic=html.escape(topic))
    if pages > 1:
        title += " " + l10n("faq-page", page=page + 1, pages=pages)
    return Screen(title, builder.as_markup())


def entry_text(entry: FaqEntry) -> str:
    return faq_answer_html(entry)


def _browse_screen(entry: FaqEntry, l10n: L10n, page: int = 0) -> Screen:
    builder = InlineKeyboardBuilder()
    back = f"{topic_key(entry.topic)}.{page}"  # the page of the topic it was opened from
    builder.button(text=l10n("button-back"), callback_data=FaqCb(action="topic", ref=back))
    return Screen(entry_text(entry), builder.as_markup())


def _answered_screen(
    entry: FaqEntry, question_id: int, l10n: L10n, others: tuple[FaqEntry, ...] = ()
) -> Screen:
    """The answer, "Helped / Ask a manager"; under an answer the bot is less sure of, the
    next entries it may have been asked about ("Not it?"), each a tap away."""
    options = [
        [
            (
                l10n("faq-not-it-option", question=_short(other.question)),
                AskCb(action="pick", question=question_id, entry=other.id),
            )
        ]
        for other in others
    ]
    buttons = keyboard(
        *options,
        [
            (l10n("faq-helped"), AskCb(action="helped", question=question_id)),
            (l10n("faq-ask-manager"), AskCb(action="manager", question=question_id)),
        ],
    )
    text = entry_text(entry)
    if others:
        text += "\n\n<i>" + l10n("faq-not-it") + "</i>"
    return Screen(text, buttons)


def answer_screen(answer: Answer, content: Content, l10n: L10n) -> Screen:
    if answer.entry is not None:
        return _answered_screen(answer.entry, answer.question_id, l10n, answer.suggestions)
    if answer.suggestions:
        question = answer.question_id
        options = [
            [(_short(entry.question), AskCb(action="pick", question=question, entry=entry.id))]
            for entry in answer.suggestions
        ]
        none = [(l10n("faq-none-of-these"), AskCb(action="none", question=question))]
        manager = [(l10n("faq-ask-manager"), AskCb(action="manager", question=question))]
        return Screen(l10n("faq-did-you-mean"), keyboard(*options, none, manager))
    return _miss_screen(answer.question_id, l10n)


def _miss_screen(question_id: int, l10n: L10n) -> Screen:
    buttons = keyboard([(l10n("faq-ask-manager"), AskCb(action="manager", question=question_id))])
    return Screen(l10n("faq-miss"), buttons)


def setup() -> Router:
    """Commands and buttons; the free-text router is separate and goes last."""
    router = Router(name=__name__)

    @router.message(Command("faq"))
    @router.callback_query(MenuCb.filter(F.item == "faq"))
    async def faq_command(
        event: Message | CallbackQuery,
        partner: Partner,
        faq: FaqService,
        content: Content,
        l10n: L10n,
        command: CommandObject | None = None,  # None for the menu button
    ) -> None:
        if command is not None and command.args:
            reading = small_talk.read(command.args)
            if reading is not None and (
                reading.kind == "letter"
                or reading.kind in small_talk.SMALL_TALK
                or not any(char.isalpha() for char in command.args)
            ):  # «/faq 1», «/faq как дела»
                await reply(event, Screen(l10n(f"small-talk-{reading.kind}")))
                return
            answer = await faq.ask(partner, command.args)
            await reply(event, answer_screen(answer, content, l10n))
            return
        await reply(event, topics_screen(faq, partner.segment, l10n))

    @router.callback_query(FaqCb.filter(F.action == "topics"))
    async def back_to_topics(
        callback: CallbackQuery, partner: Partner, faq: FaqService, l10n: L10n
    ) -> None:
        await callback.answer()
        await edit(callback, topics_screen(faq, partner.segment, l10n))

    @router.callback_query(FaqCb.filter(F.action == "topic"))
    async def open_topic(
        callback: CallbackQuery,
        callback_data: FaqCb,
        partner: Partner,
        faq: FaqService,
        l10n: L10n,
    ) -> None:
        key, _, page = callback_data.ref.partition(".")  # «key» or «key.page»
        topic = next((t for t in faq.topics(partner.segment) if topic_key(t) == key), None)
        if topic is None or not (page == "" or (page.isdigit() and len(page) <= 4)):
            await no_longer_available(callback, l10n)
            return
        await callback.answer()
        await edit(callback, _topic_screen(faq, topic, partner.segment, l10n, int(page or 0)))

    @router.callback_query(FaqCb.filter(F.action == "entry"))
    async def open_entry(
        callback: CallbackQuery,
        callback_data: FaqCb,
        partner: Partner,
        faq: FaqService,
        l10n: L10n,
    ) -> None:
        entry = faq.entry(callback_data.ref, partner.segment)
        if entry is None:
            await no_longer_available(callback, l10n)
            return
        await callback.answer()
        ids = [item.id for item in faq.entries(entry.topic, partner.segment)]
        page = ids.index(entry.id) // TOPIC_PAGE if entry.id in ids else 0
        await edit(callback, _browse_screen(entry, l10n, page))

    @router.callback_query(AskCb.filter(F.action == "pick"))
    async def picked(
        callback: CallbackQuery,
        callback_data: AskCb,
        partner: Partner,
        faq: FaqService,
        l10n: L10n,
    ) -> None:
        entry = faq.entry(callback_data.entry, partner.segment)
        if entry is None or not await faq.resolve(partner, callback_data.question, entry.id):
            await no_longer_available(callback, l10n)
            return
        await callback.answer()
        await edit(callback, _answered_screen(entry, callback_data.question, l10n))

    @router.callback_query(AskCb.filter(F.action == "none"))
    async def none_fits(
        callback: CallbackQuery,
        callback_data: AskCb,
        partner: Partner,
        faq: FaqService,
        content: Content,
        l10n: L10n,
    ) -> None:
        if not await faq.resolve(partner, callback_data.question, None):
            await no_longer_available(callback, l10n)  # not a question of theirs: forged
            return
        await callback.answer()
        await edit(callback, _miss_screen(callback_data.question, l10n))

    @router.callback_query(AskCb.filter(F.action == "helped"))
    async def helped(
        callback: CallbackQuery,
        callback_data: AskCb,
        partner: Partner,
        faq: FaqService,
        l10n: L10n,
    ) -> None:
        helped = await faq.helped(partner, callback_data.question)
        if helped is None:  # not an answer this partner got: refused (and logged)
            await no_longer_available(callback, l10n)
            return
        learned = helped.proposed.learned
        thanked = learned is not None and learned.status != "rejected"
        await callback.answer(l10n("faq-thanks-learned" if thanked else "faq-thanks"))
        if not isinstance(callback.message, Message):
            return
        text = entry_text(helped.unsure) if helped.unsure is not None else ""
        if 0 < visible_length(text) <= TEXT_LIMIT:
            # the "Не то?" line goes with the options it announced (a long answer went
            # in parts: its last part keeps the line rather than the whole sent again)
            await edit(callback, Screen(text))
        else:
            await callback.message.edit_reply_markup(reply_markup=None)

    return router


def setup_free_text(name: str = "free_text", *, hot: bool = False) -> Router:
    """Any other text in a private chat is a question; `hot`: the router first in line,
    for text that can only be a question (PlainQuestion)."""
    router = Router(name=f"{__name__}.{name}")

    @router.message(PlainQuestion() if hot else PlainText())
    async def question(
        message: Message,
        partner: Partner,
        faq: FaqService,
        content: Content,
        settings: Settings,
        l10n: L10n,
        translator: Translator,
        audit: AuditLog,
        text_reading: TextReading | None = None,
    ) -> None:
        if _manager_command_words(message, settings):
            # «tickets», «reload x» from someone not in MANAGERS: what «/tickets» gets (an
            # unknown command, and the attempt in the audit log), never a question (nor a
            # gap in /stats)
            name, *rest = (message.text or "").split(maxsplit=1)
            details = rest[0][:200] if rest else None
            await audit.record(actor(message), name.lower(), details=details, allowed=False)
            await message.answer(l10n("unknown-command"))
            await send(message, menu_screen(l10n, content=content))
            return
        text = message.text or ""
        if _typed_without_slash(message, settings):
            # a manager's «approve_link max:700001», «tickets» (Telegram and MAX read only
            # «/…» as a command; VK's words are read as commands before they get here)
            name, *rest = text.split(maxsplit=1)
            command = "/" + name.lower() + (f" {rest[0]}" if rest else "")
            shown = html.escape(command[:300])  # what they typed, shown as typed
            await message.answer(l10n("manager-command-slash", command=shown))
            return
        if text_reading is not None and text_reading.text == text:  # read by TypedWords
            reading = text_reading.reading
        else:
            reading = typed_labels.read(text, content, translator)
        if reading is not None and reading.kind == "say":  # «помогло», «Нет, другое», a label
            await message.answer(l10n(f"small-talk-{reading.command}"))  # no FAQ miss
        elif reading is None and looks_like_id(text.strip()):
            # «B555» alone: an id, not a question (nor a gap) — how to link it
            await message.answer(l10n("link-hint", affiliate=text.strip()))
        elif reading is None:
            answer = await faq.ask(partner, message.text or "")
            await send(message, answer_screen(answer, content, l10n))
        else:  # small talk (menu words and asking for a person: handlers.middlewares)
            # a short friendly answer, no FAQ miss; a manager's dates: a dialog ended
            manager = _is_manager(message, settings)
            kind = "date-manager" if reading.kind == "date" and manager else reading.kind
            await message.answer(l10n(f"small-talk-{kind}"))

    return router


def _manager_command_words(message: Message, settings: Settings) -> bool:
    """A manager command's name, alone or with one word after it («close», «reload x»),
    typed by someone else; a longer sentence that starts with such a word («partner
    program how does it work?», «stats don't update») stays a question."""
    words = (message.text or "").split()
    if not 1 <= len(words) <= 2 or words[0].lower() not in MANAGER_COMMANDS:
        return False
    return not _is_manager(message, settings)


def _typed_without_slash(message: Message, settings: Settings) -> bool:
    """A manager's own command typed without the slash, alone or with its arguments: no
    question for the FAQ (it got «Не уверен, что понял вопрос…» and was a gap in /stats)."""
    words = (message.text or "").split()
    return bool(words) and words[0].lower() in MANAGER_COMMANDS and _is_manager(message, settings)


def _is_manager(message: Message, settings: Settings) -> bool:
    return message.from_user is not None and settings.is_manager(actor(message))
