// The customers' portal: sign in by a mailed link, see every ticket, read and answer one.
// Markup is built from elements and text nodes only: nothing anyone wrote becomes markup.
const TEXT = {
  ru: {
    title: "Ваши обращения", email: "Эл. почта", send: "Прислать ссылку для входа",
    sent: "Если мы знаем этот адрес, ссылка для входа уже в почте. Она действует 30 минут.",
    none: "Обращений пока нет.", back: "Все обращения", reply: "Ответить", write: "Ваш ответ…",
    you: "Вы", support: "Поддержка", logout: "Выйти", error: "Не получилось", lang: "English",
    open: "открыто", pending: "ждёт вашего ответа", resolved: "решено", closed: "закрыто",
    email_channel: "почта", webchat: "чат на сайте", telegram: "Telegram", vk: "ВКонтакте", viber: "Viber",
    signIn: "Чтобы увидеть свои обращения, укажите адрес, на который мы вам писали.", updated: "обновлено",
    refused: "Ссылка не подходит: она устарела или уже использована. Запросите новую.",
    notices: "Уведомления на почту", replies: "Когда поддержка отвечает в мессенджере или чате",
    resolvedNotice: "Когда обращение решено", weekly: "Раз в неделю — сводка открытых обращений",
    save: "Сохранить", saved: "Сохранено", attach: "Прикрепить файлы", files: "Файлы",
    stopped: "Готово: письма «{what}» больше не придут на {email}.", manage: "Все обращения и настройки",
    what_replies: "ответы поддержки", what_resolved: "решённые обращения", what_weekly: "еженедельная сводка",
  },
  en: {
    title: "Your requests", email: "Email", send: "Send me a sign-in link",
    sent: "If we know this address, a sign-in link is in your mail. It works for 30 minutes.",
    none: "No requests yet.", back: "All requests", reply: "Reply", write: "Your reply…",
    you: "You", support: "Support", logout: "Log out", error: "That failed", lang: "Русский",
    open: "open", pending: "waiting for you", resolved: "resolved", closed: "closed",
    email_channel: "email", webchat: "site chat", telegram: "Telegram", vk: "VK", viber: "Viber",
    signIn: "To see your requests, enter the address we wrote to you at.", updated: "updated",
    refused: "This link does not work: it has expired or was used. Ask for a new one.",
    notices: "Email notifications", replies: "When support replies on a messenger or the chat",
    resolvedNotice: "When a request is resolved", weekly: "Once a week, a summary of open requests",
    save: "Save", saved: "Saved", attach: "Attach files", files: "Files",
    stopped: "Done: no more mail about {what} to {email}.", manage: "All requests and choices",
    what_replies: "replies from support", what_resolved: "resolved requests", what_weekly: "the weekly summary",
  },
};
let lang = localStorage.getItem("relaydesk.portal.lang") || ((navigator.language || "ru").startsWith("ru") ? "ru" : "en");
const t = (key, vars = {}) => (TEXT[lang][key] ?? key).replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "");
const root = document.getElementById("root");

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

async function call(method, path, body) {
  const file = body instanceof File;
  const reply = await fetch(`/portal/api${path}`, {
    method, credentials: "include",  // as the page's preload of the list, so it is reused
    headers: file ? { "Content-Type": body.type || "application/octet-stream" } : body ? { "Content-Type": "application/json" } : {},
    body: file ? body : body ? JSON.stringify(body) : undefined,
  });
  const data = reply.status === 204 ? null : await reply.json().catch(() => null);
  if (!reply.ok) throw Object.assign(new Error(data?.detail || `HTTP ${reply.status}`), { status: reply.status });
  return data;
}

// One formatter per language: making one per date cost about a millisecond each, most of
// the time a list of 100 tickets took to appear.
const formats = {};
function format() {
  formats[lang] ??= new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  return formats[lang];
}
function when(iso) {
  return format().format(new Date(iso));
}

function frame(...content) {
  document.documentElement.lang = lang;
  document.title = `${t("title")} · Relay Desk`;
  const switcher = h("button", { name: "lang", onclick: () => {
    lang = lang === "ru" ? "en" : "ru";
    localStorage.setItem("relaydesk.portal.lang", lang);
    route();
  } }, t("lang"));
  root.replaceChildren(h("header", {}, h("h1", {}, t("title")), switcher, ...content.slice(0, 1).flat()), ...content.slice(1).filter(Boolean));
}

function signInPage(message = "") {
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "email" });
  const note = h("p", { class: message ? "error" : "muted", role: "status" }, message || t("signIn"));
  const form = h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await call("POST", "/link", { email: email.value });
      note.className = "muted";
      note.textContent = t("sent");
    } catch (failure) {
      note.className = "error";
      note.textContent = `${t("error")}: ${failure.message}`;
    }
  } }, note, h("label", { class: "field" }, t("email"), email), h("button", { class: "primary", type: "submit" }, t("send")));
  frame([], form);
}

// `signedInNow`: the page's preloads were made before this session existed (and answered
// 401), so other addresses are asked for, which the preloads cannot stand for.
async function listPage(signedInNow = false) {
  const fresh = signedInNow ? "?session=new" : "";
  // The notice choices are asked for beside the list, not after it; the first formatter
  // (tens of milliseconds: the locale's data is loaded) is made while both are on the way.
  const asked = Promise.all([call("GET", `/tickets${fresh}`), call("GET", `/notifications${fresh}`).catch(() => null)]);
  format();
  const [data, chosen] = await asked;
  const logout = h("button", { name: "logout", onclick: async () => { await call("POST", "/logout"); signInPage(); } }, t("logout"));
  const items = data.items.map((x) => h("li", {}, h("button", { "data-ticket": x.id, onclick: () => ticketPage(x.id) },
    h("strong", {}, `№${x.number} ${x.subject || ""}`),
    h("span", { class: "muted" }, `${t(x.channel === "email" ? "email_channel" : x.channel)} · ${t(x.status)} · ${t("updated")} ${when(x.updated_at)}`))));
  frame([logout], h("p", { class: "muted" }, data.email),
    items.length ? h("ul", { class: "tickets" }, items) : h("p", { class: "muted" }, t("none")),
    data.email && chosen?.email ? noticesCard(chosen) : null);
}

// The notices a customer chose; none is on until they choose it here.
function noticesCard(chosen) {
  const box = (name, label) => h("label", { class: "check" }, h("input", { type: "checkbox", name, checked: chosen[name] }), label);
  const note = h("p", { class: "muted", role: "status" });
  const form = h("form", { class: "card notices", onsubmit: async (event) => {
    event.preventDefault();
    const value = (name) => form.querySelector(`input[name=${name}]`).checked;
    try {
      await call("PUT", "/notifications", { replies: value("replies"), resolved: value("resolved"), weekly: value("weekly") });
      note.textContent = t("saved");
    } catch (failure) { note.textContent = `${t("error")}: ${failure.message}`; }
  } }, h("h2", {}, t("notices")), box("replies", t("replies")), box("resolved", t("resolvedNotice")),
    box("weekly", t("weekly")), note, h("button", { type: "submit" }, t("save")));
  return form;
}

function fileChips(m) {
  if (!m.attachments.length) return null;
  return h("span", { class: "files" }, m.attachments.map((a) =>
    a.url ? h("a", { href: a.url, download: a.name }, `📎 ${a.name}`) : h("span", {}, `📎 ${a.name}`)));
}

async function ticketPage(id, waitFor = null) {
  let data = await call("GET", `/tickets/${id}`);
  // A reply is stored a moment after it is accepted: look again until it is there.
  for (let i = 0; waitFor && i < 25 && !data.messages.some((m) => m.id === waitFor); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    data = await call("GET", `/tickets/${id}`);
  }
  const text = h("textarea", { name: "reply", placeholder: t("write"), "aria-label": t("write") });
  const files = h("input", { type: "file", name: "files", multiple: true, "aria-label": t("attach") });
  const note = h("p", { class: "error", role: "status" });
  const form = h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    if (!text.value.trim() && !files.files.length) return;
    try {
      const attachments = [];
      for (const file of files.files) {
        attachments.push(await call("POST", `/tickets/${id}/files?name=${encodeURIComponent(file.name)}`, file));
      }
      const sent = await call("POST", `/tickets/${id}/messages`, { text: text.value, attachments });
      await ticketPage(id, sent.id);
    } catch (failure) { note.textContent = `${t("error")}: ${failure.message}`; }
  } }, text, h("label", { class: "field" }, t("attach"), files), note, h("button", { class: "primary", type: "submit" }, t("reply")));
  frame([h("button", { name: "back", onclick: () => listPage() }, t("back"))],
    h("h2", {}, `№${data.number} ${data.subject || ""}`),
    h("p", { class: "muted" }, t(data.status)),
    h("div", { class: "messages" }, data.messages.map((m) => h("div", { class: `message ${m.from}`, "data-from": m.from },
      h("span", { class: "when" }, `${m.from === "customer" ? t("you") : t("support")} · ${when(m.created_at)}`),
      m.text, fileChips(m)))),
    form);
}

// The page a notice's "stop" link opens: the stop is posted from here, not by opening the
// link, so a mail scanner that fetches every link stops nothing.
async function unsubscribePage(token) {
  try {
    const done = await call("POST", "/unsubscribe", { token });
    frame([], h("p", { class: "card", role: "status" }, t("stopped", { what: t(`what_${done.topic}`), email: done.email })),
      h("button", { name: "manage", onclick: () => route() }, t("manage")));
  } catch (failure) { signInPage(`${t("refused")} (${failure.message})`); }
}

async function route() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const stop = fragment.get("unsubscribe");
  if (stop) {
    history.replaceState(null, "", location.pathname);
    await unsubscribePage(stop);
    return;
  }
  const link = fragment.get("link");
  if (link) {
    history.replaceState(null, "", location.pathname);  // the token leaves the address bar
    try { await call("POST", "/session", { token: link }); } catch (failure) {
      signInPage(`${t("refused")} (${failure.message})`);
      return;
    }
  }
  try { await listPage(Boolean(link)); } catch (failure) {
    if (failure.status === 401) signInPage(); else signInPage(`${t("error")}: ${failure.message}`);
  }
}

// A link opened in a tab already on the portal changes only the fragment.
window.addEventListener("hashchange", () => { if (/link=|unsubscribe=/.test(location.hash)) route(); });
route();
