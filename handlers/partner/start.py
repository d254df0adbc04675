"""/start: greeting, onboarding (segment, the program's questions, consent) and the menu;
someone unknown is sent here by the gate (`gate`)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from aiogram import Bot, F, Router
from aiogram.filters import BaseFilter, Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.config import Settings
from bot.content.models import Content, Contest
from bot.i18n import L10n
from bot.names import display_name
from bot.platforms import platform_of
from bot.rendering import TEXT_LIMIT
from bot.services.contests import ContestService
from bot.services.onboarding import ANSWER_LIMIT, matching_option, read_consent
from bot.services.outbox_enqueue import quiet_at_night
from bot.services.partner import TOPICS, Partner
from bot.services.partners import PartnerService
from bot.services.support import SupportService
from bot.texts import greeting
from handlers.callbacks import OnboardCb
from handlers.filters import PlainText
from handlers.partner.menu import menu_screen
from handlers.partner.support import ask_for_question
from handlers.screens import Screen, arguments, no_longer_available, send


class Onboarding(StatesGroup):
    segment = State()
    question = State()
    consent = State()


class StartOrOnboarding(BaseFilter):
    """Only /start and typed onboarding answers enter this router; other text goes on at
    once (a cheap string check instead of parsing every message as a command)."""

    async def __call__(self, message: Message, raw_state: str | None) -> bool:
        if raw_state is not None and raw_state.startswith(f"{Onboarding.__name__}:"):
            return True
        text = message.text or ""
        return text == "/start" or text.startswith(("/start ", "/start@"))


SHORTEST_LABEL = 40  # characters of a button every platform shows whole (VK cuts there)


def spelled_out(labels: Sequence[str]) -> str:
    """The choices in full under the question, when one is longer than a button shows
    (VK cut «Репетитор / детский сад / админ школьного чата» at 40 characters: the partner
    picked a segment without seeing its name); "" when every one fits."""
    if all(len(label) <= SHORTEST_LABEL for label in labels):
        return ""
    return "\n" + "\n".join(f"• {html.escape(label)}" for label in labels)


def segment_question(content: Content, l10n: L10n) -> str:
    """«Кто вы? Выберите, что ближе:», and the segments in full when a button cuts one."""
    titles = [segment.title for segment in content.program.segments]
    return l10n("onboarding-segment") + spelled_out(titles)


def segment_keyboard(content: Content) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for segment in content.program.segments:
        builder.button(text=segment.title, callback_data=OnboardCb(step="seg", value=segment.id))
    builder.adjust(1)
    return builder.as_markup()


def _question_screen(content: Content, index: int, l10n: L10n) -> Screen:
    question = content.program.onboarding_questions[index]
    total = len(content.program.onboarding_questions)
    text = l10n(
        "onboarding-question", number=index + 1, total=total, text=html.escape(question.text)
    )
    if not question.options:
        return Screen(text + "\n\n" + l10n("onboarding-free-text", limit=ANSWER_LIMIT))
    builder = InlineKeyboardBuilder()
    for number, option in enumerate(question.options):
        builder.button(text=option, callback_data=OnboardCb(step="opt", value=str(number)))
    builder.adjust(2)
    return Screen(text + spelled_out(question.options), builder.as_markup())


def _consent_screen(content: Content, l10n: L10n) -> Screen:
    """The consent, with the program's weekly cap of automated messages and, when its
    quiet hours keep the nights quiet, «никогда ночью»."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=l10n("onboarding-consent-yes"), callback_data=OnboardCb(step="consent", value="yes")
    )
    builder.button(
        text=l10n("onboarding-consent-no"), callback_data=OnboardCb(step="consent", value="no")
    )
    builder.adjust(1)
    schedule = content.program.schedule
    night = "yes" if quiet_at_night(schedule.quiet_hours) else "no"
    text = l10n("onboarding-consent", cap=schedule.max_automated_per_week, night=night)
    return Screen(text, builder.as_markup())


async def _ask_from(
    message: Message, index: int, state: FSMContext, content: Content, l10n: L10n
) -> None:
    """Ask question `index`, or the consent when the questions are over."""
    if index < len(content.program.onboarding_questions):
        await state.set_state(Onboarding.question)
        await state.update_data(question=index)
        await send(message, _question_screen(content, index, l10n))
    else:
        await state.set_state(Onboarding.consent)
        await send(message, _consent_screen(content, l10n))


async def _finish(
    agreed: bool,
    partner: Partner,
    partners: PartnerService,
    contests: ContestService,
    settings: Settings,
    state: FSMContext,
    l10n: L10n,
) -> str:
    """The end of onboarding: the consent kept, and what to say (with a contest announced
    before the partner came, once, here)."""
    await partners.finish_onboarding(partner, consent=agreed)
    await state.clear()
    text = l10n("onboarding-done-subscribed" if agreed else "onboarding-done-quiet")
    named = await contests.eligible(partner.segment)
    text += "".join("\n" + line for line in contest_lines(named, contests, settings, l10n))
    await contests.mention([contest.id for contest in named], partner.id)  # a cancel tells them
    return text


def contest_lines(
    named: list[Contest], contests: ContestService, settings: Settings, l10n: L10n
) -> list[str]:
    """A line per contest a partner has not heard of (announced before they came, or of a
    segment they moved to): when it starts, or until when it runs."""
    lines = []
    for contest in named:
        title = html.escape(contest.title)
        if contests.started(contest):  # running: until when, not since when
            end = contest.ends_at.astimezone(settings.tz).strftime("%d.%m")
            lines.append(l10n("onboarding-contest-running", title=title, end=end))
        else:
            start = contest.starts_at.astimezone(settings.tz).strftime("%d.%m")
            lines.append(l10n("onboarding-contest", title=title, start=start))
    return lines


def resubscribed_text(partner: Partner, l10n: L10n) -> str:
    """After /stop, /start: the topics that are on again, exactly as /settings shows them."""
    on = [l10n(f"topic-{topic}") for topic in TOPICS if partner.subscribed(topic)]
    off = [l10n(f"topic-{topic}") for topic in TOPICS if not partner.subscribed(topic)]
    if not on:
        return l10n("start-resubscribed-none")
    text = l10n("start-resubscribed-topics", on=", ".join(on))
    if off:
        text += "\n" + l10n("start-resubscribed-off", off=", ".join(off))
    return text + "\n" + l10n("start-resubscribed-settings")


def _greeting(partner: Partner, content: Content, l10n: L10n) -> str:
    """Hello and the program's welcome, above the segment question."""
    welcome = html.escape(content.program.welcome.strip()) or l10n("start-default-welcome")
    hello = greeting(
        l10n, "start-hello", partner.first_name, program=html.escape(content.program.name)
    )
    return hello + "\n\n" + welcome


def setup() -> Router:
    router = Router(name=__name__)
    router.message.filter(StartOrOnboarding())

    @router.message(Command("start"))
    async def start(
        message: Message,
        command: CommandObject,
        partner: Partner,
        partners: PartnerService,
        content: Content,
        state: FSMContext,
        settings: Settings,
        bot: Bot,
        support: SupportService,
        l10n: L10n,
    ) -> None:
        args = arguments(command)
        if args.startswith("ref_"):
            await partners.record_referrer(partner, args.removeprefix("ref_"))
        manager = settings.is_manager(f"{platform_of(bot)}:{partner.user_id}")
        if not partner.onboarded and manager:
            # a manager is not asked a partner's questions: their menu, at once
            await partners.finish_onboarding(partner, consent=False)
            await state.clear()
            await message.answer(greeting(l10n, "start-manager", partner.first_name))
            await send(message, menu_screen(l10n, manager=True, content=content))
            return
        if partner.onboarded:
            resumed = ""
            if partner.stopped:
                partner = await partners.resume(partner)
                resumed = resubscribed_text(partner, l10n)
            await state.clear()
            if args == "support":  # "Ask a manager" from the partners' group
                if resumed:
                    await message.answer(resumed)
                await ask_for_question(message, partner, support, state, l10n)
                return
            # hello first, then what is on again: one message
            welcome = greeting(l10n, "start-welcome-back", partner.first_name)
            await message.answer(welcome + ("\n\n" + resumed if resumed else ""))
            await send(message, menu_screen(l10n, manager=manager, content=content))
            return
        await state.set_state(Onboarding.segment)
        # one message, not two: on VK twenty people starting at once wait for each other
        await send(
            message,
            Screen(
                _greeting(partner, content, l10n) + "\n\n" + segment_question(content, l10n),
                segment_keyboard(content),
            ),
        )

    @router.callback_query(OnboardCb.filter(F.step == "seg"), StateFilter(Onboarding.segment))
    async def chose_segment(
        callback: CallbackQuery,
        callback_data: OnboardCb,
        partner: Partner,
        partners: PartnerService,
        content: Content,
        state: FSMContext,
        l10n: L10n,
    ) -> None:
        title = content.program.segment_title(callback_data.value)
        if title is None or not isinstance(callback.message, Message):
            await no_longer_available(callback, l10n)
            return
        await partners.set_segment(partner, callback_data.value)
        await callback.answer()
        chosen = l10n("onboarding-segment-chosen", segment=html.escape(title))
        greeting = _greeting(partner, content, l10n) + "\n\n" + chosen
        await callback.message.edit_text(greeting if len(greeting) <= TEXT_LIMIT else chosen)
        await _ask_from(callback.message, 0, state, content, l10n)

    @router.callback_query(OnboardCb.filter(F.step == "opt"), StateFilter(Onboarding.question))
    async def chose_option(
        callback: CallbackQuery,
        callback_data: OnboardCb,
        partner: Partner,
        partners: PartnerService,
        content: Content,
        state: FSMContext,
        l10n: L10n,
    ) -> None:
        index = int((await state.get_data()).get("question", 0))
        questions = content.program.onboarding_questions
        options = questions[index].options if index < len(questions) else None
        number = (
            int(callback_data.value)
            if callback_data.value.isascii() and callback_data.value.isdigit()
            else -1
        )
        if (
            not options
            or not 0 <= number < len(options)
            or not isinstance(callback.message, Message)
        ):
            await no_longer_available(callback, l10n)
            return
        await partners.save_answer(partner, questions[index].id, options[number])
        await callback.answer()
        await callback.message.edit_text(_answered(questions[index].text, options[number], l10n))
        await _ask_from(callback.message, index + 1, state, content, l10n)

    @router.message(StateFilter(Onboarding.question), PlainText())
    async def typed_answer(
        message: Message,
        partner: Partner,
        partners: PartnerService,
        content: Content,
        state: FSMContext,
        l10n: L10n,
    ) -> None:
        index = int((await state.get_data()).get("question", 0))
        questions = content.program.onboarding_questions
        if index >= len(questions):
            await _ask_from(message, index, state, content, l10n)
            return
        options = questions[index].options
        if options:
            # an option typed instead of pressed counts; anything else gets a hint
            chosen = matching_option(message.text or "", options)
            if chosen is None:
                hint = l10n("onboarding-pick-hint", options=_quoted(options))
                screen = _question_screen(content, index, l10n)
                await send(message, Screen(hint + "\n\n" + screen.text, screen.markup))
                return
            await partners.save_answer(partner, questions[index].id, options[chosen])
            await message.answer(_answered(questions[index].text, options[chosen], l10n))
            await _ask_from(message, index + 1, state, content, l10n)
            return
        typed = (message.text or "").strip()
        refused: str | None = None
        if len(typed) > ANSWER_LIMIT:  # one phrase, kept whole: shorter, please
            refused = l10n("onboarding-too-long", length=len(typed), limit=ANSWER_LIMIT)
        elif not display_name(typed, ""):  # zero-width or blank-looking characters only
            refused = l10n("onboarding-answer-empty")
        if refused is not None:
            screen = _question_screen(content, index, l10n)
            await send(message, Screen(refused + "\n\n" + screen.text, screen.markup))
            return
        await partners.save_answer(partner, questions[index].id, typed)
        await _ask_from(message, index + 1, state, content, l10n)

    @router.message(StateFilter(Onboarding.segment), PlainText())
    async def typed_segment(
        message: Message,
        partner: Partner,
        partners: PartnerService,
        content: Content,
        state: FSMContext,
        l10n: L10n,
    ) -> None:
        segments = content.program.segments
        chosen = matching_option(message.text or "", [segment.title for segment in segments])
        if chosen is None:
            hint = l10n(
                "onboarding-pick-hint", options=_quoted(segment.title for segment in segments)
            )
            await send(
                message,
                Screen(hint + "\n\n" + segment_question(content, l10n), segment_keyboard(content)),
            )
            return
        await partners.set_segment(partner, segments[chosen].id)
        title = html.escape(segments[chosen].title)
        await message.answer(l10n("onboarding-segment-chosen", segment=title))
        await _ask_from(message, 0, state, content, l10n)

    @router.callback_query(OnboardCb.filter(F.step == "consent"), StateFilter(Onboarding.consent))
    async def consent(
        callback: CallbackQuery,
        callback_data: OnboardCb,
        content: Content,
        partner: Partner,
        partners: PartnerService,
        contests: ContestService,
        settings: Settings,
        state: FSMContext,
        l10n: L10n,
    ) -> None:
        await callback.answer()
        if isinstance(callback.message, Message):
            agreed = callback_data.value == "yes"
            text = await _finish(agreed, partner, partners, contests, settings, state, l10n)
            await callback.message.edit_text(text)
            await send(callback.message, menu_screen(l10n, content=content))

    @router.message(StateFilter(Onboarding.consent), PlainText())
    async def typed_consent(
        message: Message,
        content: Content,
        partner: Partner,
        partners: PartnerService,
        contests: ContestService,
        settings: Settings,
        state: FSMContext,
        l10n: L10n,
    ) -> None:
        """«да» / «нет» typed instead of pressed; anything else gets a hint."""
        agreed = read_consent(
            message.text or "", l10n("onboarding-consent-yes"), l10n("onboarding-consent-no")
        )
        if agreed is None:
            screen = _consent_screen(content, l10n)
            hint = l10n("onboarding-consent-hint")
            await send(message, Screen(hint + "\n\n" + screen.text, screen.markup))
            return
        text = await _finish(agreed, partner, partners, contests, settings, state, l10n)
        await message.answer(text)
        await send(message, menu_screen(l10n, content=content))

    @router.callback_query(OnboardCb.filter())
    async def stale_onboarding(callback: CallbackQuery, l10n: L10n) -> None:
        await no_longer_available(callback, l10n)

    return router


def _quoted(options: Iterable[str]) -> str:
    """The options in quotes: «больше 50 тыс.», and no «тыс..» before the hint's full stop."""
    return ", ".join(f"«{html.escape(option)}»" for option in options)


def _answered(question: str, answer: str, l10n: L10n) -> str:
    """«Откуда у вас трафик? — Сайт & блог»: the program's words as text («&» and «<» in a
    segment or an option broke the message, and the partner was stuck)."""
    return l10n("onboarding-answered", text=html.escape(question), answer=html.escape(answer))
