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
