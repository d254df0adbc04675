from tests.harness import Harness


async def test_start(harness: Harness) -> None:
    anna = harness.user()
    replies = await anna.send("/start")
    print([m.plain for m in replies], replies[-1].button_labels)
    await anna.onboard()
    print([m.plain for m in anna.messages][-3:])
