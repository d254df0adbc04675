"""/lessons: the course with the partner's progress, a lesson, "Done, next"."""

from __future__ import annotations

import html

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, FSInputFile, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.content.models import Content, Lesson
from bot.content.render import lesson_html
from bot.i18n import L10n
from bot.services.lessons import Course, LessonService
from bot.services.partner import Partner
from handlers.callbacks import LessonCb, MenuCb
from handlers.screens import Screen, edit, file_or_notice, no_longer_available, reply, send


def course_screen(course: Course, l10n: L10n) -> Screen:
    if not course.lessons:
        return Screen(l10n("lessons-empty"))
    builder = InlineKeyboardBuilder()
    for lesson in course.lessons:
        mark = "✅" if lesson.id in course.done else "▫️"
        builder.button(
            text=f"{mark} {lesson.title}", callback_data=LessonCb(action="open", lesson=lesson.id)
        )
    builder.adjust(1)
    text = l10n("lessons-course", done=course.finished, total=len(course.lessons))
    return Screen(text, builder.as_markup())


def _lesson_screen(lesson: Lesson, course: Course, l10n: L10n) -> Screen:
    number = [item.id for item in course.lessons].index(lesson.id) + 1
    header = l10n(
        "lessons-title", number=number, total=len(course.lessons), title=html.escape(lesson.title)
    )
    text = lesson_html(lesson, header)
    builder = InlineKeyboardBuilder()
    if lesson.id not in course.done:
        builder.button(
            text=l10n("lessons-done-next"), callback_data=LessonCb(action="done", lesson=lesson.id)
        )
    else:
        builder.button(
            text=l10n("lessons-next"), callback_data=LessonCb(action="next", lesson=lesson.id)
        )
    builder.button(text=l10n("lessons-to-list"), callback_data=LessonCb(action="list"))
    builder.adjust(1)
    return Screen(text, builder.as_markup())


async def _show_lesson(
    message: Message, lesson: Lesson, course: Course, lessons: LessonService, l10n: L10n
) -> None:
    """The lesson's text, then its files; the buttons under the last of them (so the next
    lesson's file never comes before its text, and the buttons stay at the bottom)."""
    screen = _lesson_screen(lesson, course, l10n)
    files = lessons.files(lesson)
    await send(message, Screen(screen.text) if files else screen)
    for index, path in enumerate(files):
        markup = screen.markup if index == len(files) - 1 else None
        await file_or_notice(
            message,
            message.answer_document(FSInputFile(path, filename=path.name), reply_markup=markup),
            "document",
            l10n,
            markup=markup,
        )


def setup() -> Router:
    router = Router(name=__name__)

    @router.message(Command("lessons"))
    @router.callback_query(MenuCb.filter(F.item == "lessons"))
    async def lessons_command(
        event: Message | CallbackQuery, partner: Partner, lessons: LessonService, l10n: L10n
    ) -> None:
        await reply(event, course_screen(await lessons.course(partner), l10n))

    @router.callback_query(LessonCb.filter(F.action == "list"))
    async def to_list(
        callback: CallbackQuery, partner: Partner, lessons: LessonService, l10n: L10n
    ) -> None:
        await callback.answer()
        await edit(callback, course_screen(await lessons.course(partner), l10n))

    @router.callback_query(LessonCb.filter(F.action == "open"))
    async def open_lesson(
        callback: CallbackQuery,
        callback_data: LessonCb,
        partner: Partner,
        lessons: LessonService,
        content: Content,
        l10n: L10n,
    ) -> None:
        lesson = lessons.lesson(callback_data.lesson, partner.segment)
        if lesson is None or not isinstance(callback.message, Message):
            await no_longer_available(callback, l10n)
            return
        await callback.answer()
        await _show_lesson(callback.message, lesson, await lessons.course(partner), lessons, l10n)

    @router.callback_query(LessonCb.filter(F.action.in_({"done", "next"})))
    async def done_next(
        callback: CallbackQuery,
        callback_data: LessonCb,
        partner: Partner,
        lessons: LessonService,
        content: Content,
        l10n: L10n,
    ) -> None:
        lesson = lessons.lesson(callback_data.lesson, partner.segment)
        if lesson is None or not isinstance(callback.message, Message):
            await no_longer_available(callback, l10n)
            return
        if callback_data.action == "done":
            course, new = await lessons.finish(partner, lesson.id)
            await callback.answer(l10n("lessons-marked-done"))
            if not new:  # pressed twice: the next lesson (or «Курс пройден») went already
                return
            await callback.message.edit_reply_markup(reply_markup=None)
        else:
            course = await lessons.course(partner)
            await callback.answer()
        following = course.next_after(lesson.id)
        if following is None:
            await callback.message.answer(l10n("lessons-finished", total=len(course.lessons)))
            return
        await _show_lesson(callback.message, following, course, lessons, l10n)

    return router
