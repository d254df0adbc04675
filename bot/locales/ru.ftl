# partnerbot: тексты бота на русском. Папка контента может переопределить любой из них
# (content/locales/ru.ftl). HTML-разметка Telegram: <b>, <i>, <a href="…">, <code>.

## Команды в меню Telegram
command-start = Начать и пройти знакомство
command-help = Меню
command-faq = Частые вопросы
command-lessons = Обучение
command-creatives = Промо-материалы
command-me = Мои данные
command-settings = Настройки и подписки
command-stop = Отписаться от всех рассылок
command-forget = Удалить мои данные

## Общее
button-back = ← Назад
no-longer-available = Этот пункт больше недоступен — откройте меню заново: /help
error-generic = Что-то пошло не так, мы уже разбираемся. Попробуйте ещё раз чуть позже.
error-outage = Бот на минуту недоступен, и это не сохранилось. Повторите, пожалуйста, через минуту.
flood-slow-down = Слишком много сообщений подряд — подождите пару секунд, и я снова отвечу.
unknown-command = Такой команды я не знаю. Вот что я умею:
manager-command-slash = Команды пишутся со слэшем: { $command }
unsupported-message = Я понимаю текст и кнопки. Напишите вопрос словами или откройте меню: /help
usage-no-arguments = Команда /{ $command } работает без параметров. Просто отправьте /{ $command }

## Меню
menu-text =
    <b>Меню</b>
    /faq — частые вопросы, или просто напишите свой вопрос{ $lessons ->
        [yes] {"\u000A"}/lessons — обучение
       *[no] {""}
    }{ $creatives ->
        [yes] {"\u000A"}/creatives — баннеры, лендинги, ключевые слова и другие материалы
       *[no] {""}
    }
    /me — ваш код, сегмент, прогресс и реферальная ссылка
    /settings — подписки, язык, сегмент, имя в рейтингах
    /contests — конкурсы и ваше место · /top — рейтинг
    /support — написать менеджеру · /link — привязать ID в партнёрской сети
    /stop — отписаться от всех рассылок · /forget — удалить данные
menu-faq = ❓ Вопросы
menu-lessons = 🎓 Обучение
menu-creatives = 🎨 Материалы
menu-me = 👤 Мои данные
menu-settings = ⚙️ Настройки

## /start и знакомство
start-hello = Здравствуйте, { $name }! Это бот партнёров «{ $program }».
# "-unnamed": the greeting for a name with nothing to show (bot/texts.py, greeting)
start-hello-unnamed = Здравствуйте! Это бот партнёров «{ $program }».
start-default-welcome = Здесь ответы на вопросы, обучение, промо-материалы и конкурсы.
start-welcome-back = С возвращением, { $name }!
start-welcome-back-unnamed = С возвращением!
onboarding-segment = Кто вы? Выберите, что ближе:
onboarding-segment-chosen = Сегмент: <b>{ $segment }</b>
onboarding-question = Вопрос { $number } из { $total }: { $text }
onboarding-free-text = Напишите ответ одним сообщением (до { $limit } символов).
onboarding-too-long = Слишком длинно: { $length } { $length ->
        [one] символ
        [few] символа
       *[many] символов
    }, можно до { $limit } — одной фразой, пожалуйста.
onboarding-answer-empty = Ответ пустой — напишите его словами.
onboarding-answered = { $text } — <b>{ $answer }</b>
# $cap: the program's max_automated_per_week; $night: yes when its quiet_hours hold the
# night (program.yaml)
onboarding-consent =
    Присылать вам новости программы, анонсы конкурсов, еженедельный дайджест и уроки?
    { $cap ->
        [0] Сейчас программа не присылает автоматических сообщений — только ответы на ваши вопросы.
        [one] Не чаще { $cap } сообщения в неделю{ $night ->
            [yes] , никогда ночью.
           *[no] .
        }
       *[other] Не чаще { $cap } сообщений в неделю{ $night ->
            [yes] , никогда ночью.
           *[no] .
        }
    } Отписаться можно в любой момент: /stop
onboarding-consent-yes = ✅ Да, присылайте
onboarding-consent-no = Нет, только ответы на мои вопросы
onboarding-done-subscribed = Готово! Вы подписаны. Темы рассылок можно выбрать в /settings.
onboarding-done-quiet = Готово! Рассылок не будет — только ответы на ваши вопросы. Передумаете — /settings.
onboarding-contest = 🏆 Конкурс «{ $title }» (с { $start }) — правила и призы: /contests
onboarding-contest-running = 🏆 Идёт конкурс «{ $title }» (до { $end }) — правила и призы: /contests

## Вопросы
faq-topics = <b>Частые вопросы</b> — выберите тему. Или просто напишите свой вопрос.
faq-topic = <b>{ $topic }</b>
faq-page = (стр. { $page } из { $pages })
faq-page-previous = ← Предыдущие
faq-helped = 👍 Помогло
faq-ask-manager = 🙋 Спросить менеджера
faq-thanks = Спасибо! Рады, что помогло.
faq-did-you-mean = Не уверен, что понял вопрос. Вы имели в виду:
faq-none-of-these = Нет, другое
faq-not-it = Не то? Возможно, вы спрашивали:
faq-not-it-option = ↪ { $question }
faq-miss =
    Пока не знаю ответа на этот вопрос — я записал его для менеджеров.
    Нажмите «Спросить менеджера», и менеджер ответит здесь же.

## Обучение
lessons-empty = Уроков для вас пока нет — скоро появятся.
lessons-course = <b>Обучение</b>: пройдено { $done } из { $total } { $total ->
    [one] урока
   *[other] уроков
    }. Выберите урок:
lessons-title = <b>Урок { $number } из { $total }. { $title }</b>
lessons-done-next = ✅ Готово, дальше
lessons-next = Следующий урок →
lessons-to-list = К списку уроков
lessons-marked-done = Урок пройден!
lessons-finished = 🎉 Курс пройден: { $total } { $total ->
    [one] урок
    [few] урока
   *[many] уроков
    } из { $total }. Загляните в /creatives — там материалы для работы.

## Промо-материалы
creatives-empty = Материалов для вашего сегмента пока нет.
creatives-kinds = <b>Промо-материалы</b> — выберите вид:
creatives-kind = <b>{ $kind }</b>
creatives-kind-button = { $kind } ({ $count })
creative-kind-landing = Лендинги
creative-kind-banner = Баннеры
creative-kind-keywords = Ключевые слова
creative-kind-top_products = Топ товаров
creative-kind-description = Описания
creative-kind-video = Видео

## /me
me-title = <b>{ $name }</b>
me-code = Код партнёра: <code>{ $code }</code>
me-segment = Сегмент: { $segment }
me-segment-none = не выбран
me-lessons = Обучение: { $done } из { $total }
me-referrals = Приглашено: { $count } { $count ->
    [one] партнёр
    [few] партнёра
   *[many] партнёров
    }
me-ref-link = Ссылка для приглашения: { $link }
me-stopped = Рассылки выключены (/stop). Включить: /start
me-stopped-none = Рассылки выключены, все темы тоже. Включить нужные: /settings
me-newsletters-none = Рассылки вам не приходят — только ответы на ваши вопросы. Включить нужные темы: /settings

## Настройки
settings-title = <b>Настройки</b>. Нажмите на тему, чтобы включить или выключить её.
settings-stopped = <b>Настройки</b>. Сейчас все рассылки выключены (/stop). Включите нужную тему или отправьте /start.
settings-saved = Сохранено
settings-language = Язык: { $language }
settings-segment = Сегмент: { $segment }
# a segment switched while a contest runs (docs/partners.md, "Contests and segments")
settings-contest-joined = 🏆 Идёт конкурс «{ $title }» (до { $end }): ваши продажи засчитываются в нём с этой минуты — сделанные раньше, в другом сегменте, не считаются. Правила и призы: /contests
settings-contest-rejoined = 🏆 Конкурс «{ $title }» (до { $end }) снова засчитывает ваши продажи — с этой минуты, и сделанные раньше в его сегментах; сделанные в другом сегменте не считаются. Правила и призы: /contests
settings-contest-left = ⚠️ Конкурс «{ $title }» (до { $end }) — не для этого сегмента: пока вы в нём, вас нет в рейтинге конкурса и продажи в нём не засчитываются. Вернётесь в сегмент конкурса до его конца — снова засчитаются продажи, сделанные в нём.
settings-public-name = Имя в рейтингах: { $choice }
settings-platform = Рассылки: { $where ->
    [tg] только в Telegram
    [vk] только во ВКонтакте
    [max] только в MAX
   *[both] во всех ваших чатах с ботом
}
topic-news = Новости
topic-contests = Конкурсы
topic-digest = Еженедельный дайджест
topic-sales = Уведомления о продажах
topic-lessons = Новые уроки
language-ru = Русский
language-en = English
public-name-name = имя
public-name-nickname = ник
public-name-anonymous = анонимно

## /stop и /forget
stop-done = Вы отписаны от всех рассылок, дайджестов, напоминаний и уведомлений о продажах. Ответы на ваши вопросы остаются. Подписаться снова: /start
stop-done-already = Вы уже отписаны от всех рассылок, дайджестов, напоминаний и уведомлений о продажах. Ответы на ваши вопросы остаются. Подписаться снова: /start
stop-done-none = Рассылок вам и так не приходит: все темы выключены. Ответы на ваши вопросы остаются. Включить нужные темы: /settings
forget-ask = Удалить все ваши данные в боте: сегмент, ответы, прогресс обучения, вопросы и настройки? Это нельзя отменить.
forget-confirm = Да, удалить
forget-cancel = Нет, оставить
forget-cancelled = Хорошо, ничего не удаляем.
forget-done = Ваши данные удалены. Если захотите вернуться — просто отправьте /start.
forget-ask-linked = { $count ->
        [one] Ваш чат в { $platforms } связан
       *[other] Ваши чаты в { $platforms } связаны
    } с тем же ID партнёра: для бота вы там и здесь — один партнёр. Удалить ваши данные (сегмент, ответы, прогресс обучения, вопросы и настройки) только в этом чате или во всех ваших чатах? Это нельзя отменить.
forget-here = Удалить только в этом чате
forget-everywhere = Удалить во всех моих чатах
forget-done-everywhere = { $count ->
        [one] Ваши данные удалены здесь и в вашем чате в { $platforms }.
       *[other] Ваши данные удалены здесь и в других ваших чатах — в { $platforms }.
    } Если захотите вернуться — просто отправьте /start.
forget-done-here = Ваши данные в этом чате удалены. { $count ->
        [one] В вашем чате в { $platforms } они остаются: чтобы удалить их и там, отправьте /forget в том чате.
       *[other] В ваших чатах в { $platforms } они остаются: чтобы удалить их и там, отправьте /forget в каждом из них.
    } Если захотите вернуться — просто отправьте /start.
forget-and = { $most } и { $last }

## Менеджерам
reload-done = Контент обновлён: { $faq } { $faq ->
        [one] вопрос
        [few] вопроса
       *[many] вопросов
    }, { $lessons } { $lessons ->
        [one] урок
        [few] урока
       *[many] уроков
    }, { $creatives } { $creatives ->
        [one] материал
        [few] материала
       *[many] материалов
    }.
reload-refused =
    Контент не обновлён — { $count } { $count ->
        [one] ошибка
        [few] ошибки
       *[many] ошибок
    }, работает прежняя версия:
    { $problems }

## Поддержка (партнёру)
command-support = Написать менеджеру
support-ask-text = Опишите вопрос одним сообщением — я передам его менеджеру. Можно приложить скриншот. Передумали — /cancel
support-blank = В сообщении ничего не видно — напишите вопрос словами или приложите скриншот.
support-opened =
    Обращение №{ $number } открыто. Менеджер ответит в течение { $hours } { $hours ->
        [one] часа
       *[other] часов
    }. Пока обращение открыто, все ваши сообщения здесь уходят менеджеру.
support-reopened = Обращение №{ $number } снова открыто — менеджер увидит ваше сообщение.
support-still-open = Обращение №{ $number } ещё открыто — ваше сообщение передано менеджеру.
support-close-button = ✅ Вопрос решён, закрыть
support-closed = Обращение №{ $number } закрыто. Оцените, пожалуйста, помощь:
support-rate-up = 👍 Помогли
support-rate-down = 👎 Не помогли
support-rated = Спасибо за оценку!
support-rated-up = Обращение №{ $number } закрыто. Ваша оценка: 👍 Помогли — спасибо!
support-rated-down = Обращение №{ $number } закрыто. Ваша оценка: 👎 Не помогли — жаль. Если вопрос не решён, напишите /support: менеджер продолжит.
support-not-open = Это обращение уже закрыто.
support-close-reopened = Обращение №{ $number } открыто снова после этого сообщения. Закрыть его можно кнопкой под последним сообщением.

## Поддержка (менеджерам)
ticket-topic = #{ $number } · { $name } · { $segment }
ticket-topic-forgotten = #{ $number } · данные удалены
ticket-card =
    🎫 <b>Обращение №{ $number }</b>
    Партнёр: { $name } ({ $who })
    Сегмент: { $segment }
    ID в партнёрской сети: { $affiliate }
    Вопрос: { $question }
ticket-card-asked-before = Вопросы в боте до этого:
ticket-card-howto = Ответ в этой теме уходит партнёру от имени бота. Сообщения с «!» — внутренние заметки. /close — закрыть, /t КЛЮЧ — шаблон.
ticket-card-howto-reply = Ответьте на любое сообщение обращения — ответ уйдёт партнёру. Сообщения с «!» — внутренние заметки. /close ответом — закрыть, /t КЛЮЧ ответом — шаблон.
ticket-none = нет
ticket-partner-wrote = ✉️ Обращение №{ $number }, { $name }:
ticket-reopened = ↩️ Партнёр вернулся: обращение №{ $number } снова открыто.
ticket-closed = ✅ Обращение №{ $number } закрыто.
ticket-closed-by-partner = ✅ Партнёр закрыл обращение №{ $number }.
ticket-rated = Оценка по обращению №{ $number }: { $rating }
ticket-blocked = ⚠️ Партнёр заблокировал бота — ответ по обращению №{ $number } не доставлен.
ticket-overdue = ⏰ Обращение №{ $number } ({ $name }) ждёт ответа { $hours } ч.
ticket-not-found = Это не сообщение обращения. Чтобы ответить партнёру, ответьте на сообщение обращения (или пишите в его теме); /close, /t и /faq_link работают там же.
ticket-template-unknown = Нет шаблона «{ $key }». Есть: { $keys }
ticket-template-usage = Использование: /t КЛЮЧ ({ $forum ->
        [yes] в теме обращения или ответом на его сообщение
       *[no] ответом на сообщение обращения
    }). Шаблоны: { $keys }
ticket-list-empty = Открытых обращений нет.
ticket-list-title = <b>Открытые обращения</b> (сначала старые):
ticket-list-where = Отвечают на обращения в чате менеджеров ({ $where }): { $forum ->
        [yes] в теме обращения или ответом на его сообщение
       *[no] ответом на сообщение обращения
    }.
ticket-list-row = №{ $number } · { $name } ({ $who }) · открыто { $age } ч назад{ $waiting ->
        [yes] {" "}· ждёт ответа
       *[no] {""}
    }

## Сообщество партнёров (группа)
community-welcome =
    Добро пожаловать, { $names }! Это чат партнёров «{ $program }».
    { $rules }
    Вопросы по выплатам и личным данным — боту в личку: там ответы, обучение и материалы.
community-welcome-unnamed =
    Добро пожаловать! Это чат партнёров «{ $program }».
    { $rules }
    Вопросы по выплатам и личным данным — боту в личку: там ответы, обучение и материалы.
community-open-bot = 💬 Открыть бота
community-rules = <b>Правила чата</b>
    { $rules }
community-no-rules = Правила чата пока не опубликованы.
community-faq = <b>Частые вопросы</b> — темы: { $topics }. Спросите прямо здесь или в личке у бота.
community-small-talk-bot = Я бот: отвечаю здесь на вопросы о программе, если спросить меня, а в личке — на любые, и зову менеджера, если нужен человек.
community-small-talk-thanks = Пожалуйста! 🙂
community-small-talk = 🙂 Спросите меня о программе — отвечу здесь или в личке.
community-offer-private = Не нашёл ответа на это в FAQ. Напишите мне в личку — передам вопрос менеджеру.
community-offer-maybe = Возможно, вы про «{ $question }». Напишите мне в личку — там отвечу или передам вопрос менеджеру.
community-offer-person = Менеджер ответит вам в личке: нажмите кнопку и напишите, что случилось, — передам.
community-ask-manager = 🙋 Спросить менеджера в личке
community-own = { $about ->
        [unsubscribe] Рассылки настраиваются в личке со мной: /settings — выбрать темы, /stop — выключить все сразу.
        [me] Свои продажи и статистику лучше смотреть в личке со мной: /me
        [top] Своё место в рейтинге лучше смотреть в личке со мной: /top
        [contests] Свои места в конкурсах лучше смотреть в личке со мной: /contests
       *[other] Это лучше посмотреть в личке со мной: /{ $about }
    }
report-usage = Ответьте командой /report на сообщение, о котором нужно сообщить.
report-sent = Спасибо, менеджеры получили сигнал.
report-card =
    🚩 <b>Сигнал из чата партнёров</b>
    От: { $reporter }
    Автор сообщения: { $author }
    Сообщение: { $text }
    { $link }
report-admin-card =
    📣 <b>Зовут администратора в чате партнёров</b>
    От: { $reporter }
    Сообщение: { $text }
    { $link }
rights-missing = ⚠️ В чате «{ $chat }» боту не хватает прав: { $missing }
rights-not-admin = бот не администратор
rights-no-topics = нет права «Управление темами» (нужно для тем обращений)
rights-privacy = включён режим приватности — бот не видит обычные сообщения (BotFather → /setprivacy → Disable) или сделайте его администратором
rights-not-forum = в группе менеджеров не включены темы: обращения пойдут сообщениями с заголовком
rights-unreachable = бот не может открыть чат (его нет в чате или неверный ID)
partner-usage = Использование: /partner ID — tg:123, vk:123 или max:123, код партнёра или ID в партнёрской сети.
partner-not-found = Партнёр «{ $query }» не найден.
partner-card =
    👤 <b>{ $name }</b> ({ $who })
    Код: <code>{ $code }</code> · ID в сети: { $affiliate }
    Сегмент: { $segment } · язык: { $language }
    Рассылки: { $newsletters }
    Обучение: { $done } из { $total } · приглашено: { $referrals }
    Обращения: { $tickets }{ $open ->
        [none] {""}
       *[other] {" "}· открыто №{ $open }
    }
    С нами с { $since } · последний раз { $seen }
partner-newsletters-topics = включены: { $topics }
partner-newsletters-no-topics = включены, но все темы выключены
partner-newsletters-stopped = выключены (/stop)
partner-newsletters-none = согласия на рассылки нет
partner-newsletters-from = { $why } (выбор из чата в { $platform })
partner-conversions = Конверсии за всё время: { $approved } подтв., { $pending } в ожидании, { $declined } отменено
partner-contest = В конкурсе «{ $title }»:
partner-contest-joined = В конкурсе «{ $title }» (засчитываются продажи с { $since }):
partner-contest-joined-breaks = В конкурсе «{ $title }» (с перерывами; снова засчитываются продажи с { $since }):
partner-unreachable = ⚠️ бот заблокирован партнёром

## Привязка ID в партнёрской сети и продажи
command-link = Привязать ID в партнёрской сети
me-link-none = Продажи появятся здесь после привязки ID в партнёрской сети: /link ВАШ_ID
me-link-pending = ID { $affiliate } ждёт подтверждения менеджера — после этого здесь появятся продажи.
me-link-other-pending = Запрошена привязка к ID { $affiliate } — ждёт подтверждения менеджера; пока считаются продажи по ID выше.
me-affiliate = ID в партнёрской сети: { $affiliate }
me-month = Продажи в этом месяце: { $approved } { $approved ->
        [one] продажа
        [few] продажи
       *[many] продаж
    } на { $amount } ₽{ $pending ->
        [0] {""}
       *[other] {" "}(+{ $pending } в ожидании)
    }
me-rank = Место в рейтинге месяца: №{ $place } из { $total } (/top)
me-rank-none = Место в рейтинге месяца: пока нет — первая подтверждённая продажа в этом месяце выведет вас в рейтинг (/top)
me-tier = Уровень: { $tier } — { $perk }
me-tier-next = До уровня «{ $tier }» { $remaining ->
        [one] осталась { $remaining } продажа
        [few] осталось { $remaining } продажи
       *[many] осталось { $remaining } продаж
    } в этом месяце
me-tier-top = Это высший уровень программы 🏆
link-usage = Использование: /link ID — ваш ID в партнёрской сети (как в постбеках и отчётах), или пришлите ID следующим сообщением. Менеджер подтвердит привязку.
link-hint = Похоже на ID в партнёрской сети. Чтобы привязать его, отправьте /link { $affiliate } — менеджер подтвердит привязку.
link-invalid = «{ $affiliate }» не похоже на ID: латинские буквы, цифры и _.:@- без пробелов, до 64 символов.
link-requested = Запрос на привязку ID { $affiliate } отправлен менеджеру. Пока он не подтверждён, статистика не показывается.
link-requested-keep = Запрос на привязку ID { $affiliate } отправлен менеджеру. Пока он не подтверждён, продажи и место считаются по ID { $current }.
link-approved = ✅ ID { $affiliate } привязан. Ваши продажи теперь видны в /me.
link-declined = Привязку ID { $affiliate } менеджер не подтвердил. Если это ошибка — напишите в /support.
link-card =
    🔗 <b>Запрос на привязку ID</b>
    Партнёр: { $name } ({ $who })
    ID в партнёрской сети: <code>{ $affiliate }</code>
    Подтвердить: кнопкой или /approve_link { $who_id }
link-approve = ✅ Подтвердить
link-decline = ❌ Отклонить
link-done-approved = ✅ Привязка { $affiliate } подтверждена — партнёр: { $name }.
link-done-declined = ❌ Привязка { $affiliate } отклонена — партнёр: { $name }.
link-nothing-pending = У партнёра нет запроса на привязку.
approve-link-usage = Использование: /approve_link ID — tg:123, vk:123 или max:123, код партнёра или запрошенный ID в сети.

## Конкурсы
command-contests = Конкурсы
contests-none = Сейчас нет конкурсов для вас — мы объявляем их минимум за неделю.
contest-title = 🏆 <b>{ $title }</b>
contest-running = Идёт: { $start } — { $end }
contest-upcoming = Начнётся { $start }, закончится { $end }
contest-ended = Прошёл: { $start } — { $end }
contest-restrictions = Ограничения: { $text }
contest-prizes = Призы:
contest-category = • { $name }{ $min ->
        [0] {""}
       *[other] {" "}(от { $min })
    }: { $places }
contest-place = { $place } — { $prize }
category-first_sales = Первые продажи
category-most_sales = Больше всего продаж
category-top_amount = Сумма продаж, ₽
category-most_referrals = Больше всего приглашённых партнёров
contest-mine = Ваше место:
contest-mine-row = • { $name }: №{ $place } ({ $value }{ $pending ->
        [0] {""}
       *[other] , +{ $pending } в ожидании
    })
contest-mine-none = • { $name }: пока не в зачёте
contest-link-first = Чтобы участвовать в зачёте, привяжите ID в партнёрской сети: /link ВАШ_ID
command-top = Рейтинг
top-contest = 🏆 <b>{ $title }</b> — { $category }
top-month = 🏆 <b>Рейтинг месяца</b> — подтверждённые продажи
top-empty = Пока никто не в зачёте — первая продажа выведет вас на первое место!
top-empty-referrals = Пока никто не в зачёте — первый приглашённый вами партнёр с продажей выведет вас на первое место!
top-row = { $place }. { $name } — { $value }
top-me = Вы: №{ $place } ({ $value })
top-me-gap = Вы: №{ $place } ({ $value }), до №{ $above } — { $gap }
top-me-tie = Вы: №{ $place } ({ $value }): у №{ $above } столько же, но набрано раньше
top-me-none = Вас пока нет в рейтинге.
top-anonymous = Партнёр { $code }
top-gone = Партнёр

## /stats
stats-text =
    📊 <b>Программа сейчас</b>
    Партнёров: { $partners } · заходили в этом месяце: { $active } · не открывали бота { $inactive_days } дн.: { $inactive }
    По сегментам: { $segments }
    Продажи в этом месяце: { $approved } подтверждено на { $amount } ₽ · в ожидании { $pending } · отклонено { $declined }
    Вопросы в этом месяце: ответ { $answered } · «вы имели в виду» { $suggested } · без ответа { $missed }
    Обращения: открыто { $open } · первый ответ (медиана, месяц): { $reply } · оценки 👍 { $up } / 👎 { $down }
    Рассылки в этом месяце (в личку): доставлено { $sent } · в очереди { $waiting } · заблокировали { $blocked } · ошибки { $failed } · пропущено { $skipped }
stats-reply-hours = { NUMBER($hours, minimumFractionDigits: 1, maximumFractionDigits: 1) } ч
stats-none = —
stats-misses = Чаще всего без прямого ответа за 30 дней (нет ответа или «вы имели в виду», похожие вместе):
stats-chart = За 8 недель: синяя линия — подтверждённые продажи, оранжевая — партнёры с продажами.

## Моменты конкурсов (рассылка)
moment-announcement = 📣 <b>Новый конкурс!</b> Объявляем заранее, чтобы вы успели подготовиться.
moment-how-to-join = Правила и ваше место: /contests · рейтинг: /top · настроить уведомления: /settings
moment-reminder = ⏰ До старта конкурса «{ $title }» { $days ->
        [one] остался { $days } день
        [few] осталось { $days } дня
       *[many] осталось { $days } дней
    } — начинаем { $start }. Правила: /contests
# the reminder when the time left is not whole days: days and hours
moment-reminder-hours = ⏰ До старта конкурса «{ $title }» { $days ->
        [one] остался { $days } день
        [few] осталось { $days } дня
       *[many] осталось { $days } дней
    } и { $hours ->
        [one] { $hours } час
        [few] { $hours } часа
       *[many] { $hours } часов
    } — начинаем { $start }. Правила: /contests
# the reminder when less than a whole day (24 hours) is left to the start
moment-reminder-soon = ⏰ До старта конкурса «{ $title }» осталось меньше суток — начинаем { $start }. Правила: /contests
moment-started = 🚀 Конкурс «{ $title }» начался! Считаются подтверждённые продажи до { $end }. Ваше место: /top
moment-last-day = ⏳ Последний день конкурса «{ $title }» — ещё можно подняться в рейтинге: /top
moment-cancelled = ❌ Конкурс «{ $title }» отменён. Извините за изменения — о новых конкурсах сообщим заранее.
moment-results = 🏁 <b>Итоги конкурса «{ $title }»</b>
moment-results-category = <b>{ $name }</b>
moment-results-row = { $place }. { $name } — { $value } — { $prize }
moment-results-nobody = никто не выполнил условия
moment-winner = 🎉 <b>Поздравляем!</b> Вы среди победителей конкурса «{ $title }»:
moment-winner-row = • { $category }: №{ $place } — { $prize }
moment-winner-next = Менеджер свяжется с вами насчёт приза. Спасибо за продажи!

## Уведомления о продажах
sale-approved = { $count ->
        [1] ✅ Продажа подтверждена.
        [one] ✅ Подтверждена { $count } продажа.
        [few] ✅ Подтверждены { $count } продажи.
       *[many] ✅ Подтверждено { $count } продаж.
    }
# the sales approved for an affiliate id before its /link was approved, told once then
sale-approved-before-link = { $count ->
        [one] ✅ Пока привязка ID { $affiliate } ждала подтверждения, подтверждена { $count } продажа.
        [few] ✅ Пока привязка ID { $affiliate } ждала подтверждения, подтверждены { $count } продажи.
       *[many] ✅ Пока привязка ID { $affiliate } ждала подтверждения, подтверждено { $count } продаж.
    }
# $board: sale-board-month, or sale-board-contest (quoted there)
sale-place = Вы №{ $place } в зачёте { $board }.
sale-place-gap = Вы №{ $place } в зачёте { $board }, до №{ $above } — { $gap }.
sale-place-tie = Вы №{ $place } в зачёте { $board }: у №{ $above } столько же, но набрано раньше.
sale-board-month = «Рейтинг месяца»
sale-board-contest = «{ $category }» конкурса «{ $title }»
sale-milestone = { $count ->
        [1] 🎉 Ваша первая подтверждённая продажа! Отличное начало — дальше будет проще.
        [one] 🎉 { $count } подтверждённая продажа! Так держать.
        [few] 🎉 { $count } подтверждённые продажи! Так держать.
       *[many] 🎉 { $count } подтверждённых продаж! Так держать.
    }
sale-tier = 🏅 Новый уровень: <b>{ $tier }</b>! { $perk }

## /contest_new и /contests_admin (менеджеры)
draft-intro = 🏆 <b>Новый конкурс.</b> Отвечайте по шагам; /cancel — выйти без сохранения.
draft-step = Шаг { $number } из { $total }. { $question }
draft-ask-title = Название конкурса (до 100 символов).
draft-ask-description = Правила в нескольких строках: что считается и как определяются победители.
draft-ask-starts = Когда начало? Формат ДД.ММ.ГГГГ ЧЧ:ММ, например 14.12.2026 10:00.
draft-ask-ends = Когда конец? ДД.ММ.ГГГГ ЧЧ:ММ (или только дата — до 23:59 этого дня).
draft-zone = Время — по часовому поясу { $zone }.
draft-ask-segments = Кто участвует? «все» или сегменты через запятую.
draft-ask-prizes =
    Призы: по строке на номинацию, места через «;», порог после «|». Например:
    больше продаж: Бонус 10 000 ₽; Бонус 5 000 ₽ | от 3
    первые продажи: Бонус 2 000 ₽; Бонус 1 000 ₽
    Номинации: первые продажи (first_sales), больше продаж (most_sales), сумма (top_amount), рефералы (most_referrals).
draft-ask-hold = Холд: сколько дней ждать итогов после окончания (0–90), чтобы учесть отмены заказов.
draft-ask-restrictions = Ограничения для партнёров (например, запрещённые источники трафика) или «-», если их нет.
draft-ask-dates = Новые даты: ДД.ММ.ГГГГ ЧЧ:ММ — ДД.ММ.ГГГГ ЧЧ:ММ
draft-cancel-hint = /cancel — оставить как было.
draft-refused = ⚠️ { $reason }
draft-error-empty = Пустой ответ.
draft-error-too-long = Слишком длинно: { $length } { $length ->
        [one] символ
        [few] символа
       *[many] символов
    }, можно до { $limit }.
draft-error-date-format = Не понял дату — нужен формат ДД.ММ.ГГГГ ЧЧ:ММ.
# a date not in the calendar: $what is wrong (month, month-day, year, day: $days in that month); $time 1: the time too
draft-error-date-invalid = Такой даты нет в календаре: { $what ->
        [month] месяц от 1 до 12
        [month-day] месяц от 1 до 12, день от 1 до 31
        [year] год от 0001
       *[day] в этом месяце дни от 1 до { $days }
    }.{ $time ->
        [1] {" "}И такого времени нет: часы от 0 до 23, минуты от 0 до 59.
       *[other] {""}
    }
draft-error-date-past = Эта дата уже прошла.
draft-error-end-before-start = Конец должен быть позже начала.
draft-error-dates-pair = Нужны две даты через тире: начало — конец.
draft-error-segments = Нет таких сегментов: { $unknown }. Есть: { $known } (или «все»).
draft-error-category = Строка { $line }: «{ $name }» — не номинация. Номинации: { $known }.
draft-error-no-places = Строка { $line }: у номинации «{ $name }» нет мест с призами — перечислите их через «;».
draft-error-category-twice = Строка { $line }: номинация «{ $name }» уже была.
draft-error-too-many-places = Строка { $line }: в номинации «{ $name }» { $count } мест — не больше { $limit }: карточка конкурса — одно сообщение.
draft-error-card-too-long = В карточке конкурса вышло бы { $count } { $count ->
        [one] символ
        [few] символа
       *[many] символов
    } (название, описание, условия и призы вместе) — не больше { $limit }, чтобы она была одним сообщением. Сократите призы или тексты.
draft-error-no-prizes = Нужна хотя бы одна номинация с призами.
draft-error-minimum = Строка { $line }: порог после «|» должен быть числом цифрами 0–9: например «| от 3» или «| от 5 000» (не «{ $typed }»).
draft-error-minimum-whole = Строка { $line }: в номинации «{ $name }» считаются продажи или приглашённые — порог целым числом, например «| от 3».
draft-error-hold = Нужно целое число дней от 0 до { $limit }.
draft-error-digits = Пишите числа обычными цифрами 0–9: другие (арабские, полноширинные) бот не читает.
draft-error-incomplete = Черновик неполный — начните заново: /contest_new
draft-text-please = Ответьте текстом (или /cancel).
draft-command-inside = Сейчас идёт диалог конкурса: ответьте на вопрос выше или выйдите — /cancel (/schedule и /announcements работают и здесь).
draft-aborted = Черновик конкурса удалён.
draft-short-warning = ⚠️ Конкурс начнётся меньше чем через { $days } { $days ->
        [one] день
        [few] дня
       *[many] дней
    } после объявления — партнёры не успеют подготовиться (трафик, креативы). Укажите другую дату или подтвердите кнопкой.
draft-short-confirm = Всё равно эту дату
draft-short-accepted = Дата принята с сокращённым сроком объявления.
draft-short-confirmed = ⚠️ Объявление меньше чем за { $days } дн. — подтверждено менеджером.
draft-short-unconfirmed = До старта меньше { $days } дн. — подтвердите дату заново: /contest_new
draft-preview = 👀 <b>Предпросмотр.</b> Так партнёры увидят конкурс:
draft-extra = Участники: { $segments } · холд: { $hold } дн. · { $one ->
        [1] один приз на партнёра
       *[other] можно выиграть в нескольких номинациях
    }
draft-everyone = все партнёры
draft-save = ✅ Сохранить
draft-toggle-one = Один приз на партнёра: { $on ->
        [1] да
       *[other] нет
    }
draft-abort = 🗑 Удалить черновик
draft-use-buttons = Черновик готов: сохраните или удалите его кнопками под предпросмотром.
draft-saved = ✅ Конкурс сохранён и объявлен. Анонс уходит: { $count } { $count ->
        [one] партнёру
       *[other] партнёрам
    }{ $chat ->
        [1] {" "}и в чат партнёров
       *[other] {""}
    } (тихие часы и отписки соблюдаются). Напоминания, старт, итоги — по расписанию.
draft-edit-too-soon = ⚠️ Конкурс уже объявлен: начало можно только отодвинуть, а раньше — не ближе чем через { $days } дн. после объявления. Чтобы начать раньше, отмените конкурс и создайте новый.
contest-error-start-past = Дата начала уже прошла — создайте конкурс заново.
contest-error-segments = В конкурсе есть сегменты, которых больше нет в программе.
contests-admin-none = Конкурсов пока нет. Создать: /contest_new
contests-admin-list = 🏆 Конкурсы ({ $count }). Выберите, чтобы объявить, изменить или отменить:
contests-admin-not-announced = 📝 { $title } — не объявлен
contests-admin-announced = 📣 { $title } — объявлен { $when }
contests-admin-running = 🟢 { $title } — идёт
contests-admin-finished = 🏁 { $title } — закончился
contests-admin-cancelled = ❌ { $title } — отменён
contests-admin-from-file = Из файла в папке contests/ контента (конкурс с id: { $id }): текст и призы правятся в файле, затем /reload.
contests-admin-announce = 📣 Объявить
contests-admin-announce-anyway = 📣 Всё равно объявить
contests-admin-edit-dates = ✏️ Даты
contests-admin-edit-prizes = ✏️ Призы
contests-admin-edit-text = ✏️ Правила
contests-admin-cancel = ❌ Отменить конкурс
contests-admin-back = ← К списку
contests-admin-to-card = ← Назад
contests-admin-not-active = Конкурс закончился или отменён.
contests-admin-already-announced = Конкурс уже объявлен.
contests-admin-announced-now = 📣 Объявление в очереди: { $count } { $count ->
        [one] партнёр
        [few] партнёра
       *[many] партнёров
    }{ $chat ->
        [1] {" "}и чат партнёров
       *[other] {""}
    }. Тихие часы и отписки соблюдаются.
contests-admin-cancel-confirm = Отменить «{ $title }»? Все, кому о нём сообщили, получат сообщение об отмене.
contests-admin-cancel-yes = Да, отменить
contests-admin-cancelled-now = ❌ «{ $title }» отменён. Об отмене { $count ->
        [one] узнает { $count } партнёр, которому
        [few] узнают { $count } партнёра, которым
       *[many] узнают { $count } партнёров, которым
    } о нём сообщали.
contests-admin-edited = ✅ Конкурс «{ $title }» изменён: /contests_admin
contests-admin-edit-refused = Менять можно только конкурсы из /contest_new и только до старта.

## Расписание: еженедельные и ежедневные рассылки
weekly-leaderboard = 📊 <b>Рейтинг недели</b>
digest-title = 🗞 <b>Ваша неделя в партнёрской программе</b>
digest-week = За 7 дней: { $count } { $count ->
        [one] подтверждённая продажа
        [few] подтверждённые продажи
       *[many] подтверждённых продаж
    } на { $amount } ₽
digest-place = Место в рейтинге месяца: №{ $place }
digest-place-up = Место в рейтинге месяца: №{ $place } (⬆️ на { $change } за неделю)
digest-place-down = Место в рейтинге месяца: №{ $place } (⬇️ на { $change } за неделю)
digest-tier = До уровня «{ $tier }» — { $remaining } { $remaining ->
        [one] продажа
        [few] продажи
       *[many] продаж
    } в этом месяце
digest-link = Привяжите ID в партнёрской сети, чтобы видеть свои продажи: /link ВАШ_ID
digest-link-pending = ID { $affiliate } ждёт подтверждения менеджера — после этого здесь будут ваши продажи за неделю.
digest-contest = 🏆 Скоро: «{ $title }» с { $start } — /contests
digest-creatives = 🎨 Новые материалы: { $titles } — /creatives
digest-lesson = 🎓 Следующий урок: «{ $title }» — /lessons
digest-footer = Материалы: /creatives · вопросы: просто напишите · отписаться: /settings
nudge-title = { $name }, давно не было продаж — давайте поможем!
nudge-title-unnamed = Давно не было продаж — давайте поможем!
nudge-lesson = 🎓 Урок, с которого стоит начать: «{ $title }» — /lessons
nudge-creative = 🎨 Готовый материал: «{ $title }» — /creatives
nudge-manager = 🙋 Разберём вашу ситуацию с менеджером: /support
lesson-drip = 🎓 Пора продолжить обучение: «{ $title }» (пройдено { $done } из { $total }) — /lessons

## /announce, /announcements, /schedule (менеджеры)
announce-ask-message = 📣 Пришлите сообщение для рассылки: текст, фото или документ (с подписью). /cancel — выйти.
announce-unsupported = Такое не разослать: стикеры, голосовые, видео и опросы не подходят. Пришлите текст, фото или документ (с подписью) — или /cancel.
announce-too-long = Слишком длинно: { $length } { $length ->
        [one] символ
        [few] символа
       *[many] символов
    }, в одно сообщение на Telegram, VK и MAX помещается до { $limit }.
announce-too-long-max = Для MAX слишком длинно: с разметкой и ссылками это { $length } { $length ->
        [one] символ
        [few] символа
       *[many] символов
    } (MAX считает теги и «&amp;» как написано), а в одно сообщение там помещается до { $limit }. Сократите текст или уберите часть ссылок и выделений — или /cancel.
announce-ask-audience = Кому отправить?
announce-to-all = 👥 Всем партнёрам
announce-pick-segment = Сегменту…
announce-pick-tier = Уровню…
announce-pick-contest = Участникам конкурса…
announce-to-inactive = 💤 Неактивным
announce-to-community = 💬 В чат партнёров
announce-to-segment = партнёры сегмента «{ $name }»
announce-to-tier = партнёры уровня «{ $name }»
announce-to-contest = участники конкурса «{ $name }»
announce-nothing-to-pick = Выбирать не из чего.
announce-ask-when = Когда? Нажмите «Сейчас» или напишите дату и время: ДД.ММ.ГГГГ ЧЧ:ММ.
announce-now = Сейчас
announce-quiet = ⚠️ Это тихие часы: в личку сообщения уйдут только { $end }. Напишите другое время или подтвердите.
announce-quiet-ok = Да, пусть ждут до { $time }
announce-when-quiet = { $when }, но в личку — только { $end }: у партнёров тихие часы
announce-preview = 👀 Предпросмотр. Получатели: { $audience } — { $count } { $count ->
        [one] получатель
        [few] получателя
       *[many] получателей
    }, отправка: { $when }.
announce-empty = В этой аудитории сейчас никого нет — выберите другую.
announce-confirm = ✅ Отправить
announce-abort = ❌ Отменить
announce-aborted = Рассылка отменена.
announce-command-inside = Сейчас идёт подготовка рассылки: ответьте на вопрос выше или выйдите — /cancel (/schedule и /announcements работают и здесь).
announce-use-buttons = Выберите вариант кнопками (или /cancel — выйти без рассылки).
announce-queued = ✅ Рассылка №{ $number } поставлена в очередь: { $count } { $count ->
        [one] сообщение
        [few] сообщения
       *[many] сообщений
    }. Отчёт придёт, когда всё уйдёт; статус — /announcements.
announce-thanks = Спасибо за отзыв!
announcements-none = Рассылок ещё не было. Новая: /announce
announcements-item =
    📣 <b>Рассылка №{ $number }</b> — { $status }, { $when }
    Получатели: { $audience } ({ $recipients })
    «{ $preview }»
    Доставлено { $delivered }, в очереди { $waiting }, заблокировали { $blocked }, ошибки { $failed } · 👍 { $up } 👎 { $down }
announcements-status-scheduled = запланирована
announcements-status-cancelled = отменена
announcements-cancel = ❌ Отменить неотправленное
announcements-cancelled = Рассылка №{ $number } остановлена: неотправленное отменено, доставлено до отмены — { $delivered }.
# people an announcement reached, as its preview counts them; the messages when more
announcement-delivered = { $people } { $people ->
        [one] получателю
       *[other] получателям
    }{ $messages ->
        [0] {""}
       *[other] {" "}({ $messages } { $messages ->
            [one] сообщение
            [few] сообщения
           *[many] сообщений
        })
    }
content-kept = ⚠️ Бот запущен, но папка контента { $folder } с ошибками ({ $count }): партнёры получают последний проверенный контент. Исправьте и отправьте /reload.
content-kept-more = …и ещё { $count }: partnerbot content check
announcement-report =
    📊 <b>Отчёт о рассылке №{ $number }</b>
    Доставлено: { $delivered }
    Заблокировали бота: { $blocked }
    Ошибки: { $failed }
    Пропущено (отписались, лимит в неделю): { $skipped }{ $forgotten ->
        [0] {""}
       *[other] {"\u000A"}Удалили свои данные (/forget) до отправки: { $forgotten }
    }
    Возможно, дошли (связь оборвалась после отправки, повторно не слали): { $uncertain }
    Реакции: 👍 { $up } · 👎 { $down }
schedule-title = 🗓 <b>Автоматические отправки на 14 дней</b>
schedule-empty = Ничего не запланировано.
schedule-row-chat = { $what } — чат партнёров
schedule-row-chat-titled = { $what } «{ $title }» — чат партнёров
schedule-row = { $what } — { $count } { $count ->
        [one] получатель
        [few] получателя
       *[many] получателей
    }{ $messages ->
        [0] {""}
       *[other] {" "}({ $messages } { $messages ->
            [one] сообщение
            [few] сообщения
           *[many] сообщений
        })
    }{ $chat ->
        [1] {" "}+ чат
       *[other] {""}
    }
schedule-row-titled = { $what } «{ $title }» — { $count } { $count ->
        [one] получатель
        [few] получателя
       *[many] получателей
    }{ $messages ->
        [0] {""}
       *[other] {" "}({ $messages } { $messages ->
            [one] сообщение
            [few] сообщения
           *[many] сообщений
        })
    }{ $chat ->
        [1] {" "}+ чат
       *[other] {""}
    }
schedule-announcement = анонс конкурса
schedule-reminder = напоминание о конкурсе
schedule-started = старт конкурса
schedule-standings = рейтинг конкурса (чат)
schedule-last_day = последний день конкурса
schedule-results = итоги конкурса
schedule-leaderboard = рейтинг недели (чат)
schedule-digest = еженедельный дайджест
schedule-announcement-manager = рассылка №{ $number }
schedule-held-sales = уведомления о продажах
schedule-held-contest = сообщение о конкурсе
schedule-held-news = новости
schedule-held-nudge = напоминание неактивным партнёрам

# A message relayed between Telegram and VK: what could not cross with it.
relay-not-crossed = { $kind ->
    [photo] 📎 [фото — оно осталось в другом мессенджере]
    [document] 📎 [файл — он остался в другом мессенджере]
   *[other] 📎 [вложение — оно осталось в другом мессенджере]
}

# --- security and hostile input (issue 12) ---
support-not-delivered = Не удалось передать сообщение менеджерам по обращению №{ $number }. Попробуйте ещё раз чуть позже — или напишите { "/support" } с текстом.
ticket-card-whole-question = 📄 Вопрос целиком
ticket-whole-question = 📄 Вопрос по обращению №{ $number } целиком:
reload-planned-announcement = 📣 «{ $title }» будет объявлен { $count } { $count ->
        [one] партнёру
       *[other] партнёрам
    }{ $chat ->
        [1] {" "}и в чате партнёров
       *[other] {""}
    } сейчас.
reload-planned-too-soon = ⚠️ «{ $title }» начинается раньше, чем через срок анонса: сам он не объявится. Пока его не объявит менеджер, партнёры его не видят — и после старта: ни в /contests и /top, ни в рейтингах, ни в уведомлениях о продажах. Объявить — /contests_admin; продажи с начала конкурса засчитаются и тогда.

# --- every screen right (issue 14) ---
contests-admin-edit-aborted = Изменение отменено: конкурс «{ $title }» остался как был. /contests_admin — список.
contests-admin-confirm = ✏️ Конкурс «{ $title }»:
contests-admin-confirm-ask = Об изменении узнают все, кому сообщили о конкурсе, и чат партнёров. Сохранить и сообщить?
contests-admin-confirm-dates = новые даты — { $starts } — { $ends }.
contests-admin-confirm-prizes = новые призы:
contests-admin-confirm-yes = ✅ Сохранить и сообщить
contests-admin-confirm-no = ✖️ Не сохранять
draft-edit-use-buttons = Изменение ждёт решения: сохраните его или нет кнопками ниже (или /cancel).
moment-rescheduled = 🗓 Конкурс «{ $title }» переносится: теперь он идёт с { $start } до { $end }. Условия и призы — /contests
contests-admin-dates-told = Новые даты уйдут тем, кому сообщили о конкурсе: { $count } { $count ->
        [one] партнёру
       *[other] партнёрам
    } (не в тихие часы и не тем, кто нажал /stop; недельный лимит исправлению не помеха).
start-resubscribed-topics = Рассылки снова включены: { $on }.
start-resubscribed-off = Выключены, как вы и настроили: { $off }.
start-resubscribed-settings = Изменить темы: /settings
start-resubscribed-none = Рассылок вам не приходит: все темы у вас выключены — включите нужные в /settings.
schedule-lesson = следующий урок курса (напоминание)
start-first = Здравствуйте! Чтобы начать, отправьте /start — бот задаст пару вопросов и покажет меню. До этого мы ничего о вас не храним.
partner-answers = Ответы при знакомстве:
partner-link-none = ID в партнёрской сети не привязан — продаж пока не видно.
announcements-status-sending = отправляется
announcements-status-sent = отправлена
announcements-went = { $when }, в личку ушла { $went }
# a broadcast's rows that still wait for people who stopped the messages since (dropped then)
announcements-unreached = Уже не получат: { $count } { $count ->
        [one] партнёр
        [few] партнёра
       *[many] партнёров
    } (остановили рассылки или отписались от темы)
announcements-uncertain = Возможно, дошли ещё { $count } (связь оборвалась после отправки, повторно не слали).
small-talk-greeting = Здравствуйте! Напишите вопрос — отвечу сразу. Всё, что я умею, — в /help.
small-talk-thanks = Пожалуйста! Если появится вопрос — просто напишите его.
small-talk-ack = 👌 Если появится вопрос — просто напишите его. Меню — /help.
small-talk-news = Новости программы приходят в рассылке — её темы выбираются в /settings. Конкурсы — /contests, рейтинг — /top, ваши продажи — /me.
small-talk-chat = Всё хорошо, спасибо! Я отвечаю на вопросы о партнёрской программе — напишите свой, отвечу сразу. Меню — /help.
small-talk-bye = Спасибо, и вам! Если появится вопрос — просто напишите его.
small-talk-bot = Я бот: отвечаю на вопросы о программе сразу, в любое время. Нужен человек — /support, менеджер ответит здесь же.
small-talk-number = Число само по себе — не вопрос. Напишите, что хотите узнать, словами — отвечу сразу. Меню — /help.
small-talk-date = Дата сама по себе — не вопрос. Напишите, что хотите узнать, словами — отвечу сразу. Меню — /help.
# a manager's date (or «start — end») typed when no dialog step waits for it
small-talk-date-manager = Похоже на дату, но сейчас её не ждёт ни один шаг: ввод дат закончен или отменён. Даты конкурса — /contests_admin, кнопка «✏️ Даты»; рассылка ко времени — /announce.
small-talk-letter = Это ещё не вопрос. Напишите, что хотите узнать, словами — отвечу сразу. Меню — /help.
small-talk-helped = Рад, что помогло! Если появится ещё вопрос — просто напишите его.
small-talk-not-helped = Жаль. Напишите вопрос другими словами — попробую ещё раз. Или /support — менеджер ответит здесь же.
small-talk-consent = Рассылки настраиваются в /settings: там включается и выключается каждая тема. Отписаться от всех сразу — /stop.
small-talk-forget = Чтобы удалить свои данные, отправьте /forget и подтвердите кнопкой.
small-talk-withdraw = Чтобы отозвать обращение, отправьте /cancel и подтвердите кнопкой.
small-talk-button = Это надпись на кнопке — нажмите саму кнопку под сообщением. Вопрос можно написать словами, меню — /help.
small-talk-unsubscribe =
    Рассылки настраиваются так:
    • /settings — выбрать, какие темы приходят (лишние можно выключить);
    • /stop — отписаться сразу от всех рассылок, дайджестов, напоминаний и уведомлений о продажах.
    Ответы на ваши вопросы приходят всегда. Подписаться снова: /start
support-ask-open = Обращение №{ $number } открыто — напишите, что добавить: сообщение уйдёт менеджеру.
support-ask-cancelled = Хорошо, обращение не создано. Если понадобится менеджер — /support
announce-to-all-title = все партнёры
announce-to-inactive-title = неактивные партнёры (в программе { $days } дн. и дольше, без одобренных продаж за это время)
announce-to-community-title = чат партнёров
draft-error-time-invalid = Такого времени нет: часы от 0 до 23, минуты от 0 до 59.
# a bare date where a moment is asked for (a broadcast's time, a contest's start)
draft-error-time-needed = Нужно и время, не только дата: ДД.ММ.ГГГГ ЧЧ:ММ, например { $date } 10:00.
# --- FAQ learning ---
faq-thanks-learned = Спасибо! Запомним, что вы спрашивали именно об этом.
faq-learned-empty = Новых формулировок на проверке нет.
faq-learned-recent = Выучено само, по «Помогло» партнёров, за { $days } дн. — ❌ забыть формулировку:
faq-learned-recent-row = { $number }. «{ $phrasing }» → { $entry }
faq-learned-taken-back = Забыто: на этот вопрос бот снова отвечает как до обучения.
faq-learned-item = На проверке ({ $left }): «{ $phrasing }»
    → <b>{ $entry }</b>: { $question }
    { $source ->
        [helped] { $votes ->
            [0] Подтвердили партнёры (кто — не хранится после принятия)
           *[other] Подтвердили партнёры: { $votes }
        }
        [link] Связал менеджер
        [move] Перенёс менеджер из другой статьи
       *[other] Источник: { $source }
    }{ $gone ->
        [yes] {"\u000A"}⚠️ Этого вопроса больше нет в faq.yaml — перенесите формулировку к другому.
       *[no] {""}
    }
faq-learned-approve = ✅ Принять
faq-learned-move = ↪️ К другому
faq-learned-reject = ❌ Отклонить
faq-learned-move-to = К какому вопросу относится «{ $phrasing }»?
faq-learned-approved = Принято: теперь бот отвечает на эту формулировку.
faq-learned-rejected = Отклонено.
faq-unlearn-usage = Использование: /faq_unlearn ТЕКСТ — забыть выученную формулировку (принятую или на проверке), например: /faq_unlearn как выиграть в казино
faq-unlearn-none = Выученной формулировки «{ $wording }» нет — забывать нечего.
faq-unlearn-done = Забыл «{ $wording }» ({ $entries }): на этот вопрос бот снова отвечает как до обучения, а «Помогло» больше не предложит эту формулировку для той же статьи.
faq-learned-cannot-teach = Не принято: в формулировке нет слов со смыслом (только вопросительные или разговорные), бот не смог бы по ней отвечать. Формулировка отклонена.
faq-learned-moved = Перенесено к { $entry } и принято.
faq-learned-entry-gone = Этого вопроса больше нет в faq.yaml: перенесите формулировку к другому.
faq-linked = Партнёр получил ответ «{ $entry }». { $learned ->
        [segment] Формулировка не запомнена: статья только для сегментов { $only }, партнёр её не видит — выученное ему бы не ответило.
        [yes] Формулировка запомнена.
        [empty] В сообщении нет текста вопроса — запоминать нечего.
        [long] Вопрос длиннее { $limit } символов — как формулировка не запомнен.
        [unsure] К какому сообщению партнёра это относится, неясно — формулировка не запомнена (чтобы запомнить, ответьте /faq_link на само сообщение партнёра).
        [meaningless] Формулировка не запомнена: в ней нет слов, которые несут смысл.
        [question-words] Формулировка не запомнена: в ней одни вопросительные слова.
        [small-talk] Формулировка не запомнена: это светская беседа, на неё бот отвечает сам.
        [own] Формулировка не запомнена: так читается формулировка вопроса «{ $owner }» из faq.yaml — бот и так отвечает на неё им.
       *[no] Формулировка не запомнена.
    }{ $delivered ->
        [yes] {""}
       *[no] {" "}⚠️ Ответ партнёру не доставлен.
    }
faq-link-pick = К какому вопросу FAQ относится «{ $question }»?
faq-link-done = Уже сделано: ответ из этого выбора партнёру отправлен. Чтобы отправить другой, ответьте /faq_link на сообщение партнёра ещё раз.
faq-link-expired = Этот выбор старше { $days } дней. Чтобы отправить ответ, ответьте /faq_link на сообщение партнёра ещё раз.
faq-link-unknown = В FAQ нет вопроса «{ $entry }». Ближайшие: { $closest }
faq-link-unknown-none = В FAQ нет вопроса «{ $entry }», и похожих нет. Проверьте id в faq.yaml или ответьте на обращение /faq_link без id — предложу статьи, близкие к вопросу партнёра.
faq-gap-button = 🔗 { $number }. { $question }
faq-gap-people = { $count } { $count ->
        [one] партнёр
        [few] партнёра
       *[many] партнёров
    }
faq-gap-pick = «{ $question }» — { $people }: к какому вопросу FAQ это относится?
faq-gap-segments = Спросили партнёры разных сегментов ({ $segments }): вопрос с пометкой «только …» ответит не всем.
faq-gap-only = только { $segments }
faq-pick-none = Близких статей нет.
faq-link-any = Любую статью можно выбрать там же, где вы вызвали эту команду: /faq_link ID — id статьи из faq.yaml (например, /faq_link { $example }).
faq-pick-other = 📋 Другая статья
faq-pick-closest = ⬅️ Ближайшие
faq-pick-next = Дальше →
faq-pick-topics-back = ⬅️ Темы
faq-pick-topics = «{ $question }»: в какой теме статья, которая на это отвечает?
faq-pick-topic = «{ $question }» — { $topic }{ $pages ->
    [1] {""}
   *[other] {" "}({ $page } из { $pages })
}: какая статья отвечает?
faq-gap-linked = Формулировки «{ $question }» ({ $count }) теперь ведут к { $entry }.
faq-gaps-digest = Чего не хватает в FAQ за неделю (без ответа):
faq-gaps-digest-line = { $number }. { $question } — { $people }
faq-gaps-digest-footer = Свяжите их с ответами: /stats, или добавьте вопросы в faq.yaml.
# --- pacing and flood protection ---
flood-slow-down-press = Не так быстро — подождите пару секунд и нажмите ещё раз.
# --- MAX ---
max-rights-read = нет права «Читать все сообщения» (без него бот не видит вопросы в чате)
max-rights-write = нет права писать в чат
menu-manager =
    <b>Для менеджеров</b>
    /announce — рассылка · /announcements — рассылки и отчёты · /schedule — что уйдёт за 14 дней
    /contest_new — новый конкурс · /contests_admin — конкурсы: объявить, изменить, отменить
    /tickets — открытые обращения · /close — закрыть (в теме или ответом) · /t КЛЮЧ — шаблон ответа
    /partner ID — карточка партнёра · /approve_link ID — подтвердить привязку
    /stats — программа в цифрах · /reload — перечитать контент
    /faq_learned — новые формулировки FAQ на проверке · /faq_link ID — ответить на обращение вопросом FAQ и запомнить формулировку
    /faq_unlearn ТЕКСТ — забыть формулировку, выученную по ошибке
onboarding-pick-hint = Такого варианта нет. Нажмите кнопку или напишите один из вариантов: { $options }.
onboarding-consent-hint = Ответьте кнопкой ниже: «Да» — присылать рассылки, «Нет» — только ответы на ваши вопросы.
draft-segments-known = Сегменты: { $known }.
start-manager = Здравствуйте, { $name }! Вы менеджер программы: ниже меню партнёра (так его видят партнёры) и ваши команды.
start-manager-unnamed = Здравствуйте! Вы менеджер программы: ниже меню партнёра (так его видят партнёры) и ваши команды.


# --- review fixes A ---
draft-error-minimum-too-big = Строка { $line }: порог больше { NUMBER($limit) } — проверьте число.
draft-error-date-too-far = Не дальше чем на год вперёд ({ $days } дн.): проверьте год.
draft-error-contest-too-long = Конкурс длится не больше { $days } дн.
# --- review fixes B ---
ticket-card-tier = Уровень: { $tier } — { $approved } { $approved ->
        [one] подтверждённая продажа
        [few] подтверждённые продажи
       *[many] подтверждённых продаж
    } в этом месяце
ticket-card-tier-unlinked = Уровень: нет (ID не привязан)
ticket-card-affiliate-pending = { $affiliate } (ждёт подтверждения)
ticket-card-tier-pending = Уровень: нет (ID ждёт подтверждения)
ticket-card-recent-sales = Последние продажи:
ticket-card-sale = • { $when } · { $amount } · { $status ->
        [approved] подтверждена
        [pending] в ожидании
       *[declined] отклонена
    }
announce-empty-community = Чат партнёров не настроен (TG_COMMUNITY_CHAT_ID, VK_COMMUNITY_PEER_ID, MAX_COMMUNITY_CHAT_ID) — выберите другую аудиторию.
announce-excluded = { $count } { $count ->
        [one] партнёр не получает
        [few] партнёра не получают
       *[many] партнёров не получают
    } рассылки (отказались от рассылок при знакомстве с ботом, выключили новости в /settings, /stop или заблокировали бота).
announce-preview-excluded = Ещё { $count } { $count ->
        [one] партнёр её не получит
        [few] партнёра её не получат
       *[many] партнёров её не получат
    } (отказались от рассылок при знакомстве с ботом, выключили новости в /settings, /stop или заблокировали бота).
draft-delete-confirm = Удалить черновик «{ $title }»? Восстановить его будет нельзя.
draft-delete-yes = Да, удалить
draft-delete-back = ← К черновику
ticket-note-kept = 📝 Внутренняя заметка по обращению №{ $number } сохранена в этом чате — партнёр её не видит.
contests-admin-short-warning = ⚠️ Конкурс начнётся меньше чем через { $days } { $days ->
        [one] день
        [few] дня
       *[many] дней
    } после объявления — партнёры не успеют подготовиться (трафик, креативы). { $file ->
        [1] Чтобы перенести старт, исправьте starts_at в файле конкурса с id: { $id } (папка contests/ контента), затем /reload.
       *[other] Чтобы перенести старт, нажмите «✏️ Даты».
    } Или объявите сейчас кнопкой.
moment-announcement-soon = 📣 <b>Новый конкурс!</b> Старт уже { $start } — времени на подготовку немного.
draft-error-segments-everyone = «все» — это все сегменты сразу: напишите либо «все», либо сегменты через запятую.

# --- one person: a link request for an id another chat has ---
link-card-already = ⚠️ Этот ID уже привязан к: { $chats }. Подтверждение объединит эти чаты в одного партнёра (общие продажи, место в рейтинге, настройки) — проверьте, что это тот же человек.

# --- files a platform would not take (review N4) ---
# In place of a screen's photo or file whose upload failed (the text of the screen stays).
file-not-sent = { $kind ->
    [photo] 📎 [картинку не удалось отправить — попробуйте ещё раз чуть позже]
    [document] 📎 [файл не удалось отправить — попробуйте ещё раз чуть позже]
   *[other] 📎 [вложение не удалось отправить — попробуйте ещё раз чуть позже]
}

# --- reload everywhere ---
reload-everywhere = Все процессы бота перейдут на новый контент в течение секунды.
# the quiet hours changed: the private messages that waited for their end go by the new ones
reload-held-moved = Тихие часы изменились: { $count } { $count ->
        [one] сообщение, ждавшее
        [few] сообщения, ждавших
       *[many] сообщений, ждавших
    } их конца, { $count ->
        [one] уйдёт
       *[other] уйдут
    } по новым (/schedule).

# --- people, not chats: the announcement preview ---
# Under the preview when some recipients have several chats with the bot (each gets it).
announce-preview-messages = Сообщений уйдёт { $messages }: у некоторых партнёров несколько чатов с ботом (Telegram, VK, MAX), рассылка придёт в каждый, если партнёр не выбрал один в /settings.
announce-preview-capped = Ещё { $count } { $count ->
        [one] партнёр её не получит
        [few] партнёра её не получат
       *[many] партнёров её не получат
    }: { $count ->
        [1] у него
       *[other] у них
    } уже { $cap } { $cap ->
        [one] автоматическое сообщение
        [few] автоматических сообщения
       *[many] автоматических сообщений
    } за 7 дней (max_automated_per_week).
# the announcement leaves some recipients only the slot kept for contests and announcements
announce-preview-crowds = { $count ->
        [1] Одному получателю
        [one] { $count } получателю
       *[other] { $count } получателям
    } после него до конца недели не придут ни дайджест, ни напоминания: остаётся место только для объявления или конкурса (max_automated_per_week: { $cap }).
# the announcement is the last automated message the weekly cap lets through to some recipients
# (counting what is queued for them): what it costs them
announce-preview-fills = У { $count } { $count ->
        [one] получателя
       *[other] получателей
    } это будет { $cap }-е автоматическое сообщение за 7 дней: до конца недели { $count ->
        [1] ему
       *[other] им
    } больше ничего автоматического не придёт — ни дайджест, ни напоминания (max_automated_per_week).
# --- FAQ review fixes: one wording answers one entry ---
faq-wording-moved-from = Формулировка перенесена из { $entries }.
faq-learned-elsewhere-approved = ⚠️ Эта формулировка уже ведёт к { $entries }: «Принять» перенесёт её сюда.
faq-learned-elsewhere-pending = ⚠️ Эта же формулировка ждёт проверки у { $entries }: «Принять» отклонит её там.
faq-link-no-text = В этом сообщении нет текста вопроса (фото или файл) — запоминать нечего. Чтобы отправить партнёру ответ, напишите /faq_link ID вопроса.
faq-link-unsure = Это заметка бота: к какому сообщению партнёра она относится, неясно. Ответьте /faq_link на само сообщение партнёра или на карточку обращения (для первого вопроса); /faq_link ID здесь отправит партнёру ответ, ничего не запоминая.

# --- session 8: contest changes, winners for managers, thresholds in /top (fixb8) ---
contests-admin-prizes-told = Новые призы уйдут тем, кому сообщили о конкурсе: { $count } { $count ->
        [one] партнёру
       *[other] партнёрам
    } (не в тихие часы и не тем, кто нажал /stop; недельный лимит исправлению не помеха).
contests-admin-renewed = Анонс, который ещё ждал отправки, уйдёт уже с изменениями: { $count } { $count ->
        [one] партнёру
       *[other] партнёрам
    }.
# the prizes' lines go between the two (a text argument is cut at 2,000 characters)
moment-changed = ✏️ В конкурсе «{ $title }» новые призы:
moment-changed-end = Все условия — /contests
contest-winners = 🏁 <b>Победители конкурса «{ $title }»</b> — вручите призы:
contest-winners-unannounced = ⚠️ Конкурс не был объявлен: партнёры о нём не знали, итоги им не отправлены.
contest-winners-preliminary = 🏁 <b>Предварительные победители</b> (итоги — { $until }, после холда):
contest-leaders = 📊 <b>Сейчас лидируют</b> (итоги — { $until }, после конца и холда):
contest-winners-row = { $place }. { $name } ({ $who }), ID { $affiliate } — { $value } — { $prize }
contest-winners-gone = { $place }. ID { $affiliate } (партнёра с этим ID больше нет в боте) — { $value } — { $prize }
# after a winner's row: they switched into the contest's segments after its start
contest-winners-joined = в конкурсе с { $since }
contest-winners-joined-breaks = в конкурсе с перерывами, снова с { $since }
contest-winners-forgotten = { $place }. победитель удалил свои данные (/forget) — { $value } — { $prize }
top-empty-min = Пока никто не набрал порог зачёта: от { $min }.
top-me-below = Вы пока не в зачёте: нужно от { $min }, у вас { $value } — осталось { $left }.

# --- loose ends 9: the weekly cap in the confirmation of an announcement ---
# Under «Рассылка поставлена в очередь» and «Объявление в очереди» (also «Всё равно объявить»).
# a contest's announcement saved in the quiet hours: when its private messages go
announced-held = В личку — только { $end }: у партнёров тихие часы.
announced-capped = Не получат из-за недельного лимита: { $count } { $count ->
        [one] партнёр
        [few] партнёра
       *[many] партнёров
    } — у них уже { $cap } { $cap ->
        [one] автоматическое сообщение
        [few] автоматических сообщения
       *[many] автоматических сообщений
    } за 7 дней (max_automated_per_week).

# --- loose ends 10: a partner's /cancel with a ticket open withdraws the question ---
support-cancel-ask = Отозвать обращение №{ $number }? Менеджер увидит, что ответ больше не нужен, и обращение закроется.
support-cancel-yes = Да, отозвать
support-cancel-no = Нет, оставить
support-cancel-kept = Хорошо, обращение №{ $number } остаётся открытым.
support-cancelled = Обращение №{ $number } закрыто: вопрос отозван. Если понадобится менеджер — /support
support-cancel-nothing = Отменять нечего: открытых обращений нет. Если нужен менеджер — /support
# a manager's /cancel with no dialog of theirs running (nor a ticket of their own open)
support-cancel-nothing-manager = Отменять нечего: сейчас не идёт ни одна рассылка (/announce) и ни один конкурс (/contest_new). Ваши команды — /help
ticket-withdrawn = 🚫 Партнёр отозвал вопрос: обращение №{ $number } закрыто.
ticket-forgotten = 🗑 Партнёр удалил свои данные (/forget): обращение №{ $number } закрыто, ответы ему больше не дойдут.

## one person: what another chat of theirs changed (docs/one-person.md)
person-platform = { $platform ->
    [tg] Telegram
    [vk] ВКонтакте
   *[max] MAX
}
link-joined-other = 🔗 Чат в { $platform } привязан к вашему ID { $affiliate }: для бота вы там и здесь — один партнёр.
person-segment = Сегмент: { $segment } — из чата, которым вы пользовались последним. Изменить: /settings
person-newsletters = { $state ->
    [none] Рассылки: не приходят — последним вы ответили «только ответы на мои вопросы» в { $platform }. Включить нужные темы: /settings
    [stopped] Рассылки: выключены — последней была команда /stop в { $platform }. Включить: /start
   *[on] Рассылки: приходят — последним вы согласились на них в { $platform }. Темы: /settings
}
person-forgotten = Чат в { $platform } удалён, и его выбор рассылок больше не действует: снова как вы выбрали здесь.
person-newsletters-own = { $state ->
    [none] Рассылки: не приходят. Включить нужные темы: /settings
    [stopped] Рассылки: выключены (/stop). Включить: /start
   *[on] Рассылки: приходят. Темы: /settings
}

# --- session 15: what partners and managers teach never takes an entry's own wording ---
# /faq_learned card: the waiting wording reads as a wording of another entry in faq.yaml
faq-learned-own = ⚠️ Так читается формулировка вопроса «{ $owner }» из faq.yaml — бот и так отвечает на неё им. «Принять» её отклонит; к { $owner } её можно перенести.
faq-learned-own-rejected = Не принято: так читается формулировка вопроса «{ $owner }» из faq.yaml, бот отвечает на неё им. Формулировка отклонена.
# /faq_learned card: partners confirmed the same wording for other entries too
faq-learned-disputed = ⚠️ Партнёры расходятся: эту же формулировку подтверждали и для { $entries }. Сама она не примется — решите вы («Принять» отклонит её там).
reload-sections-held = ⚠️ Контент не обновлён: в program.yaml больше нет разделов или ключей { $sections } — без них действовали бы значения по умолчанию (статусы постбэков, расписание…). Если файл сохранился не целиком, верните их и отправьте /reload. Если так и задумано — отправьте /reload ещё раз в течение 10 минут.
reload-sections-gone = ⚠️ В program.yaml больше нет разделов или ключей: { $sections } — теперь действуют их значения по умолчанию. Если файл сохранился не целиком, верните их и отправьте /reload.
# /reload: approved learned wordings whose entry left faq.yaml went back to review
reload-learned-back = { $count } { $count ->
        [one] выученная формулировка вернулась
        [few] выученные формулировки вернулись
       *[many] выученных формулировок вернулись
    } на проверку: { $count ->
        [1] её вопроса больше нет в faq.yaml. Перенесите её
       *[other] их вопроса больше нет в faq.yaml. Перенесите их
    } к другому вопросу или отклоните: /faq_learned
reload-learned-approved = { $count } { $count ->
        [one] выученная формулировка снова принята
        [few] выученные формулировки снова приняты
       *[many] выученных формулировок снова приняты
    }: { $count ->
        [1] её
       *[other] их
    } вопрос вернулся в faq.yaml.
managers-chat-private-only = Команда /{ $command } работает в личном чате с ботом — напишите ему в личку.
ticket-template-sent = 📤 Партнёру ушёл шаблон «{ $key }»:
    { $text }
community-in-private = Команда /{ $command } работает в личке с ботом — откройте его кнопкой ниже.
contests-admin-group-told = И в чат партнёров — ему о конкурсе сообщали.
contest-open-to = Участвуют: { $segments }

# --- session 28: a contest nobody announced is shown to no partner ---
# /contests under a category's threshold, as /top says it (top-me-below)
contest-mine-below = • { $name }: пока не в зачёте — нужно от { $min }, у вас { $value }, осталось { $left }
# to the managers, once, while a contest nobody announced runs
contest-running-unannounced = ⚠️ Конкурс «{ $title }» идёт с { $start }, но не объявлен: партнёры его не видят — ни в /contests и /top, ни в рейтингах, ни в уведомлениях о продажах. Объявить — /contests_admin; продажи с начала конкурса засчитаются и тогда.
contests-admin-running-unannounced = 🟡 { $title } — идёт, но не объявлен: партнёры его не видят
contests-admin-running-warning = ⚠️ Конкурс идёт с { $start }, но не объявлен: партнёры его пока не видят. Объявить сейчас? Партнёры его сегментов и чат партнёров получат его с правилами и призами; продажи с { $start } засчитываются.
# the announcement of a contest a manager announced after its start
moment-announcement-running = 📣 <b>Новый конкурс — уже идёт!</b> Считаются подтверждённые продажи с { $start } до { $end }.
# /reload: a new contest file whose start has passed (not refused: it waits for a manager)
reload-late-contest = ⚠️ { $where }: «{ $title }» — новый конкурс, а его старт ({ $start }) уже прошёл. Его никто не объявлял: партнёры его не видят, пока его не объявит менеджер (/contests_admin; продажи с начала конкурса засчитаются), а победителей по окончании получат только менеджеры. Если в дате опечатка — исправьте файл и снова /reload.
