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
  },
};
let lang = localStorage.getItem("relaydesk.portal.lang") || ((navigator.language || "ru").startsWith("ru") ? "ru" : "en");
const t = (key) => TEXT[lang][key] ?? key;
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
  const reply = await fetch(`/portal/api${path}`, {
    method, credentials: "same-origin",
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = reply.status === 204 ? null : await reply.json().catch(() => null);
  if (!reply.ok) throw Object.assign(new Error(data?.detail || `HTTP ${reply.status}`), { status: reply.status });
  return data;
}

function when(iso) {
  return new Date(iso).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
}

function frame(...content) {
  document.documentElement.lang = lang;
  document.title = `${t("title")} · Relay Desk`;
  const switcher = h("button", { name: "lang", onclick: () => {
    lang = lang === "ru" ? "en" : "ru";
    localStorage.setItem("relaydesk.portal.lang", lang);
    route();
  } }, t("lang"));
  root.replaceChildren(h("header", {}, h("h1", {}, t("title")), switcher, ...content.slice(0, 1).flat()), ...content.slice(1));
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

async function listPage() {
  const data = await call("GET", "/tickets");
  const logout = h("button", { name: "logout", onclick: async () => { await call("POST", "/logout"); signInPage(); } }, t("logout"));
  const items = data.items.map((x) => h("li", {}, h("button", { "data-ticket": x.id, onclick: () => ticketPage(x.id) },
    h("strong", {}, `№${x.number} ${x.subject || ""}`),
    h("span", { class: "muted" }, `${t(x.channel === "email" ? "email_channel" : x.channel)} · ${t(x.status)} · ${t("updated")} ${when(x.updated_at)}`))));
  frame([logout], h("p", { class: "muted" }, data.email),
    items.length ? h("ul", { class: "tickets" }, items) : h("p", { class: "muted" }, t("none")));
}

async function ticketPage(id, waitFor = null) {
  let data = await call("GET", `/tickets/${id}`);
  // A reply is stored a moment after it is accepted: look again until it is there.
  for (let i = 0; waitFor && i < 25 && !data.messages.some((m) => m.id === waitFor); i++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    data = await call("GET", `/tickets/${id}`);
  }
  const text = h("textarea", { name: "reply", placeholder: t("write"), "aria-label": t("write"), required: true });
  const note = h("p", { class: "error", role: "status" });
  const form = h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const sent = await call("POST", `/tickets/${id}/messages`, { text: text.value });
      await ticketPage(id, sent.id);
    } catch (failure) { note.textContent = `${t("error")}: ${failure.message}`; }
  } }, text, note, h("button", { class: "primary", type: "submit" }, t("reply")));
  frame([h("button", { name: "back", onclick: () => listPage() }, t("back"))],
    h("h2", {}, `№${data.number} ${data.subject || ""}`),
    h("p", { class: "muted" }, t(data.status)),
    h("div", { class: "messages" }, data.messages.map((m) => h("div", { class: `message ${m.from}`, "data-from": m.from },
      h("span", { class: "when" }, `${m.from === "customer" ? t("you") : t("support")} · ${when(m.created_at)}`),
      m.text, m.attachments.length ? h("span", { class: "when" }, `📎 ${m.attachments.join(", ")}`) : null))),
    form);
}

async function route() {
  const link = new URLSearchParams(location.hash.slice(1)).get("link");
  if (link) {
    history.replaceState(null, "", location.pathname);  // the token leaves the address bar
    try { await call("POST", "/session", { token: link }); } catch (failure) {
      signInPage(`${t("refused")} (${failure.message})`);
      return;
    }
  }
  try { await listPage(); } catch (failure) {
    if (failure.status === 401) signInPage(); else signInPage(`${t("error")}: ${failure.message}`);
  }
}

// A link opened in a tab already on the portal changes only the fragment.
window.addEventListener("hashchange", () => { if (location.hash.includes("link=")) route(); });
route();
