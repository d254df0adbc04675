"""Content as it is sent: the one place that turns a lesson, an FAQ answer or a creative
into the messages a partner gets, so `content check` can render every item exactly so and
check each message against the platforms' limits before anybody is sent it."""

from __future__ import annotations

import html
from dataclasses import dataclass

from bot.content.models import Creative, FaqEntry, Lesson
from bot.rendering import CAPTION_LIMIT, TEXT_LIMIT, markdown_to_html, split_text, visible_length

# What a bot may upload (the platforms' documentation): Telegram 50 MB a document and 10 MB
# a photo (multipart upload by a bot); VK 200 MB a document and 50 MB a photo. Content
# files go as documents on both platforms, so the smaller document limit binds.
TELEGRAM_DOCUMENT_LIMIT = 50 * 1024 * 1024
TELEGRAM_PHOTO_LIMIT = 10 * 1024 * 1024
VK_DOCUMENT_LIMIT = 200 * 1024 * 1024
VK_PHOTO_LIMIT = 50 * 1024 * 1024
DOCUMENT_LIMIT = min(TELEGRAM_DOCUMENT_LIMIT, VK_DOCUMENT_LIMIT)


def faq_answer_html(entry: FaqEntry) -> str:
    return f"<b>{html.escape(entry.question)}</b>\n\n{html.escape(entry.answer)}"


def lesson_html(lesson: Lesson, header: str) -> str:
    """A lesson's message: the header (its number and title), the body, then its links."""
    text = header + "\n\n" + markdown_to_html(lesson.body)
    if lesson.links:
        text += "\n\n" + "\n".join(
            f'🔗 <a href="{html.escape(url)}">{html.escape(url)}</a>' for url in lesson.links
        )
    return text


@dataclass(frozen=True)
class CreativeMessage:
    """A creative as sent: a file with its caption (and, when the caption is too long
    for one, the rest as a message after it), or a message."""

    file: str | None  # a path in the content folder
    caption: str | None
    text: str | None


def creative_message(item: Creative) -> CreativeMessage:
    """`text` beside `file` is the file's caption; beside `url`, the lines under the link
    (SPEC §4); alone, the text itself (a keyword list, a description) as code."""
    title = f"<b>{html.escape(item.title)}</b>"
    note = html.escape(item.text) if item.text else None
    if item.file is not None:
        caption = f"{title}\n\n{note}" if note else title
        if visible_length(caption) <= CAPTION_LIMIT:
            return CreativeMessage(item.file, caption, None)
        return CreativeMessage(item.file, title, note)  # the words go after the file
    if item.url is not None:
        url = html.escape(item.url)
        text = f'{title}\n\n🔗 <a href="{url}">{url}</a>'
        return CreativeMessage(None, None, f"{text}\n\n{note}" if note else text)
    return CreativeMessage(None, None, f"{title}\n\n<code>{note or ''}</code>")


def messages_of(text: str) -> list[str]:
    """The parts a long text is sent in."""
    return split_text(text, TEXT_LIMIT)
