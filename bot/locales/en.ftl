# partnerbot: the bot's English texts. A content folder may override any of them
# (content/locales/en.ftl). Telegram HTML: <b>, <i>, <a href="…">, <code>.

## Commands in the Telegram menu
command-start = Start and get set up
command-help = Menu
command-faq = Frequent questions
command-lessons = Training
command-creatives = Marketing materials
command-me = My data
command-settings = Settings and subscriptions
command-stop = Unsubscribe from everything
command-forget = Delete my data

## Common
button-back = ← Back
no-longer-available = This item is no longer available — open the menu again: /help
error-generic = Something went wrong; we are looking into it. Please try again a bit later.
error-outage = The bot is unavailable for a minute and did not keep this. Please try again in a minute.
flood-slow-down = Too many messages in a row — wait a couple of seconds and I will answer again.
unknown-command = I don't know that command. Here is what I can do:
manager-command-slash = Commands start with a slash: { $command }
unsupported-message = I understand text and buttons. Type your question in words or open the menu: /help
usage-no-arguments = /{ $command } takes no arguments. Just send /{ $command }

## Menu
menu-text =
    <b>Menu</b>
    /faq — frequent questions, or just type your question{ $lessons ->
        [yes] {"\u000A"}/lessons — training
       *[no] {""}
    }{ $creatives ->
        [yes] {"\u000A"}/creatives — banners, landing pages, keywords and other materials
       *[no] {""}
    }
    /me — your code, segment, progress and referral link
    /settings — subscriptions, language, segment, name on leaderboards
    /contests — contests and your place · /top — leaderboard
    /support — write to a manager · /link — link your affiliate id
    /stop — unsubscribe from everything · /forget — delete your data
menu-faq = ❓ Questions
menu-lessons = 🎓 Training
menu-creatives = 🎨 Materials
menu-me = 👤 My data
menu-settings = ⚙️ Settings

## /start and onboarding
start-hello = Hello, { $name }! This is the partner bot of “{ $program }”.
# "-unnamed": the greeting for a name with nothing to show (bot/texts.py, greeting)
start-hello-unnamed = Hello! This is the partner bot of “{ $program }”.
start-default-welcome = Answers, training, marketing materials and contests, all here.
start-welcome-back = Welcome back, { $name }!
start-welcome-back-unnamed = Welcome back!
onboarding-segment = Who are you? Pick the closest:
onboarding-segment-chosen = Segment: <b>{ $segment }</b>
onboarding-question = Question { $number } of { $total }: { $text }
onboarding-free-text = Type your answer in one message (up to { $limit } characters).
onboarding-too-long = Too long: { $length } characters, up to { $limit } — one phrase, please.
onboarding-answer-empty = The answer is empty — please write it in words.
onboarding-answered = { $text } — <b>{ $answer }</b>
# $cap: the program's max_automated_per_week; $night: yes when its quiet_hours hold the
# night (program.yaml)
onboarding-consent =
    May we send you program news, contest announcements, a weekly digest and lessons?
    { $cap ->
        [0] The program sends no automated messages now — only answers to your questions.
        [one] At most { $cap } message a week{ $night ->
            [yes] , never at night.
           *[no] .
        }
       *[other] At most { $cap } messages a week{ $night ->
            [yes] , never at night.
           *[no] .
        }
    } Unsubscribe any time: /stop
onboarding-consent-yes = ✅ Yes, send them
onboarding-consent-no = No, only answers to my questions
onboarding-done-subscribed = All set! You are subscribed. Choose topics in /settings.
onboarding-done-quiet = All set! No newsletters — only answers to your questions. Changed your mind? /settings
onboarding-contest = 🏆 Contest “{ $title }” (from { $start }) — rules and prizes: /contests
onboarding-contest-running = 🏆 Contest “{ $title }” is on (until { $end }) — rules and prizes: /contests

## Questions
faq-topics = <b>Frequent questions</b> — pick a topic. Or just type your question.
faq-topic = <b>{ $topic }</b>
faq-page = (page { $page } of { $pages })
faq-page-previous = ← Previous
faq-helped = 👍 Helped
faq-ask-manager = 🙋 Ask a manager
faq-thanks = Thanks! Glad it helped.
faq-did-you-mean = I am not sure I understood. Did you mean:
faq-none-of-these = No, something else
faq-not-it = Not it? Perhaps you asked about:
faq-not-it-option = ↪ { $question }
faq-miss =
    I don't know the answer to that yet — I noted the question for the managers.
    Press “Ask a manager” and a manager will answer right here.

## Training
lessons-empty = No lessons for you yet — they are coming.
lessons-course = <b>Training</b>: { $done } of { $total } { $total ->
    [one] lesson
   *[other] lessons
    } done. Pick a lesson:
lessons-title = <b>Lesson { $number } of { $total }. { $title }</b>
lessons-done-next = ✅ Done, next
lessons-next = Next lesson →
lessons-to-list = All lessons
lessons-marked-done = Lesson done!
lessons-finished = 🎉 Course complete: { $total } of { $total } { $total ->
    [one] lesson
   *[other] lessons
    }. Have a look at /creatives for materials to work with.

## Marketing materials
creatives-empty = No materials for your segment yet.
creatives-kinds = <b>Marketing materials</b> — pick a kind:
creatives-kind = <b>{ $kind }</b>
creatives-kind-button = { $kind } ({ $count })
creative-kind-landing = Landing pages
creative-kind-banner = Banners
creative-kind-keywords = Keywords
creative-kind-top_products = Top products
creative-kind-description = Descriptions
creative-kind-video = Videos

## /me
me-title = <b>{ $name }</b>
me-code = Partner code: <code>{ $code }</code>
me-segment = Segment: { $segment }
me-segment-none = not chosen
me-lessons = Training: { $done } of { $total }
me-referrals = Invited: { $count } { $count ->
    [one] partner
   *[other] partners
    }
me-ref-link = Invitation link: { $link }
me-stopped = Newsletters are off (/stop). Turn them on: /start
me-stopped-none = Newsletters are off, and so are all topics. Turn on the ones you want: /settings
me-newsletters-none = You get no newsletters — only answers to your questions. Turn on the topics you want: /settings

## Settings
settings-title = <b>Settings</b>. Tap a topic to switch it on or off.
settings-stopped = <b>Settings</b>. All newsletters are off now (/stop). Switch a topic on or send /start.
settings-saved = Saved
settings-language = Language: { $language }
settings-segment = Segment: { $segment }
# a segment switched while a contest runs (docs/partners.md, "Contests and segments")
settings-contest-joined = 🏆 Contest “{ $title }” is on (until { $end }): it counts your sales from now on — those made before, in another segment, do not count. Rules and prizes: /contests
settings-contest-rejoined = 🏆 Contest “{ $title }” (until { $end }) counts your sales again — from now on, and those made before in its segments; those made in another segment do not count. Rules and prizes: /contests
settings-contest-left = ⚠️ Contest “{ $title }” (until { $end }) is not for this segment: while you are in it, you are not on the contest's leaderboard and your sales do not count there. Come back to the contest's segment before it ends, and the sales made in it count again.
settings-public-name = Name on leaderboards: { $choice }
settings-platform = Automated messages: { $where ->
    [tg] Telegram only
    [vk] VK only
    [max] MAX only
   *[both] in all your chats with the bot
}
topic-news = News
topic-contests = Contests
topic-digest = Weekly digest
topic-sales = Sale notifications
topic-lessons = New lessons
language-ru = Русский
language-en = English
public-name-name = name
public-name-nickname = nickname
public-name-anonymous = anonymous

## /stop and /forget
stop-done = You are unsubscribed from every newsletter, digest, reminder and sale notification. Answers to your questions stay. Subscribe again: /start
stop-done-already = You are already unsubscribed from every newsletter, digest, reminder and sale notification. Answers to your questions stay. Subscribe again: /start
stop-done-none = You get no newsletters anyway: all topics are off. Answers to your questions stay. Turn on the topics you want: /settings
forget-ask = Delete all your data in the bot: segment, answers, training progress, questions and settings? This cannot be undone.
forget-confirm = Yes, delete
forget-cancel = No, keep it
forget-cancelled = OK, nothing is deleted.
forget-done = Your data is deleted. To come back, just send /start.
forget-ask-linked = { $count ->
        [one] Your chat on { $platforms } is
       *[other] Your chats on { $platforms } are
    } linked to the same partner ID: to the bot you are one partner there and here. Delete your data (segment, answers, training progress, questions and settings) in this chat only, or in all your chats? This cannot be undone.
forget-here = Delete in this chat only
forget-everywhere = Delete in all my chats
forget-done-everywhere = { $count ->
        [one] Your data is deleted here and in your chat on { $platforms }.
       *[other] Your data is deleted here and in your other chats — on { $platforms }.
    } To come back, just send /start.
forget-done-here = Your data in this chat is deleted. { $count ->
        [one] Your chat on { $platforms } keeps it: to delete it there too, send /forget in that chat.
       *[other] Your chats on { $platforms } keep it: to delete it there too, send /forget in each of them.
    } To come back, just send /start.
forget-and = { $most } and { $last }

## For managers
reload-done = Content reloaded: { $faq } { $faq ->
        [one] question
       *[other] questions
    }, { $lessons } { $lessons ->
        [one] lesson
       *[other] lessons
    }, { $creatives } { $creatives ->
        [one] material
       *[other] materials
    }.
reload-refused =
    Content not reloaded — { $count } { $count ->
        [one] problem
       *[other] problems
    }; the previous version stays live:
    { $problems }

## Support (partner)
command-support = Write to a manager
support-ask-text = Describe your question in one message and I will pass it to a manager. A screenshot is welcome. Changed your mind? /cancel
support-blank = The message shows nothing — write your question in words or attach a screenshot.
support-opened =
    Ticket #{ $number } is open. A manager will answer within { $hours } { $hours ->
        [one] hour
       *[other] hours
    }. While it is open, everything you write here goes to the manager.
support-reopened = Ticket #{ $number } is open again — the manager will see your message.
support-still-open = Ticket #{ $number } is still open — your message went to the manager.
support-close-button = ✅ Solved, close it
support-closed = Ticket #{ $number } is closed. How was the help?
support-rate-up = 👍 Helpful
support-rate-down = 👎 Not helpful
support-rated = Thanks for the rating!
support-rated-up = Ticket #{ $number } is closed. Your rating: 👍 Helpful — thank you!
support-rated-down = Ticket #{ $number } is closed. Your rating: 👎 Not helpful — sorry. If the question is not solved, send /support: a manager will go on.
support-not-open = This ticket is already closed.
support-close-reopened = Ticket #{ $number } was opened again after this message. Close it with the button under the latest message.

## Support (managers)
ticket-topic = #{ $number } · { $name } · { $segment }
ticket-topic-forgotten = #{ $number } · data deleted
ticket-card =
    🎫 <b>Ticket #{ $number }</b>
    Partner: { $name } ({ $who })
    Segment: { $segment }
    Affiliate id: { $affiliate }
    Question: { $question }
ticket-card-asked-before = Questions to the bot before:
ticket-card-howto = A reply in this topic goes to the partner from the bot. Messages starting with “!” are internal notes. /close closes, /t KEY sends a template.
ticket-card-howto-reply = Reply to any message of the ticket and it goes to the partner. Messages starting with “!” are internal notes. /close or /t KEY as a reply.
ticket-none = none
ticket-partner-wrote = ✉️ Ticket #{ $number }, { $name }:
ticket-reopened = ↩️ The partner is back: ticket #{ $number } is open again.
ticket-closed = ✅ Ticket #{ $number } closed.
ticket-closed-by-partner = ✅ The partner closed ticket #{ $number }.
ticket-rated = Rating for ticket #{ $number }: { $rating }
ticket-blocked = ⚠️ The partner blocked the bot — the reply to ticket #{ $number } was not delivered.
ticket-overdue = ⏰ Ticket #{ $number } ({ $name }) has waited { $hours } h for a reply.
ticket-not-found = This is not a ticket message. To answer a partner, reply to a ticket message (or write in its topic); /close, /t and /faq_link work there too.
ticket-template-unknown = No template “{ $key }”. There are: { $keys }
ticket-template-usage = Usage: /t KEY ({ $forum ->
        [yes] in the ticket's topic or as a reply to its message
       *[no] as a reply to the ticket's message
    }). Templates: { $keys }
ticket-list-empty = No open tickets.
ticket-list-title = <b>Open tickets</b> (oldest first):
ticket-list-where = Tickets are answered in the managers' chat ({ $where }): { $forum ->
        [yes] in the ticket's topic or as a reply to its message
       *[no] as a reply to the ticket's message
    }.
ticket-list-row = #{ $number } · { $name } ({ $who }) · opened { $age } h ago{ $waiting ->
        [yes] {" "}· waiting for a reply
       *[no] {""}
    }

## The partners' group
community-welcome =
    Welcome, { $names }! This is the partners' chat of “{ $program }”.
    { $rules }
    Questions about payouts and personal data — to the bot in private: answers, training and materials are there.
community-welcome-unnamed =
    Welcome! This is the partners' chat of “{ $program }”.
    { $rules }
    Questions about payouts and personal data — to the bot in private: answers, training and materials are there.
community-open-bot = 💬 Open the bot
community-rules = <b>Chat rules</b>
    { $rules }
community-no-rules = The chat rules are not published yet.
community-faq = <b>Frequent questions</b> — topics: { $topics }. Ask right here or in private with the bot.
community-small-talk-bot = I am a bot: here I answer questions about the program when asked, in private any question, and I call a manager when a person is needed.
community-small-talk-thanks = You are welcome! 🙂
community-small-talk = 🙂 Ask me about the program: I answer here or in private.
community-offer-private = I found no FAQ answer to that. Write to me in private and I will pass it to a manager.
community-offer-maybe = Perhaps you mean “{ $question }”. Write to me in private: I will answer there or pass your question to a manager.
community-offer-person = A manager will answer you in private: press the button and tell me what happened, I will pass it on.
community-ask-manager = 🙋 Ask a manager in private
community-own = { $about ->
        [unsubscribe] Newsletters are set in private with me: /settings — choose topics, /stop — all off at once.
        [me] Your sales and figures are best seen in private with me: /me
        [top] Your place in the ranking is best seen in private with me: /top
        [contests] Your places in contests are best seen in private with me: /contests
       *[other] This is best seen in private with me: /{ $about }
    }
report-usage = Reply with /report to the message you want to report.
report-sent = Thanks, the managers have been told.
report-card =
    🚩 <b>Report from the partners' chat</b>
    From: { $reporter }
    Message author: { $author }
    Message: { $text }
    { $link }
report-admin-card =
    📣 <b>Someone calls an admin in the partners' chat</b>
    From: { $reporter }
    Message: { $text }
    { $link }
rights-missing = ⚠️ In the chat “{ $chat }” the bot lacks rights: { $missing }
rights-not-admin = the bot is not an administrator
rights-no-topics = no “Manage topics” right (needed for ticket topics)
rights-privacy = privacy mode is on — the bot does not see ordinary messages (BotFather → /setprivacy → Disable), or make it an administrator
rights-not-forum = topics are off in the managers' group: tickets will be messages with a header
rights-unreachable = the bot cannot open the chat (it is not a member, or the id is wrong)
partner-usage = Usage: /partner ID — tg:123, vk:123 or max:123, a partner code or an affiliate id.
partner-not-found = No partner “{ $query }”.
partner-card =
    👤 <b>{ $name }</b> ({ $who })
    Code: <code>{ $code }</code> · affiliate id: { $affiliate }
    Segment: { $segment } · language: { $language }
    Newsletters: { $newsletters }
    Training: { $done } of { $total } · invited: { $referrals }
    Tickets: { $tickets }{ $open ->
        [none] {""}
       *[other] {" "}· #{ $open } open
    }
    With us since { $since } · last seen { $seen }
partner-newsletters-topics = on: { $topics }
partner-newsletters-no-topics = on, but every topic is off
partner-newsletters-stopped = off (/stop)
partner-newsletters-none = no consent
partner-newsletters-from = { $why } (the choice of the { $platform } chat)
partner-conversions = Conversions ever: { $approved } approved, { $pending } pending, { $declined } declined
partner-contest = In the contest “{ $title }”:
partner-contest-joined = In the contest “{ $title }” (sales count since { $since }):
partner-contest-joined-breaks = In the contest “{ $title }” (with breaks; sales count again since { $since }):
partner-unreachable = ⚠️ the partner blocked the bot

## Affiliate id and sales
command-link = Link your affiliate id
me-link-none = Your sales show up here once your affiliate id is linked: /link YOUR_ID
me-link-pending = Affiliate id { $affiliate } waits for a manager's approval; then your sales show up here.
me-link-other-pending = You asked to link id { $affiliate }: it waits for a manager; until then the sales of the id above count.
me-affiliate = Affiliate id: { $affiliate }
me-month = Sales this month: { $approved } { $approved ->
        [one] sale
       *[other] sales
    } for { $amount } ₽{ $pending ->
        [0] {""}
       *[other] {" "}(+{ $pending } pending)
    }
me-rank = Place in this month's ranking: #{ $place } of { $total } (/top)
me-rank-none = Place in this month's ranking: not yet — your first approved sale this month puts you on it (/top)
me-tier = Tier: { $tier } — { $perk }
me-tier-next = { $remaining } more { $remaining ->
        [one] sale
       *[other] sales
    } this month to “{ $tier }”
me-tier-top = This is the program's top tier 🏆
link-usage = Usage: /link ID — your affiliate id (as in postbacks and reports), or send the id in your next message. A manager approves the link.
link-hint = That looks like an affiliate network ID. To link it, send /link { $affiliate } — a manager will confirm it.
link-invalid = “{ $affiliate }” does not look like an id: Latin letters, digits and _.:@-, no spaces, up to 64.
link-requested = The request to link id { $affiliate } went to a manager. Until it is approved no stats are shown.
link-requested-keep = The request to link id { $affiliate } went to a manager. Until it is approved your sales and place count by id { $current }.
link-approved = ✅ Id { $affiliate } is linked. Your sales are in /me now.
link-declined = The manager did not approve linking id { $affiliate }. If that is a mistake, write to /support.
link-card =
    🔗 <b>Affiliate id link request</b>
    Partner: { $name } ({ $who })
    Affiliate id: <code>{ $affiliate }</code>
    Approve: with the button or /approve_link { $who_id }
link-approve = ✅ Approve
link-decline = ❌ Decline
link-done-approved = ✅ Link { $affiliate } for { $name } approved.
link-done-declined = ❌ Link { $affiliate } for { $name } declined.
link-nothing-pending = The partner has no link request.
approve-link-usage = Usage: /approve_link ID — tg:123, vk:123 or max:123, a partner code or the requested affiliate id.

## Contests
command-contests = Contests
contests-none = No contests for you right now — we announce them at least a week ahead.
contest-title = 🏆 <b>{ $title }</b>
contest-running = Running: { $start } — { $end }
contest-upcoming = Starts { $start }, ends { $end }
contest-ended = Ran: { $start } — { $end }
contest-restrictions = Restrictions: { $text }
contest-prizes = Prizes:
contest-category = • { $name }{ $min ->
        [0] {""}
       *[other] {" "}(from { $min })
    }: { $places }
contest-place = { $place } — { $prize }
category-first_sales = First sales
category-most_sales = Most sales
category-top_amount = Sales amount, ₽
category-most_referrals = Most partners invited
contest-mine = Your place:
contest-mine-row = • { $name }: #{ $place } ({ $value }{ $pending ->
        [0] {""}
       *[other] , +{ $pending } pending
    })
contest-mine-none = • { $name }: not in the standings yet
contest-link-first = To be counted, link your affiliate id: /link YOUR_ID
command-top = Leaderboard
top-contest = 🏆 <b>{ $title }</b> — { $category }
top-month = 🏆 <b>This month's leaderboard</b> — approved sales
top-empty = Nobody is in the standings yet — a first sale puts you at the top!
top-empty-referrals = Nobody is in the standings yet — the first partner you invite who makes a sale puts you at the top!
top-row = { $place }. { $name } — { $value }
top-me = You: #{ $place } ({ $value })
top-me-gap = You: #{ $place } ({ $value }), { $gap } behind #{ $above }
top-me-tie = You: #{ $place } ({ $value }): #{ $above } has as much, reached earlier
top-me-none = You are not in the standings yet.
top-anonymous = Partner { $code }
top-gone = A partner

## /stats
stats-text =
    📊 <b>The program now</b>
    Partners: { $partners } · seen this month: { $active } · have not opened the bot for { $inactive_days } days: { $inactive }
    By segment: { $segments }
    Sales this month: { $approved } approved for { $amount } ₽ · pending { $pending } · declined { $declined }
    Questions this month: answered { $answered } · “did you mean” { $suggested } · unanswered { $missed }
    Tickets: open { $open } · first reply (median, month): { $reply } · ratings 👍 { $up } / 👎 { $down }
    Automated messages this month (private): delivered { $sent } · queued { $waiting } · blocked { $blocked } · failed { $failed } · skipped { $skipped }
stats-reply-hours = { NUMBER($hours, minimumFractionDigits: 1, maximumFractionDigits: 1) } h
stats-none = —
stats-misses = Most often without a direct answer, last 30 days (none, or "did you mean"; similar ones together):
stats-chart = Last 8 weeks: blue — approved sales, orange — partners with sales.

## Contest moments (automated)
moment-announcement = 📣 <b>A new contest!</b> We announce it early so you have time to prepare.
moment-how-to-join = Rules and your place: /contests · standings: /top · notifications: /settings
moment-reminder = ⏰ The contest “{ $title }” starts in { $days } { $days ->
        [one] day
       *[other] days
    } — on { $start }. Rules: /contests
# the reminder when the time left is not whole days: days and hours
moment-reminder-hours = ⏰ The contest “{ $title }” starts in { $days } { $days ->
        [one] day
       *[other] days
    } and { $hours } { $hours ->
        [one] hour
       *[other] hours
    } — on { $start }. Rules: /contests
# the reminder when less than a whole day (24 hours) is left to the start
moment-reminder-soon = ⏰ The contest “{ $title }” starts in less than a day — on { $start }. Rules: /contests
moment-started = 🚀 The contest “{ $title }” has started! Approved sales count until { $end }. Your place: /top
moment-last-day = ⏳ The last day of “{ $title }” — there is still time to climb: /top
moment-cancelled = ❌ The contest “{ $title }” is cancelled. Sorry for the change — we will announce new contests well ahead.
moment-results = 🏁 <b>Results of “{ $title }”</b>
moment-results-category = <b>{ $name }</b>
moment-results-row = { $place }. { $name } — { $value } — { $prize }
moment-results-nobody = nobody met the conditions
moment-winner = 🎉 <b>Congratulations!</b> You are among the winners of “{ $title }”:
moment-winner-row = • { $category }: #{ $place } — { $prize }
moment-winner-next = A manager will contact you about the prize. Thank you for your sales!

## Sale notifications
sale-approved = { $count ->
        [1] ✅ Sale approved.
       *[other] ✅ { $count } sales approved.
    }
# the sales approved for an affiliate id before its /link was approved, told once then
sale-approved-before-link = { $count ->
        [one] ✅ While the link to ID { $affiliate } awaited approval, { $count } sale was approved.
       *[other] ✅ While the link to ID { $affiliate } awaited approval, { $count } sales were approved.
    }
sale-place = You are #{ $place } in { $board }.
sale-place-gap = You are #{ $place } in { $board }, { $gap } behind #{ $above }.
sale-place-tie = You are #{ $place } in { $board }: level with #{ $above }, who got there first.
sale-board-month = the month's leaderboard
sale-board-contest = “{ $category }” of the contest “{ $title }”
sale-milestone = { $count ->
        [1] 🎉 Your first approved sale! A great start — it gets easier from here.
       *[other] 🎉 { $count } approved sales! Keep it up.
    }
sale-tier = 🏅 New tier: <b>{ $tier }</b>! { $perk }

## /contest_new and /contests_admin (managers)
draft-intro = 🏆 <b>A new contest.</b> Answer step by step; /cancel leaves without saving.
draft-step = Step { $number } of { $total }. { $question }
draft-ask-title = The contest's title (up to 100 characters).
draft-ask-description = The rules in a few lines: what counts and how winners are decided.
draft-ask-starts = When does it start? DD.MM.YYYY HH:MM, e.g. 14.12.2026 10:00.
draft-ask-ends = When does it end? DD.MM.YYYY HH:MM (or a date alone — until 23:59 that day).
draft-zone = Times are in the { $zone } time zone.
draft-ask-segments = Who takes part? “all” or segments separated by commas.
draft-ask-prizes =
    Prizes: a line per category, places separated by “;”, a threshold after “|”. For example:
    most_sales: Bonus 10,000 ₽; Bonus 5,000 ₽ | from 3
    first_sales: Bonus 2,000 ₽; Bonus 1,000 ₽
    Categories: first_sales, most_sales, top_amount, most_referrals.
draft-ask-hold = Hold: days to wait for the results after the end (0–90), for late reversals.
draft-ask-restrictions = Restrictions for partners (e.g. forbidden traffic sources), or “-” for none.
draft-ask-dates = New dates: DD.MM.YYYY HH:MM — DD.MM.YYYY HH:MM
draft-cancel-hint = /cancel keeps it as it was.
draft-refused = ⚠️ { $reason }
draft-error-empty = The answer is empty.
draft-error-too-long = Too long: { $length } { $length ->
        [one] character
       *[other] characters
    }, at most { $limit }.
draft-error-date-format = I could not read the date — use DD.MM.YYYY HH:MM.
# a date not in the calendar: $what is wrong (month, month-day, year, day: $days in that month); $time 1: the time too
draft-error-date-invalid = That date is not in the calendar: { $what ->
        [month] months are 1 to 12
        [month-day] months are 1 to 12, days 1 to 31
        [year] years start at 0001
       *[day] that month has days 1 to { $days }
    }.{ $time ->
        [1] {" "}Nor is that time: hours 0 to 23, minutes 0 to 59.
       *[other] {""}
    }
draft-error-date-past = That date has passed.
draft-error-end-before-start = The end must come after the start.
draft-error-dates-pair = Two dates with a dash between them: start — end.
draft-error-segments = Unknown segments: { $unknown }. There are: { $known } (or “all”).
draft-error-category = Line { $line }: “{ $name }” is not a category. Categories: { $known }.
draft-error-no-places = Line { $line }: the category “{ $name }” has no places with prizes — list them separated by “;”.
draft-error-category-twice = Line { $line }: the category “{ $name }” is there already.
draft-error-too-many-places = Line { $line }: the category “{ $name }” has { $count } places — at most { $limit }: the contest card is one message.
draft-error-card-too-long = The contest card would have { $count } characters (title, description, restrictions and prizes together) — at most { $limit }, so it is one message. Shorten the prizes or the texts.
draft-error-no-prizes = At least one category with prizes is needed.
draft-error-minimum = Line { $line }: the threshold after “|” must be a number in the digits 0–9: e.g. “| from 3” or “| from 5000” (not “{ $typed }”).
draft-error-minimum-whole = Line { $line }: “{ $name }” counts sales or referrals — the threshold is a whole number, e.g. “| from 3”.
draft-error-hold = A whole number of days from 0 to { $limit }.
draft-error-digits = Type numbers with the digits 0–9: others (Arabic-Indic, full-width) are not read.
draft-error-incomplete = The draft is incomplete — start again: /contest_new
draft-text-please = Answer with text (or /cancel).
draft-command-inside = A contest dialog is open: answer the question above or leave with /cancel (/schedule and /announcements answer here too).
draft-aborted = The contest draft is deleted.
draft-short-warning = ⚠️ The contest starts less than { $days } { $days ->
        [one] day
       *[other] days
    } after the announcement — partners will not have time to prepare (traffic, creatives). Give another date or confirm with the button.
draft-short-confirm = Keep this date anyway
draft-short-accepted = Date accepted with a shorter announcement lead.
draft-short-confirmed = ⚠️ Announced less than { $days } days ahead — confirmed by a manager.
draft-short-unconfirmed = It starts in less than { $days } days — confirm the date again: /contest_new
draft-preview = 👀 <b>Preview.</b> This is what partners will see:
draft-extra = Who: { $segments } · hold: { $hold } days · { $one ->
        [1] one prize per partner
       *[other] a partner may win in several categories
    }
draft-everyone = all partners
draft-save = ✅ Save
draft-toggle-one = One prize per partner: { $on ->
        [1] yes
       *[other] no
    }
draft-abort = 🗑 Delete the draft
draft-use-buttons = The draft is ready: save or delete it with the buttons under the preview.
draft-saved = ✅ The contest is saved and announced: { $count } { $count ->
        [one] partner
       *[other] partners
    }{ $chat ->
        [1] {" "}and the partners' chat
       *[other] {""}
    } get the announcement (quiet hours and unsubscribes respected). Reminders, the start and the results follow the schedule.
draft-edit-too-soon = ⚠️ The contest was announced: its start can only move later, or sooner but at least { $days } days after the announcement. To start earlier, cancel it and create a new one.
contest-error-start-past = The start has passed — create the contest again.
contest-error-segments = The contest names segments the program no longer has.
contests-admin-none = No contests yet. Create one: /contest_new
contests-admin-list = 🏆 Contests ({ $count }). Pick one to announce, edit or cancel:
contests-admin-not-announced = 📝 { $title } — not announced
contests-admin-announced = 📣 { $title } — announced { $when }
contests-admin-running = 🟢 { $title } — running
contests-admin-finished = 🏁 { $title } — finished
contests-admin-cancelled = ❌ { $title } — cancelled
contests-admin-from-file = From a file in the content's contests/ folder (the contest with id: { $id }): edit texts and prizes in the file, then /reload.
contests-admin-announce = 📣 Announce
contests-admin-announce-anyway = 📣 Announce anyway
contests-admin-edit-dates = ✏️ Dates
contests-admin-edit-prizes = ✏️ Prizes
contests-admin-edit-text = ✏️ Rules
contests-admin-cancel = ❌ Cancel the contest
contests-admin-back = ← To the list
contests-admin-to-card = ← Back
contests-admin-not-active = The contest is over or cancelled.
contests-admin-already-announced = The contest is announced already.
contests-admin-announced-now = 📣 The announcement is queued: { $count } { $count ->
        [one] partner
       *[other] partners
    }{ $chat ->
        [1] {" "}and the partners' chat
       *[other] {""}
    }. Quiet hours and unsubscribes are respected.
contests-admin-cancel-confirm = Cancel “{ $title }”? Everyone who was told about it hears it is cancelled.
contests-admin-cancel-yes = Yes, cancel
contests-admin-cancelled-now = ❌ “{ $title }” is cancelled. { $count } { $count ->
        [one] partner who was told hears
       *[other] partners who were told hear
    } about it.
contests-admin-edited = ✅ The contest “{ $title }” is changed: /contests_admin
contests-admin-edit-refused = Only contests made with /contest_new can be changed, and only before the start.

## The schedule: weekly and daily sends
weekly-leaderboard = 📊 <b>This week's leaderboard</b>
digest-title = 🗞 <b>Your week in the partner program</b>
digest-week = Last 7 days: { $count } approved { $count ->
        [one] sale
       *[other] sales
    } for { $amount } ₽
digest-place = Place in the month's leaderboard: #{ $place }
digest-place-up = Place in the month's leaderboard: #{ $place } (⬆️ { $change } this week)
digest-place-down = Place in the month's leaderboard: #{ $place } (⬇️ { $change } this week)
digest-tier = { $remaining } more { $remaining ->
        [one] sale
       *[other] sales
    } this month to “{ $tier }”
digest-link = Link your affiliate id to see your sales: /link YOUR_ID
digest-link-pending = Affiliate id { $affiliate } waits for a manager's approval; then your week's sales show up here.
digest-contest = 🏆 Coming: “{ $title }” from { $start } — /contests
digest-creatives = 🎨 New creatives: { $titles } — /creatives
digest-lesson = 🎓 Next lesson: “{ $title }” — /lessons
digest-footer = Creatives: /creatives · questions: just write · unsubscribe: /settings
nudge-title = { $name }, no sales for a while — let us help!
nudge-title-unnamed = No sales for a while — let us help!
nudge-lesson = 🎓 A lesson worth starting with: “{ $title }” — /lessons
nudge-creative = 🎨 A ready creative: “{ $title }” — /creatives
nudge-manager = 🙋 Talk it over with a manager: /support
lesson-drip = 🎓 Time for the next lesson: “{ $title }” ({ $done } of { $total } done) — /lessons

## /announce, /announcements, /schedule (managers)
announce-ask-message = 📣 Send the message to broadcast: text, a photo or a document (with a caption). /cancel leaves.
announce-unsupported = That cannot be announced: stickers, voice messages, videos and polls do not fit. Send text, a photo or a document (with a caption) - or /cancel.
announce-too-long = Too long: { $length } { $length ->
        [one] character
       *[other] characters
    }, one message on Telegram, VK and MAX holds up to { $limit }.
announce-too-long-max = Too long for MAX: with its formatting and links it is { $length } { $length ->
        [one] character
       *[other] characters
    } (MAX counts tags and "&amp;" as written), and one MAX message holds up to { $limit }. Shorten the text or drop some links and formatting - or /cancel.
announce-ask-audience = Who should get it?
announce-to-all = 👥 All partners
announce-pick-segment = A segment…
announce-pick-tier = A tier…
announce-pick-contest = A contest's participants…
announce-to-inactive = 💤 Inactive partners
announce-to-community = 💬 The partners' chat
announce-to-segment = partners of the segment “{ $name }”
announce-to-tier = partners of the tier “{ $name }”
announce-to-contest = the participants of “{ $name }”
announce-nothing-to-pick = Nothing to pick from.
announce-ask-when = When? Press “Now” or write a date and time: DD.MM.YYYY HH:MM.
announce-now = Now
announce-quiet = ⚠️ That is in the quiet hours: private messages go only at { $end }. Write another time or confirm.
announce-quiet-ok = Yes, let them wait until { $time }
announce-when-quiet = { $when }, but private messages only at { $end }: the partners' quiet hours
announce-preview = 👀 Preview. To: { $audience } — { $count } { $count ->
        [one] recipient
       *[other] recipients
    }, sending: { $when }.
announce-empty = Nobody is in this audience right now — pick another.
announce-confirm = ✅ Send
announce-abort = ❌ Cancel
announce-aborted = The broadcast is cancelled.
announce-command-inside = A broadcast is being prepared: answer the question above or leave with /cancel (/schedule and /announcements answer here too).
announce-use-buttons = Pick with the buttons (or /cancel to leave without a broadcast).
announce-queued = ✅ Broadcast #{ $number } is queued: { $count } { $count ->
        [one] message
       *[other] messages
    }. The report comes when everything is out; status: /announcements.
announce-thanks = Thanks for the feedback!
announcements-none = No broadcasts yet. New one: /announce
announcements-item =
    📣 <b>Broadcast #{ $number }</b> — { $status }, { $when }
    To: { $audience } ({ $recipients })
    “{ $preview }”
    Delivered { $delivered }, queued { $waiting }, blocked { $blocked }, failed { $failed } · 👍 { $up } 👎 { $down }
announcements-status-scheduled = scheduled
announcements-status-cancelled = cancelled
announcements-cancel = ❌ Cancel what is not sent
announcements-cancelled = Broadcast #{ $number } stopped: the rest is cancelled; delivered before that: { $delivered }.
# people an announcement reached, as its preview counts them; the messages when more
announcement-delivered = { $people ->
        [one] { $people } recipient
       *[other] { $people } recipients
    }{ $messages ->
        [0] {""}
       *[other] {" "}({ $messages ->
            [one] { $messages } message
           *[other] { $messages } messages
        })
    }
content-kept = ⚠️ The bot started, but the content folder { $folder } has problems ({ $count }): partners get the last valid content. Fix them and send /reload.
content-kept-more = …and { $count } more: partnerbot content check
announcement-report =
    📊 <b>Report of broadcast #{ $number }</b>
    Delivered: { $delivered }
    Blocked the bot: { $blocked }
    Failed: { $failed }
    Skipped (unsubscribed, weekly cap): { $skipped }{ $forgotten ->
        [0] {""}
       *[other] {"\u000A"}Deleted their data (/forget) before it went: { $forgotten }
    }
    Maybe delivered (the connection broke after sending; not sent again): { $uncertain }
    Reactions: 👍 { $up } · 👎 { $down }
schedule-title = 🗓 <b>Automated sends, next 14 days</b>
schedule-empty = Nothing is planned.
schedule-row-chat = { $what } — the partners' chat
schedule-row-chat-titled = { $what } “{ $title }” — the partners' chat
schedule-row = { $what } — { $count } { $count ->
        [one] recipient
       *[other] recipients
    }{ $messages ->
        [0] {""}
       *[other] {" "}({ $messages ->
            [one] { $messages } message
           *[other] { $messages } messages
        })
    }{ $chat ->
        [1] {" "}+ the chat
       *[other] {""}
    }
schedule-row-titled = { $what } “{ $title }” — { $count } { $count ->
        [one] recipient
       *[other] recipients
    }{ $messages ->
        [0] {""}
       *[other] {" "}({ $messages ->
            [one] { $messages } message
           *[other] { $messages } messages
        })
    }{ $chat ->
        [1] {" "}+ the chat
       *[other] {""}
    }
schedule-announcement = contest announcement
schedule-reminder = contest reminder
schedule-started = contest start
schedule-standings = contest standings (chat)
schedule-last_day = contest's last day
schedule-results = contest results
schedule-leaderboard = weekly leaderboard (chat)
schedule-digest = weekly digest
schedule-announcement-manager = broadcast #{ $number }
schedule-held-sales = sale notices
schedule-held-contest = contest message
schedule-held-news = news
schedule-held-nudge = a reminder to inactive partners

# A message relayed between Telegram and VK: what could not cross with it.
relay-not-crossed = { $kind ->
    [photo] 📎 [a photo — it stayed in the other messenger]
    [document] 📎 [a file — it stayed in the other messenger]
   *[other] 📎 [an attachment — it stayed in the other messenger]
}

# --- security and hostile input (issue 12) ---
support-not-delivered = Your message for ticket #{ $number } could not be passed to the managers. Please try again a little later, or send { "/support" } with the text.
ticket-card-whole-question = 📄 The whole question
ticket-whole-question = 📄 The whole question of ticket #{ $number }:
reload-planned-announcement = 📣 “{ $title }” will be announced to { $count } { $count ->
        [one] partner
       *[other] partners
    }{ $chat ->
        [1] {" "}and in the partners' chat
       *[other] {""}
    } now.
reload-planned-too-soon = ⚠️ “{ $title }” starts sooner than the announcement lead time allows: it will not be announced by itself. Until a manager announces it, partners do not see it — after its start either: not in /contests or /top, not on the leaderboards, not in sale notices. To announce it — /contests_admin; sales since its start count then too.

# --- every screen right (issue 14) ---
contests-admin-edit-aborted = Change cancelled: the contest “{ $title }” stays as it was. /contests_admin — the list.
contests-admin-confirm = ✏️ Contest “{ $title }”:
contests-admin-confirm-ask = Everyone told about the contest and the partners' group will hear of the change. Save and tell them?
contests-admin-confirm-dates = new dates — { $starts } — { $ends }.
contests-admin-confirm-prizes = new prizes:
contests-admin-confirm-yes = ✅ Save and tell
contests-admin-confirm-no = ✖️ Don't save
draft-edit-use-buttons = The change waits for your decision: save it or not with the buttons below (or /cancel).
moment-rescheduled = 🗓 The contest “{ $title }” moves: it now runs from { $start } to { $end }. Rules and prizes — /contests
contests-admin-dates-told = The new dates go to those who were told about the contest: { $count } { $count ->
        [one] partner
       *[other] partners
    } (not in quiet hours, not to those who pressed /stop; the weekly cap does not hold back a correction).
start-resubscribed-topics = Messages are on again: { $on }.
start-resubscribed-off = Off, as you set them: { $off }.
start-resubscribed-settings = Change topics: /settings
start-resubscribed-none = You get no newsletters: all your topics are off — turn on the ones you want in /settings.
schedule-lesson = the next lesson of the course (a reminder)
start-first = Hello! To begin, send /start — the bot asks a couple of questions and shows the menu. Until then we keep nothing about you.
partner-answers = Onboarding answers:
partner-link-none = No affiliate id linked yet — no sales to show.
announcements-status-sending = sending
announcements-status-sent = sent
announcements-went = { $when }, went to private chats { $went }
# a broadcast's rows that still wait for people who stopped the messages since (dropped then)
announcements-unreached = Will not get it any more: { $count } { $count ->
        [one] partner
       *[other] partners
    } (stopped the messages or turned the topic off)
announcements-uncertain = Maybe delivered: { $count } more (the connection broke after sending; not sent again).
small-talk-greeting = Hello! Write your question and I will answer right away. Everything I can do is in /help.
small-talk-thanks = You are welcome! If a question comes up, just write it.
small-talk-ack = 👌 If a question comes up, just write it. The menu is /help.
small-talk-news = The program's news comes in the newsletter: choose its topics in /settings. Contests: /contests, the leaderboard: /top, your sales: /me.
small-talk-chat = All good, thank you! I answer questions about the affiliate program: write yours and I will answer right away. The menu is /help.
small-talk-bye = Thank you, same to you! If a question comes up, just write it.
small-talk-bot = I am a bot: I answer questions about the program right away, at any hour. Need a person? /support, a manager will answer right here.
small-talk-number = A number alone is not a question. Write what you want to know in words and I will answer right away. The menu is /help.
small-talk-date = A date alone is not a question. Write what you want to know in words — I will answer right away. The menu is /help.
# a manager's date (or «start — end») typed when no dialog step waits for it
small-talk-date-manager = This looks like a date, but no step is waiting for one: the dates were entered or cancelled. A contest's dates — /contests_admin, the «✏️ Dates» button; a broadcast at a time — /announce.
small-talk-letter = That is not a question yet. Write what you want to know in words and I will answer right away. The menu is /help.
small-talk-helped = Glad it helped! If another question comes up, just write it.
small-talk-not-helped = Sorry about that. Write the question in other words and I will try again. Or /support: a manager will answer right here.
small-talk-consent = Newsletters are set in /settings: each topic can be turned on or off there. To unsubscribe from everything at once: /stop.
small-talk-forget = To delete your data, send /forget and confirm with the button.
small-talk-withdraw = To withdraw your ticket, send /cancel and confirm with the button.
small-talk-button = That is a button's label: press the button itself under the message. You can write your question in words; menu: /help.
small-talk-unsubscribe =
    Here is how to manage messages:
    • /settings — choose which topics you get (switch off the ones you do not need);
    • /stop — unsubscribe from every newsletter, digest and reminder at once.
    Answers to your questions always come. Subscribe again: /start
support-ask-open = Ticket #{ $number } is open: write what to add and it goes to the manager.
support-ask-cancelled = All right, no ticket. If you need a manager — /support
announce-to-all-title = all partners
announce-to-inactive-title = inactive partners (in the program { $days } days or longer, no approved sale in that time)
announce-to-community-title = the partners' chat
draft-error-time-invalid = No such time: hours 0 to 23, minutes 0 to 59.
# a bare date where a moment is asked for (a broadcast's time, a contest's start)
draft-error-time-needed = The time is needed too, not only the date: DD.MM.YYYY HH:MM, e.g. { $date } 10:00.
# --- FAQ learning ---
faq-thanks-learned = Thanks! We will remember that this is what you asked.
faq-learned-empty = No learned phrasings are waiting for review.
faq-learned-recent = Learned by itself from partners’ “Helped” in the last { $days } days — ❌ to forget a wording:
faq-learned-recent-row = { $number }. “{ $phrasing }” → { $entry }
faq-learned-taken-back = Forgotten: the bot answers this question as before it learned it.
faq-learned-item = Waiting ({ $left }): “{ $phrasing }”
    → <b>{ $entry }</b>: { $question }
    { $source ->
        [helped] { $votes ->
            [0] Confirmed by partners (who is not kept once approved)
           *[other] Confirmed by partners: { $votes }
        }
        [link] Linked by a manager
        [move] Moved here by a manager from another entry
       *[other] Source: { $source }
    }{ $gone ->
        [yes] {"\u000A"}⚠️ This entry is no longer in faq.yaml: move the phrasing to another one.
       *[no] {""}
    }
faq-learned-approve = ✅ Approve
faq-learned-move = ↪️ Move
faq-learned-reject = ❌ Reject
faq-learned-move-to = Which entry does “{ $phrasing }” belong to?
faq-learned-approved = Approved: the bot now answers this phrasing.
faq-learned-rejected = Rejected.
faq-unlearn-usage = Usage: /faq_unlearn TEXT — forget a learned wording (approved or waiting), e.g. /faq_unlearn how to win at the casino
faq-unlearn-none = No learned wording “{ $wording }” — nothing to forget.
faq-unlearn-done = Forgot “{ $wording }” ({ $entries }): the bot answers this question as before it learned it, and “Helped” will not propose it for the same entry again.
faq-learned-cannot-teach = Not approved: the wording has no words that carry meaning (only question or chatty words), the bot could never answer by it. The wording is rejected.
faq-learned-moved = Moved to { $entry } and approved.
faq-learned-entry-gone = This entry is no longer in faq.yaml: move the phrasing to another one.
faq-linked = The partner got the answer “{ $entry }”. { $learned ->
        [segment] The wording was not learned: the entry is only for { $only }; the partner does not see it, so it would never answer them.
        [yes] The phrasing is learned.
        [empty] The message has no question text: nothing to learn.
        [long] The question is longer than { $limit } characters: not learned as a phrasing.
        [unsure] Which of the partner's messages this is about is unclear: the phrasing is not learned (to learn it, reply /faq_link to the partner's message itself).
        [meaningless] The phrasing is not learned: it has no words that carry meaning.
        [question-words] The phrasing is not learned: it has question words only.
        [small-talk] The phrasing is not learned: it is small talk, which the bot answers itself.
        [own] The phrasing is not learned: it reads as a wording of “{ $owner }” in faq.yaml, which the bot answers it with anyway.
       *[no] The phrasing is not learned.
    }{ $delivered ->
        [yes] {""}
       *[no] {" "}⚠️ The answer did not reach the partner.
    }
faq-link-pick = Which FAQ entry does “{ $question }” belong to?
faq-link-done = Already done: the answer picked here was sent to the partner. To send another, reply /faq_link to the partner's message again.
faq-link-expired = This picker is older than { $days } days. To send an answer, reply /faq_link to the partner's message again.
faq-link-unknown = The FAQ has no entry “{ $entry }”. Closest: { $closest }
faq-link-unknown-none = The FAQ has no entry “{ $entry }” and nothing like it. Check the id in faq.yaml, or reply to the ticket with /faq_link and no id: I will offer the entries closest to the partner's question.
faq-gap-button = 🔗 { $number }. { $question }
faq-gap-people = { $count ->
        [one] { $count } partner
       *[other] { $count } partners
    }
faq-gap-pick = “{ $question }” — { $people }: which FAQ entry is it?
faq-gap-segments = Partners of different segments asked ({ $segments }): an entry marked “only …” will not answer them all.
faq-gap-only = only { $segments }
faq-pick-none = No close entries.
faq-link-any = To pick any entry, write it where you called this command: /faq_link ID — the id of an entry in faq.yaml (e.g. /faq_link { $example }).
faq-pick-other = 📋 Another entry
faq-pick-closest = ⬅️ Closest
faq-pick-next = Next →
faq-pick-topics-back = ⬅️ Topics
faq-pick-topics = “{ $question }”: which topic is the entry that answers it in?
faq-pick-topic = “{ $question }” — { $topic }{ $pages ->
    [1] {""}
   *[other] {" "}({ $page } of { $pages })
}: which entry answers it?
faq-gap-linked = The phrasings “{ $question }” ({ $count }) now lead to { $entry }.
faq-gaps-digest = What the FAQ lacked this week (unanswered):
faq-gaps-digest-line = { $number }. { $question } — { $people }
faq-gaps-digest-footer = Link them to answers in /stats, or add them to faq.yaml.
# --- pacing and flood protection ---
flood-slow-down-press = Not so fast — wait a couple of seconds and press again.
# --- MAX ---
max-rights-read = no "read all messages" right (without it the bot does not see questions in the chat)
max-rights-write = no right to write in the chat
menu-manager =
    <b>For managers</b>
    /announce — a broadcast · /announcements — broadcasts and reports · /schedule — what goes in the next 14 days
    /contest_new — a new contest · /contests_admin — contests: announce, change, cancel
    /tickets — open tickets · /close — close (in the topic or as a reply) · /t KEY — a canned reply
    /partner ID — a partner's card · /approve_link ID — approve a link
    /stats — the program in numbers · /reload — read the content again
    /faq_learned — new FAQ wordings to review · /faq_link ID — answer a ticket with an FAQ entry and learn its wording
    /faq_unlearn TEXT — forget a wording learned by mistake
onboarding-pick-hint = There is no such option. Press a button or write one of: { $options }.
onboarding-consent-hint = Answer with a button below: “Yes” — send me news, “No” — only answers to my questions.
draft-segments-known = Segments: { $known }.
start-manager = Hello, { $name }! You are a manager of the program: below is the partner's menu (as partners see it) and your commands.
start-manager-unnamed = Hello! You are a manager of the program: below is the partner's menu (as partners see it) and your commands.


# --- review fixes A ---
draft-error-minimum-too-big = Line { $line }: the threshold is over { NUMBER($limit) }; check the number.
draft-error-date-too-far = At most a year ahead ({ $days } days): check the year.
draft-error-contest-too-long = A contest lasts at most { $days } days.
# --- review fixes B ---
ticket-card-tier = Tier: { $tier } — { $approved } approved { $approved ->
        [one] sale
       *[other] sales
    } this month
ticket-card-tier-unlinked = Tier: none (no affiliate id linked)
ticket-card-affiliate-pending = { $affiliate } (awaiting approval)
ticket-card-tier-pending = Tier: none (affiliate id awaiting approval)
ticket-card-recent-sales = Recent sales:
ticket-card-sale = • { $when } · { $amount } · { $status ->
        [approved] approved
        [pending] pending
       *[declined] declined
    }
announce-empty-community = The partners' chat is not set (TG_COMMUNITY_CHAT_ID, VK_COMMUNITY_PEER_ID, MAX_COMMUNITY_CHAT_ID) — pick another audience.
announce-excluded = { $count } { $count ->
        [one] partner gets
       *[other] partners get
    } no broadcasts: said no to them when they met the bot, news off in /settings, /stop, or the bot blocked.
announce-preview-excluded = { $count } more { $count ->
        [one] partner
       *[other] partners
    } will not get it: said no to broadcasts when they met the bot, news off, /stop, or the bot blocked.
draft-delete-confirm = Delete the draft «{ $title }»? It cannot be restored.
draft-delete-yes = Yes, delete
draft-delete-back = ← Back to the draft
ticket-note-kept = 📝 Internal note on ticket #{ $number } kept in this chat — the partner does not see it.
contests-admin-short-warning = ⚠️ The contest starts less than { $days } { $days ->
        [one] day
       *[other] days
    } after the announcement — partners will not have time to prepare (traffic, creatives). { $file ->
        [1] To move the start, change starts_at in the file of the contest with id: { $id } (the content's contests/ folder), then /reload.
       *[other] To move the start, press “✏️ Dates”.
    } Or announce now with the button.
moment-announcement-soon = 📣 <b>A new contest!</b> It starts as soon as { $start } — little time to prepare.
draft-error-segments-everyone = “all” means every segment at once: write either “all”, or segments separated by commas.

# --- one person: a link request for an id another chat has ---
link-card-already = ⚠️ This id is already linked to: { $chats }. Approving makes these chats one partner (shared sales, leaderboard place, settings): check it is the same person.

# --- files a platform would not take (review N4) ---
# In place of a screen's photo or file whose upload failed (the text of the screen stays).
file-not-sent = { $kind ->
    [photo] 📎 [the picture could not be sent — please try again a little later]
    [document] 📎 [the file could not be sent — please try again a little later]
   *[other] 📎 [the attachment could not be sent — please try again a little later]
}

# --- reload everywhere ---
reload-everywhere = Every worker of the bot serves the new content within a second.
# the quiet hours changed: the private messages that waited for their end go by the new ones
reload-held-moved = The quiet hours changed: { $count } { $count ->
        [one] message that waited
       *[other] messages that waited
    } for their end will go by the new ones (/schedule).

# --- people, not chats: the announcement preview ---
# Under the preview when some recipients have several chats with the bot (each gets it).
announce-preview-messages = { $messages } messages will go: some partners have several chats with the bot (Telegram, VK, MAX), and each chat gets it unless the partner chose one in /settings.
announce-preview-capped = { $count } more { $count ->
        [one] partner
       *[other] partners
    } will not get it: they already had { $cap } automated { $cap ->
        [one] message
       *[other] messages
    } in 7 days (max_automated_per_week).
# the announcement leaves some recipients only the slot kept for contests and announcements
announce-preview-crowds = { $count ->
        [one] One recipient
       *[other] { $count } recipients
    } will get neither the digest nor reminders for the rest of the week after it: only an announcement or a contest still fits (max_automated_per_week: { $cap }).
# the announcement is the last automated message the weekly cap lets through to some recipients
# (counting what is queued for them): what it costs them
announce-preview-fills = For { $count } { $count ->
        [one] recipient
       *[other] recipients
    } this will be automated message { $cap } of { $cap } in 7 days: nothing else automated reaches them until the week is over — neither the digest nor reminders (max_automated_per_week).
# --- FAQ review fixes: one wording answers one entry ---
faq-wording-moved-from = The phrasing was moved from { $entries }.
faq-learned-elsewhere-approved = ⚠️ This phrasing already leads to { $entries }: “Approve” moves it here.
faq-learned-elsewhere-pending = ⚠️ The same phrasing waits for review under { $entries }: “Approve” rejects it there.
faq-link-no-text = This message has no question text (a photo or a file): nothing to learn. To send the partner an answer, write /faq_link ENTRY.
faq-link-unsure = This is the bot's note: which of the partner's messages it is about is unclear. Reply /faq_link to the partner's message itself, or to the ticket's card (for the first question); /faq_link ID here sends the partner the answer and learns nothing.

# --- session 8: contest changes, winners for managers, thresholds in /top (fixb8) ---
contests-admin-prizes-told = The new prizes go to those who were told about the contest: { $count } { $count ->
        [one] partner
       *[other] partners
    } (not in quiet hours, not to those who pressed /stop; the weekly cap does not hold back a correction).
contests-admin-renewed = The announcement still waiting to go leaves with the changes: { $count } { $count ->
        [one] partner
       *[other] partners
    }.
# the prizes' lines go between the two (a text argument is cut at 2,000 characters)
moment-changed = ✏️ New prizes in the contest “{ $title }”:
moment-changed-end = All the rules — /contests
contest-winners = 🏁 <b>Winners of the contest “{ $title }”</b> — hand out the prizes:
contest-winners-unannounced = ⚠️ The contest was never announced: partners did not know of it, and the results were not sent to them.
contest-winners-preliminary = 🏁 <b>Preliminary winners</b> (results on { $until }, after the hold):
contest-leaders = 📊 <b>Leading now</b> (results on { $until }, after the end and the hold):
contest-winners-row = { $place }. { $name } ({ $who }), ID { $affiliate } — { $value } — { $prize }
contest-winners-gone = { $place }. ID { $affiliate } (no partner with this ID in the bot any more) — { $value } — { $prize }
# after a winner's row: they switched into the contest's segments after its start
contest-winners-joined = in the contest since { $since }
contest-winners-joined-breaks = in the contest with breaks, again since { $since }
contest-winners-forgotten = { $place }. the winner deleted their data (/forget) — { $value } — { $prize }
top-empty-min = Nobody has reached the threshold yet: from { $min }.
top-me-below = You are not in the standings yet: it takes { $min }, you have { $value } — { $left } to go.

# --- loose ends 9: the weekly cap in the confirmation of an announcement ---
# a contest's announcement saved in the quiet hours: when its private messages go
announced-held = Private messages only at { $end }: the partners' quiet hours.
announced-capped = Left out by the weekly cap: { $count } { $count ->
        [one] partner
       *[other] partners
    } — they already had { $cap } automated { $cap ->
        [one] message
       *[other] messages
    } in 7 days (max_automated_per_week).

# --- loose ends 10: a partner's /cancel with a ticket open withdraws the question ---
support-cancel-ask = Withdraw ticket #{ $number }? The manager will see you no longer need an answer, and the ticket closes.
support-cancel-yes = Yes, withdraw
support-cancel-no = No, keep it
support-cancel-kept = All right, ticket #{ $number } stays open.
support-cancelled = Ticket #{ $number } is closed: question withdrawn. If you need a manager — /support
support-cancel-nothing = Nothing to cancel: no ticket is open. If you need a manager — /support
# a manager's /cancel with no dialog of theirs running (nor a ticket of their own open)
support-cancel-nothing-manager = Nothing to cancel: no broadcast (/announce) and no contest (/contest_new) is being made now. Your commands — /help
ticket-withdrawn = 🚫 The partner withdrew the question: ticket #{ $number } is closed.
ticket-forgotten = 🗑 The partner deleted their data (/forget): ticket #{ $number } is closed, replies will not reach them.

## one person: what another chat of theirs changed (docs/one-person.md)
person-platform = { $platform ->
    [tg] Telegram
    [vk] VK
   *[max] MAX
}
link-joined-other = 🔗 Your { $platform } chat is linked to your id { $affiliate }: to the bot you are one partner there and here.
person-segment = Segment: { $segment } — from the chat you used last. Change it: /settings
person-newsletters = { $state ->
    [none] Newsletters: off — the last you chose was «only answers to my questions» on { $platform }. Switch topics on: /settings
    [stopped] Newsletters: off — the last was /stop on { $platform }. Back on: /start
   *[on] Newsletters: on — the last you chose was to get them, on { $platform }. Topics: /settings
}
person-forgotten = Your { $platform } chat was deleted, and its newsletter choice no longer counts: back to what you chose here.
person-newsletters-own = { $state ->
    [none] Newsletters: off. Switch topics on: /settings
    [stopped] Newsletters: off (/stop). Back on: /start
   *[on] Newsletters: on. Topics: /settings
}

# --- session 15: what partners and managers teach never takes an entry's own wording ---
faq-learned-own = ⚠️ This reads as a wording of “{ $owner }” in faq.yaml: the bot answers it with that entry anyway. “Approve” rejects it; it can be moved to { $owner }.
faq-learned-own-rejected = Not approved: this reads as a wording of “{ $owner }” in faq.yaml, which the bot answers it with. The wording is rejected.
faq-learned-disputed = ⚠️ Partners disagree: the same wording was also confirmed for { $entries }. It is not approved by itself: you decide (“Approve” rejects it there).
reload-sections-held = ⚠️ Content not updated: program.yaml no longer has the sections or keys { $sections } — without them their defaults would apply (the postback statuses, the schedule…). If the file was saved only in part, put them back and send /reload. If this is intended, send /reload again within 10 minutes.
reload-sections-gone = ⚠️ program.yaml no longer has these sections or keys: { $sections } — their defaults apply now. If the file was saved only in part, put them back and send /reload.
reload-learned-back = { $count } learned { $count ->
        [one] wording went
       *[other] wordings went
    } back to review: their entry is no longer in faq.yaml. Move them to another entry or reject them: /faq_learned
reload-learned-approved = { $count } learned { $count ->
        [one] wording is
       *[other] wordings are
    } approved again: their entry is back in faq.yaml.
managers-chat-private-only = /{ $command } works in a private chat with the bot — write to it there.
ticket-template-sent = 📤 The partner got the template “{ $key }”:
    { $text }
community-in-private = /{ $command } works in a private chat with the bot — open it with the button below.
contests-admin-group-told = And to the partners' group, which was told of the contest.
contest-open-to = Open to: { $segments }

# --- session 28: a contest nobody announced is shown to no partner ---
# /contests under a category's threshold, as /top says it (top-me-below)
contest-mine-below = • { $name }: not in the standings yet — it takes { $min }, you have { $value }, { $left } to go
# to the managers, once, while a contest nobody announced runs
contest-running-unannounced = ⚠️ The contest “{ $title }” has been running since { $start } but was not announced: partners do not see it — not in /contests or /top, not on the leaderboards, not in sale notices. To announce it — /contests_admin; sales since its start count then too.
contests-admin-running-unannounced = 🟡 { $title } — running, not announced: partners do not see it
contests-admin-running-warning = ⚠️ The contest has been running since { $start } but was not announced: partners do not see it yet. Announce it now? Partners of its segments and the partners' chat get it with its rules and prizes; sales since { $start } count.
# the announcement of a contest a manager announced after its start
moment-announcement-running = 📣 <b>A new contest — running already!</b> Approved sales count from { $start } to { $end }.
# /reload: a new contest file whose start has passed (not refused: it waits for a manager)
reload-late-contest = ⚠️ { $where }: “{ $title }” is a new contest whose start ({ $start }) has passed. Nobody was told of it: partners do not see it until a manager announces it (/contests_admin; sales since its start count), and at its end only the managers get its winners. A typo in the date? Correct the file and /reload again.
