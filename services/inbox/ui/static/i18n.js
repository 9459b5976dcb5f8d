// UI strings in English and Russian. Keys are English phrases' short names; `t(key, vars)`
// fills {name} placeholders. Add a language by adding a catalog with the same keys.
const CATALOG = {
  en: {
    title: "Relay Desk", email: "Email", password: "Password", login: "Log in",
    loginFailed: "Wrong email or password", tooMany: "Too many attempts: wait {s} s",
    logout: "Log out", online: "Online", away: "Away", mute: "Sound off", unmute: "Sound on",
    mine: "Mine", unassigned: "Unassigned", allOpen: "All open", pending: "Pending",
    resolved: "Resolved", saved: "Saved searches", search: "Search", saveSearch: "Save search",
    searchName: "Name of this search", noTickets: "Nothing here", pick: "Pick a ticket",
    department: "Department", agent: "Agent", status: "Status", priority: "Priority",
    tags: "Tags", from: "From", to: "To", any: "Any", nobody: "Unassigned", me: "Me",
    assign: "Assign", transfer: "Transfer", split: "Split selected", merge: "Merge into",
    mergeId: "Ticket id", apply: "Apply", reply: "Send reply", note: "Add note",
    internal: "Internal note", template: "Template…", writeHere: "Write a reply…", customerTyping: "The customer is typing…",
    internalNote: "Internal note", customer: "Customer", contact: "Contact",
    quoted: "Quoted text and signature", original: "Original message",
    channels: "Channels", previous: "Tickets", attachments: "Attachments",
    sent: "sent", delivered: "delivered", read: "read", failed: "failed", pendingDelivery: "sending",
    open: "open", closed: "closed", low: "low", normal: "normal", high: "high", urgent: "urgent",
    admin: "Admin", inbox: "Inbox", departments: "Departments", agents: "Agents",
    templates: "Reply templates", rules: "Routing rules", save: "Save", name: "Name",
    signature: "Signature", policy: "Policy", role: "Role", languages: "Languages",
    capacity: "Capacity", active: "Active", text: "Text", newItem: "New", saved_: "Saved",
    rulesHelp: "Ordered list, first match wins (JSON)", error: "Error", language: "Language",
    disconnected: "Reconnecting…", id: "Id", tagsHelp: "comma separated", unread: "new",
    first_response: "First response", next_response: "Next response", resolution: "Resolution",
    dueIn: "in {span}", overdueBy: "overdue by {span}", minutesShort: "{n} min", hoursShort: "{n} h",
    breached: "breached", slaWarning: "SLA warning", slaBreached: "SLA breached", escalated: "Escalated",
    escalate: "Escalate to supervisor", escalateReason: "Why does this need a supervisor?",
    localTime: "Local time {time}", timezone: "Time zone", calendar: "Working hours",
    alwaysOpen: "Around the clock (24/7)", holidays: "Holidays", country: "Public holidays of (country code)",
    mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday",
    acknowledge: "Acknowledge new tickets with their number", remindHours: "Remind a silent customer after (hours)",
    resolveDays: "Resolve a pending ticket after (days)", closeDays: "Close a resolved ticket after (days)",
    reports: "Reports", volume: "Volume", heatmap: "Load by weekday and hour", period: "Period", groupBy: "Group by",
    period_hour: "Hour", period_day: "Day", period_week: "Week", period_month: "Month", channel: "Channel",
    vol_new: "New tickets", vol_inbound: "Customer messages", vol_outbound: "Agent replies",
    table_response_times: "Response times (working time)", table_sla: "SLA attainment", table_csat: "Satisfaction", table_backlog: "Backlog by age", table_online: "Agents' online time", col_online_s: "Online, s",
    col_department: "Department", col_agent: "Agent", col_channel: "Channel", col_kind: "Measure", col_count: "Count",
    col_mean_s: "Mean, s", col_median_s: "Median, s", col_p90_s: "90th percentile, s", col_target: "Target", col_met: "Met",
    col_breached: "Missed", col_attainment_pct: "Attained, %", col_asked: "Asked", col_rated: "Rated", col_response_rate_pct: "Answered, %",
    col_average: "Average", col_score_1: "1", col_score_2: "2", col_score_3: "3", col_score_4: "4", col_score_5: "5",
    "col_<1h": "< 1 h", "col_1-4h": "1–4 h", "col_4-24h": "4–24 h", "col_1-3d": "1–3 days", "col_3-7d": "3–7 days", "col_>7d": "> 7 days",
    menuPath: "Bot menu", rating: "Rating", ratingAsked: "Rating asked, no answer yet",
    menus: "Bot menus", menusHelp: "One menu per channel and account (JSON): nodes with ru/en titles, children, department, topic, priority or an FAQ answer",
    csat: "Ask customers to rate resolved tickets (1-5)",
    sla: "Service levels", slaHelp: "Ordered list, the first matching policy applies (JSON); minutes of working time",
  },
  ru: {
    title: "Relay Desk", email: "Эл. почта", password: "Пароль", login: "Войти",
    loginFailed: "Неверная почта или пароль", tooMany: "Слишком много попыток: подождите {s} с",
    logout: "Выйти", online: "В сети", away: "Отошёл", mute: "Без звука", unmute: "Со звуком",
    mine: "Мои", unassigned: "Без исполнителя", allOpen: "Все открытые", pending: "В ожидании",
    resolved: "Решённые", saved: "Сохранённые поиски", search: "Поиск", saveSearch: "Сохранить поиск",
    searchName: "Название поиска", noTickets: "Здесь пусто", pick: "Выберите обращение",
    department: "Отдел", agent: "Сотрудник", status: "Статус", priority: "Приоритет",
    tags: "Метки", from: "С", to: "По", any: "Любой", nobody: "Не назначено", me: "Я",
    assign: "Назначить", transfer: "Передать", split: "Выделить в новое", merge: "Объединить с",
    mergeId: "Id обращения", apply: "Применить", reply: "Ответить", note: "Добавить заметку",
    internal: "Внутренняя заметка", template: "Шаблон…", writeHere: "Напишите ответ…", customerTyping: "Клиент печатает…",
    internalNote: "Внутренняя заметка", customer: "Клиент", contact: "Контакт",
    quoted: "Цитата и подпись", original: "Исходное письмо",
    channels: "Каналы", previous: "Обращения", attachments: "Вложения",
    sent: "отправлено", delivered: "доставлено", read: "прочитано", failed: "ошибка", pendingDelivery: "отправляется",
    open: "открыто", closed: "закрыто", low: "низкий", normal: "обычный", high: "высокий", urgent: "срочный",
    admin: "Настройки", inbox: "Входящие", departments: "Отделы", agents: "Сотрудники",
    templates: "Шаблоны ответов", rules: "Правила маршрутизации", save: "Сохранить", name: "Название",
    signature: "Подпись", policy: "Распределение", role: "Роль", languages: "Языки",
    capacity: "Лимит обращений", active: "Активен", text: "Текст", newItem: "Добавить", saved_: "Сохранено",
    rulesHelp: "Упорядоченный список, срабатывает первое совпадение (JSON)", error: "Ошибка", language: "Язык",
    disconnected: "Переподключение…", id: "Id", tagsHelp: "через запятую", unread: "новое",
    first_response: "Первый ответ", next_response: "Следующий ответ", resolution: "Решение",
    dueIn: "через {span}", overdueBy: "просрочено на {span}", minutesShort: "{n} мин", hoursShort: "{n} ч",
    breached: "просрочено", slaWarning: "Срок SLA близко", slaBreached: "SLA нарушен", escalated: "Эскалация",
    escalate: "Передать руководителю", escalateReason: "Почему нужен руководитель?",
    localTime: "Местное время {time}", timezone: "Часовой пояс", calendar: "Рабочее время",
    alwaysOpen: "Круглосуточно (24/7)", holidays: "Праздники", country: "Государственные праздники (код страны)",
    mon: "Понедельник", tue: "Вторник", wed: "Среда", thu: "Четверг", fri: "Пятница", sat: "Суббота", sun: "Воскресенье",
    acknowledge: "Подтверждать новые обращения с номером", remindHours: "Напомнить молчащему клиенту через (часов)",
    resolveDays: "Решить ожидающее через (дней)", closeDays: "Закрыть решённое через (дней)",
    reports: "Отчёты", volume: "Объём", heatmap: "Нагрузка по дням недели и часам", period: "Период", groupBy: "Группировать по",
    period_hour: "Час", period_day: "День", period_week: "Неделя", period_month: "Месяц", channel: "Канал",
    vol_new: "Новые обращения", vol_inbound: "Сообщения клиентов", vol_outbound: "Ответы сотрудников",
    table_response_times: "Время ответа (рабочее время)", table_sla: "Выполнение SLA", table_csat: "Удовлетворённость", table_backlog: "Очередь по возрасту", table_online: "Время в сети", col_online_s: "В сети, с",
    col_department: "Отдел", col_agent: "Сотрудник", col_channel: "Канал", col_kind: "Показатель", col_count: "Количество",
    col_mean_s: "Среднее, с", col_median_s: "Медиана, с", col_p90_s: "90-й перцентиль, с", col_target: "Цель", col_met: "Выполнено",
    col_breached: "Нарушено", col_attainment_pct: "Выполнение, %", col_asked: "Запрошено", col_rated: "Оценено", col_response_rate_pct: "Ответили, %",
    col_average: "Средняя", col_score_1: "1", col_score_2: "2", col_score_3: "3", col_score_4: "4", col_score_5: "5",
    "col_<1h": "< 1 ч", "col_1-4h": "1–4 ч", "col_4-24h": "4–24 ч", "col_1-3d": "1–3 дня", "col_3-7d": "3–7 дней", "col_>7d": "> 7 дней",
    menuPath: "Меню бота", rating: "Оценка", ratingAsked: "Оценку запросили, ответа пока нет",
    menus: "Меню бота", menusHelp: "Одно меню на канал и аккаунт (JSON): пункты с названиями ru/en, подпунктами, отделом, темой, приоритетом или ответом FAQ",
    csat: "Просить клиентов оценить решённые обращения (1–5)",
    sla: "Уровни обслуживания", slaHelp: "Упорядоченный список, применяется первая подходящая политика (JSON); минуты рабочего времени",
  },
};

let current = "en";

export function setLanguage(lang) {
  current = CATALOG[lang] ? lang : "en";
  document.documentElement.lang = current;
}

export function language() {
  return current;
}

export function languages() {
  return Object.keys(CATALOG);
}

export function t(key, vars = {}) {
  const text = CATALOG[current][key] ?? CATALOG.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}
