"""Session 9 (task leftb): /faq_link's «📋 Другая статья» offers the entries the ticket's
partner can see (their segment's and the common ones), as the gap picker does; any entry
is still linked by its id."""

from __future__ import annotations

from tests.harness import Client, Harness, SentMessage
from tests.test_faq_learning import group
from tests.test_journey_support import GROUP, in_chat

__all__ = ["group"]  # the fixture

NOT_CLOSE = "Help me & my cat"  # shares no word with any entry


async def _browse_promo(
    group: Harness, partner_id: int, segment: str
) -> tuple[Client, int, SentMessage]:
    """A partner of `segment` opens a ticket; the manager's /faq_link, «📋 Другая статья»,
    «Промо-материалы»: the partner, the ticket card and the page of entries."""
    partner = group.user(partner_id)
    await partner.onboard(segment)
    await partner.send("/support")
    await partner.send(NOT_CLOSE)
    card = group.emulator.chat_messages(GROUP)[-2].message_id
    await in_chat(group, GROUP, "/faq_link", reply_to=card)
    offer = group.emulator.chat_messages(GROUP)[-1]
    assert "Близких статей нет" in offer.plain
    assert offer.button_labels == ["📋 Другая статья"]
    manager = group.manager()
    await manager.press("📋 Другая статья", offer)
    topics = _current(group, offer)
    await manager.press("Промо-материалы", topics)
    return partner, card, _current(group, offer)


def _current(group: Harness, shown: SentMessage) -> SentMessage:
    return next(m for m in group.emulator.chat_messages(GROUP) if m.message_id == shown.message_id)


def _ids(page: SentMessage) -> list[str]:
    return [label.split(":")[0] for label in page.button_labels if ":" in label]


async def test_faq_link_browse_offers_what_the_partner_can_see_and_any_entry_by_id(
    group: Harness,
) -> None:
    _webmaster, _card, promo = await _browse_promo(group, 742, "Вебмастер")
    assert _ids(promo) == ["creatives-where", "top-products", "own-creatives", "product-feed"]

    blogger, card, promo = await _browse_promo(group, 741, "Блогер")
    # product-feed is for webmasters only (SPEC: "only these segments get this answer")
    assert _ids(promo) == ["creatives-where", "top-products", "own-creatives"]
    # the manager may still name any entry: it is sent as asked
    await in_chat(group, GROUP, "/faq_link product-feed", reply_to=card)
    assert group.emulator.chat_messages(GROUP)[-1].plain.startswith(
        "Партнёр получил ответ «product-feed»"
    )
    assert "YML-фид" in blogger.last.plain
