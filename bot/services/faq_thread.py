"""The FAQ's reading beside the event loop: one thread of its own.

Matching a question costs ~1 ms of words and ~20 ms of sentence vectors (a long question up
to a few hundred: USE reads it whole and by its asking sentences, e5 as much; bench
faq_speed), and rebuilding the index with the learned wordings a few hundred ms at 5,000
of them. On the event loop that time held up every other partner, button and delivery;
here it runs in one thread the FAQ has for itself, while the loop goes on: e5's engine
(ctypes) and numpy's products let go of the GIL while they compute.

One thread, not the loop's default pool: the encoders take one text at a time anyway
(each under its lock), the FAQ's work queues behind itself and never behind the VK
client's requests or file reads in the default pool, nor they behind it. What runs here
reads the morphology (pymorphy3: made to be read from several threads) and the encoders
(each locked). A content load (/reload, a reload followed from another worker) builds its
FAQ index here too (bot/services/content_sync.py): never beside a match, and the new texts'
encoding (seconds for a new FAQ) holds up no one but the FAQ's questions.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["beside_loop"]

P = ParamSpec("P")
T = TypeVar("T")

_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="faq")


async def beside_loop(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`func(*args, **kwargs)` in the FAQ's thread (the caller's context variables with it:
    the log's update id)."""
    call = functools.partial(contextvars.copy_context().run, func, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_thread, call)
