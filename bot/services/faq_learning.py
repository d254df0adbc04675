"""What the FAQ learns: phrasings of entries confirmed by partners or linked by managers.

A learned phrasing lives in the database, apart from the content folder, so a content
change never loses it. It is *pending* until a manager approves it (`/faq_learned`) or
`faq.auto_approve_after` different people confirmed the same entry for it (one person's
linked chats count once); a manager's link (`/faq_link`) and `partnerbot faq teach`
approve at once. Approved phrasings are
extra wordings of their entry in the matcher of every worker: each change bumps a counter
that workers read at most once a second, and rebuild their index when it moved. When
content is loaded (start-up, /reload), an approved phrasing whose entry left `faq.yaml`
waits for review again, and one still waiting for that reason is approved again once its
entry is back.

Who confirmed a pending phrasing is kept (to count different partners) and dropped once it
is approved; /forget removes the pending phrasings only that partner wrote.
"""

from __future__ import annotations

from bot.services.faq_learned_index import LearnedIndex
from bot.services.faq_learned_review import LearnedReview
from bot.services.faq_learned_teach import LearnedTeach


class FaqLearning(LearnedIndex, LearnedReview, LearnedTeach):
    """Every capability of learned phrasings over one database, content store and clock
    (`faq_learned.LearnedRows` holds what they share)."""
