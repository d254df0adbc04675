"""Callback data of every inline button, with short prefixes (packed ≤ 64 bytes)."""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bot.db.tables import MAX_BIG_ID, MAX_ROW_ID

# A row id in button data comes back from the person's client: out of range (a crafted
# press) it fails to unpack, so no handler takes it and it is "no longer available".
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
BigRowId = Annotated[int, Field(ge=1, le=MAX_BIG_ID)]  # a question id (64-bit, made in-process)


class MenuCb(CallbackData, prefix="m"):
    item: str  # faq | lessons | creatives | me | settings


class OnboardCb(CallbackData, prefix="ob"):
    step: str  # seg | opt | consent
    value: str


class FaqCb(CallbackData, prefix="f"):
    action: str  # topics | topic | entry
    ref: str = ""  # a topic key or an entry id


class AskCb(CallbackData, prefix="a"):
    action: str  # pick | none | helped | manager
    question: BigRowId
    entry: str = ""


class LessonCb(CallbackData, prefix="l"):
    action: str  # list | open | done
    lesson: str = ""


class CreativeCb(CallbackData, prefix="c"):
    action: str  # kinds | kind | item
    ref: str = ""


class SettingsCb(CallbackData, prefix="s"):
    action: str  # topic | lang | segment | setseg | name | back
    value: str = ""


class ForgetCb(CallbackData, prefix="fg"):
    confirm: bool  # delete (in this chat only, when the person has linked chats) or keep


class ForgetEverywhereCb(CallbackData, prefix="fga"):
    """/forget in every chat of the person: which ones is read at the press, never sent."""


class TicketCb(CallbackData, prefix="t"):
    action: str  # close | rate | withdraw | keep (/cancel's confirmation)
    ticket: RowId
    # up | down for a rating; the ticket's reopen count for withdraw | keep (one given
    # before a reopen is no longer available)
    value: str = ""


class TicketTextCb(CallbackData, prefix="tq"):
    ticket: RowId  # a manager asks for the whole question of a ticket whose card shortened it


class LinkCb(CallbackData, prefix="lk"):
    action: str  # approve | decline
    partner: RowId


class ContestCb(CallbackData, prefix="ct"):
    # short | one | save | abort | abort! | preview (the dialog); list | open | announce |
    # announce! | dates | prizes | text | cancel | cancel! | edit! | edit- (/contests_admin;
    # "!" confirms after a warning; edit! / edit-: save a change shown first, or not)
    action: str
    id: str = ""


class AnnounceCb(CallbackData, prefix="an"):
    # pick | back | to | now | quiet_ok | confirm | abort (the /announce dialog); cancel (a
    # scheduled one)
    action: str
    value: str = ""


class ReactionCb(CallbackData, prefix="rx"):
    announcement: RowId
    value: str  # up | down


class FaqLearnCb(CallbackData, prefix="fl"):
    # ok | no | mv (show entries) | tl, te (browse: `entry` is a page) | to (move to `entry`)
    # | show | un (take back a wording «Helped» taught: `item` approved)
    action: str
    item: RowId  # a learned phrasing
    entry: str = ""


class FaqLinkCb(CallbackData, prefix="fk"):
    ticket: RowId
    entry: str  # the entry, or for the browse its page
    action: str = "to"  # to (link to `entry`) | pick (the closest) | tl, te (browse)
    # the day the picker was drawn (`PressedOnce.day`): its buttons act for a week
    day: int = 0


class FaqGapCb(CallbackData, prefix="fp"):
    # pick (the picker, a message of its own) | back (the picker again, in place) | tl, te
    # (browse: `entry` is a page) | to (link to `entry`)
    action: str
    question: BigRowId  # the asked question that stands for the gap
    entry: str = ""
