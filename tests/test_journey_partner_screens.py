"""Partner screens as an independent tester found them from the README alone (session 7):
/start after /stop keeps what the partner refused, /me shows the month's place, a
greeting with no name left in it drops the name, and managers' contest texts carry no
bidi controls. The VK and MAX twins are in test_journey_vk_max.py."""

from __future__ import annotations

from tests.harness import Client, Harness

QUIET = "Нет, только ответы на мои вопросы"
TOPICS = ["Новости", "Конкурсы", "Еженедельный дайджест", "Уведомления о продажах", "Новые уроки"]


async def onboard_quietly(person: Client) -> None:
    """Onboarding with «no newsletters, only answers to my questions» at the end."""
    await person.send("/start")
    await person.press(next(b for b in person.last.button_labels if b.startswith("Вебмастер")))
    await person.press("Сайт")
    await person.press("До года")
    await person.send("Владельцы квартир в новостройках")
    await person.press(QUIET)


def topic_marks(labels: list[str]) -> dict[str, str]:
    """/settings' topic buttons: topic → ✅ or ❌."""
    return {label[2:]: label[0] for label in labels if label[2:] in TOPICS}


async def test_start_after_stop_keeps_topics_refused_in_onboarding_off(harness: Harness) -> None:
    anna = harness.user(1401, "Анна")
    await onboard_quietly(anna)
    await anna.send("/settings")
    assert topic_marks(anna.last.button_labels) == dict.fromkeys(TOPICS, "❌")
    await anna.send("/stop")
    replies = await anna.send("/start")
    greeting = replies[0].plain
    assert greeting.startswith("С возвращением, Анна!")
    assert "снова включены" not in greeting
    assert "все темы у вас выключены — включите нужные в /settings" in greeting
    await anna.send("/settings")
    assert topic_marks(anna.last.button_labels) == dict.fromkeys(TOPICS, "❌")
    assert await harness.services.partners.audience("news") == []

    # one topic switched on afterwards: /stop and /start bring back exactly that one
    await anna.press("❌ Конкурсы")
    await anna.send("/stop")
    greeting = (await anna.send("/start"))[0].plain
    assert "Рассылки снова включены: Конкурсы." in greeting
    assert (
        "Выключены, как вы и настроили: Новости, Еженедельный дайджест, "
        "Уведомления о продажах, Новые уроки." in greeting
    )
    await anna.send("/settings")
    assert topic_marks(anna.last.button_labels) == {
        topic: "✅" if topic == "Конкурсы" else "❌" for topic in TOPICS
    }
