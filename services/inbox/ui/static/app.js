// The agent's desk: login, views, the live ticket list, the open ticket, search, admin pages.
import { Api, EventStream } from "./api.js";
import { beep, h, options, when } from "./dom.js";
import { language, languages, setLanguage, t } from "./i18n.js";
import { adminPage } from "./admin.js";
import { reportsPage } from "./reports.js";
import { localTime, slaBadge } from "./sla.js";

const CHANNEL_ICONS = { email: "✉️", webchat: "💬", telegram: "✈️", vk: "🅥", viber: "📳" };
const VIEWS = {
  mine: { assignee: "me", status: ["open", "pending"] },
  unassigned: { assignee: "none", status: ["open"] },
  allOpen: { status: ["open"] },
  pending: { status: ["pending"] },
  resolved: { status: ["resolved"] },
};
const STATUSES = ["open", "pending", "resolved", "closed"];
const PRIORITIES = ["low", "normal", "high", "urgent"];

const state = {
  me: null, agents: new Map(), departments: [], templates: [],
  view: "mine", filters: {}, list: [], current: null, selected: new Set(),
  unread: new Set(), muted: localStorage.getItem("relaydesk.muted") === "1",
  online: false, presence: "online", page: "inbox",
};
const api = new Api(() => logout());
let stream = null;
let reloadTimer = null;
const root = document.getElementById("root");

function render(...nodes) { root.replaceChildren(...nodes); }
// replaceChildren would write "null" for an absent optional part: drop those first.
function fill(el, ...nodes) { el.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined)); }
function savedSearches() {
  return JSON.parse(localStorage.getItem(`relaydesk.saved.${state.me?.id}`) || "[]");
}
function agentName(id) { return state.agents.get(id)?.name || id || t("nobody"); }
function departmentName(id) { return state.departments.find((d) => d.id === id)?.name || id || "—"; }

// ----- login -----
function loginPage(message = "") {
  const error = h("div", { class: "error", role: "alert" }, message);
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const form = h("form", { class: "login", onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api.login(email.value, password.value);
      await start();
    } catch (failure) {
      const wait = failure.status === 429 ? t("tooMany", { s: "…" }) : t("loginFailed");
      error.textContent = failure.status === 429 || failure.status === 401 ? wait : failure.message;
    }
  } },
  h("h1", {}, t("title")),
  h("label", {}, t("email"), email), h("label", {}, t("password"), password),
  h("button", { class: "primary", type: "submit" }, t("login")), error);
  render(form);
  email.focus();
}

function logout() {
  if (stream) stream.close();
  stream = null;
  api.logout();
  state.me = null;
  document.title = t("title");
  loginPage();
}

// ----- start -----
async function start() {
  state.me = await api.call("GET", "/me");
  const preferred = localStorage.getItem("relaydesk.lang") || state.me.languages.find((l) => languages().includes(l))
    || (navigator.language || "en").slice(0, 2);
  setLanguage(preferred);
  await loadDirectory();
  stream = new EventStream(api, onEvent, (online) => { state.online = online; header(); });
  stream.open();
  state.presence = (await api.call("GET", "/me/presence")).status;
  if (state.presence === "offline") state.presence = "online";
  layout();
  await reload();
  // Due times turn amber, then red, as time passes, not only when an event comes.
  setInterval(() => { if (state.page === "inbox") { renderList(); refreshBadge(); } }, 30000);
}

async function loadDirectory() {
  const [agents, departments, templates] = await Promise.all([
    api.call("GET", "/agents"), api.call("GET", "/departments"), api.call("GET", "/templates"),
  ]);
  state.agents = new Map(agents.items.map((a) => [a.id, a]));
  state.departments = departments.items;
  state.templates = templates.items;
}

// ----- layout -----
const slots = { header: h("header", { class: "top" }), nav: h("nav", { class: "views" }),
  list: h("section", { class: "list" }), detail: h("section", { class: "detail" }) };

function layout() {
  header();
  if (state.page === "admin") {
    render(slots.header, h("div", { class: "layout" }, nav(), adminPage(api, state, t, loadDirectory)));
    return;
  }
  if (state.page === "reports") {
    render(slots.header, h("div", { class: "layout" }, nav(), reportsPage(api, state, t)));
    return;
  }
  render(slots.header, h("div", { class: "layout" }, nav(), slots.list, slots.detail));
  renderList();
  renderTicket();
}

function header() {
  const presence = h("select", { "aria-label": "presence", name: "presence", onchange: async (event) => {
    state.presence = event.target.value;
    await api.call("PUT", "/me/presence", { status: state.presence });
  } }, options([["online", t("online")], ["away", t("away")]], state.presence));
  const lang = h("select", { "aria-label": t("language"), onchange: (event) => {
    localStorage.setItem("relaydesk.lang", event.target.value);
    setLanguage(event.target.value);
    layout();
  } }, options(languages().map((l) => [l, l.toUpperCase()]), language()));
  const search = h("input", { type: "search", name: "q", placeholder: t("search"), "aria-label": t("search"),
    value: state.view === "search" ? state.filters.q || "" : "",
    onkeydown: (event) => { if (event.key === "Enter") openSearch({ q: event.target.value }); } });
  fill(slots.header,
    h("span", { class: "brand" }, t("title")),
    state.online ? null : h("span", { class: "offline" }, t("disconnected")),
    search, presence, lang,
    h("button", { onclick: () => { state.muted = !state.muted; localStorage.setItem("relaydesk.muted", state.muted ? "1" : "0"); header(); } },
      state.muted ? t("unmute") : t("mute")),
    h("button", { name: "reports", onclick: () => { state.page = state.page === "reports" ? "inbox" : "reports"; layout(); } },
      state.page === "reports" ? t("inbox") : t("reports")),
    state.me.role === "agent" ? null : h("button", { onclick: () => { state.page = state.page === "admin" ? "inbox" : "admin"; layout(); } },
      state.page === "admin" ? t("inbox") : t("admin")),
    h("span", {}, state.me.name),
    h("button", { onclick: () => api.endSession().finally(logout) }, t("logout")));
}

function nav() {
  const button = (key, label, filters) => h("button", {
    class: state.view === key && state.page === "inbox" ? "active" : "", "data-view": key,
    onclick: () => { state.page = "inbox"; state.view = key; state.filters = filters || {}; layout(); reload(); },
  }, label);
  const saved = savedSearches();
  fill(slots.nav,
    ...Object.keys(VIEWS).map((key) => button(key, t(key))),
    saved.length ? h("h3", {}, t("saved")) : null,
    ...saved.map((item, i) => button(`saved-${i}`, item.name, item.filters)));
  return slots.nav;
}

// ----- the list -----
function query() {
  if (state.view in VIEWS) return { ...VIEWS[state.view], limit: 100 };
  return { ...state.filters, limit: 100 };
}

async function reload() {
  const page = await api.call("GET", "/tickets", undefined, query());
  state.list = page.items;
  renderList();
  updateTitle();
}

function scheduleReload() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => reload().catch(() => {}), 100);
}

function filtersPanel() {
  if (state.view in VIEWS) return null;
  const f = state.filters;
  const field = (name, node) => { node.name = name; node.setAttribute("aria-label", t(name === "q" ? "search" : name)); return node; };
  const q = field("q", h("input", { type: "search", value: f.q || "", placeholder: t("search") }));
  const department = field("department", h("select", {}, options([["", t("department")], ...state.departments.map((d) => [d.id, d.name])], f.department || "")));
  const assignee = field("assignee", h("select", {}, options([["", t("agent")], ["none", t("nobody")], ...[...state.agents.values()].map((a) => [a.id, a.name])], f.assignee || "")));
  const status = field("status", h("select", {}, options([["", t("status")], ...STATUSES.map((s) => [s, t(s)])], f.status || "")));
  const from = field("from", h("input", { type: "date", value: (f.from || "").slice(0, 10) }));
  const to = field("to", h("input", { type: "date", value: (f.to || "").slice(0, 10) }));
  const collect = () => ({
    q: q.value, department: department.value, assignee: assignee.value, status: status.value,
    from: from.value ? new Date(`${from.value}T00:00:00`).toISOString() : "",
    to: to.value ? new Date(`${to.value}T23:59:59`).toISOString() : "",
  });
  return h("form", { class: "filters", onsubmit: (event) => { event.preventDefault(); openSearch(collect()); } },
    q, h("div", { class: "row" }, department, assignee, status), h("div", { class: "row" }, from, to),
    h("div", { class: "row" }, h("button", { class: "primary", type: "submit" }, t("search")),
      h("button", { type: "button", onclick: () => {
        const name = prompt(t("searchName"));
        if (!name) return;
        const saved = [...savedSearches(), { name, filters: collect() }];
        localStorage.setItem(`relaydesk.saved.${state.me.id}`, JSON.stringify(saved));
        nav();
      } }, t("saveSearch"))));
}

function openSearch(filters) {
  state.page = "inbox";
  state.view = "search";
  state.filters = filters;
  layout();
  reload();
}

function renderList() {
  const items = state.list.map((ticket) => {
    const classes = [ticket.id === state.current?.id ? "current" : "", state.unread.has(ticket.id) ? "unread" : ""];
    return h("li", { class: classes.join(" "), "data-ticket": ticket.id, tabindex: 0,
      onclick: () => openTicket(ticket.id),
      onkeydown: (event) => { if (event.key === "Enter") openTicket(ticket.id); } },
    h("div", { class: "who" }, `${CHANNEL_ICONS[ticket.channel] || "•"} ${ticket.contact.name || ticket.contact.email || ticket.contact.id}`),
    h("div", { class: "subject" }, ticket.subject || "—"),
    h("div", { class: "meta" }, h("span", {}, `#${ticket.number}`), h("span", {}, departmentName(ticket.department)),
      h("span", { class: `prio-${ticket.priority}` }, t(ticket.priority)), h("span", {}, t(ticket.status)),
      h("span", {}, agentName(ticket.assignee)), h("span", {}, when(ticket.updated_at)), slaBadge(ticket, t)));
  });
  fill(slots.list, filtersPanel(),
    items.length ? h("ul", { class: "tickets" }, items) : h("div", { class: "empty" }, t("noTickets")));
}

function updateTitle() {
  const count = state.unread.size;
  document.title = count ? `(${count}) ${t("title")}` : t("title");
}

// ----- live events -----
function onEvent(frame) {
  if (frame.type === "directory.changed") { loadDirectory().catch(() => {}); return; }
  const data = frame.data || {};
  const ticketId = data.ticket?.id || data.ticket_id;
  if (frame.type === "ticket.typing") { if (ticketId === state.current?.id) showTyping(); return; }
  if (ALERTS[frame.type]) alertAbout(frame.type, data);
  if (frame.type === "message.created" && data.message?.direction === "inbound") {
    if (ticketId !== state.current?.id || document.hidden) {
      state.unread.add(ticketId);
      if (!state.muted) beep();
    }
  }
  if (frame.type === "ticket.removed" && ticketId === state.current?.id) {
    state.current = null;
    renderTicket();
  } else if (ticketId && ticketId === state.current?.id) {
    openTicket(ticketId, true).catch(() => {});
  }
  scheduleReload();
}

// SLA warnings, breaches and escalations reach supervisors and the ticket's holder.
const ALERTS = { "sla.warning": "slaWarning", "sla.breached": "slaBreached", "ticket.escalated": "escalated" };
function alertAbout(type, data) {
  const ticket = data.ticket || {};
  const what = data.target ? `${t(ALERTS[type])}: ${t(data.target)}` : t(ALERTS[type]);
  const toast = h("div", { class: `toast toast-${type.replace(".", "-")}`, role: "alert", "data-ticket": ticket.id,
    onclick: () => { openTicket(ticket.id).catch(() => {}); toast.remove(); } },
  `${what} · #${ticket.number} ${ticket.subject || ""}`, data.reason ? h("div", { class: "why" }, data.reason) : null);
  let tray = document.querySelector(".toasts");
  if (!tray) { tray = h("div", { class: "toasts" }); document.body.append(tray); }
  tray.append(toast);
  setTimeout(() => toast.remove(), 20000);
  if (!state.muted) beep();
}

function refreshBadge() {
  const slot = slots.detail.querySelector(".sla-slot");
  if (slot && state.current) fill(slot, slaBadge(state.current, t));
}

// Kept apart from the DOM: an event re-renders the ticket, and the indicator must survive it.
const typing = { ticket: null, until: 0, timer: null };
function typingText(ticketId) {
  return typing.ticket === ticketId && Date.now() < typing.until ? t("customerTyping") : "";
}
function showTyping() {
  typing.ticket = state.current.id;
  typing.until = Date.now() + 6000;
  const slot = slots.detail.querySelector(".typing");
  if (slot) slot.textContent = typingText(state.current.id);
  clearTimeout(typing.timer);
  typing.timer = setTimeout(() => {
    const shown = slots.detail.querySelector(".typing");
    if (shown) shown.textContent = "";
  }, 6000);
}

// ----- the open ticket -----
async function openTicket(id, keepSelection = false) {
  const ticket = await api.call("GET", `/tickets/${id}`);
  if (!keepSelection || state.current?.id !== id) state.selected = new Set();
  state.current = ticket;
  state.unread.delete(id);
  updateTitle();
  renderTicket();
  renderList();
}

async function act(path, body) {
  try {
    const result = await api.call("POST", `/tickets/${state.current.id}${path}`, { ...body, version: state.current.version });
    await openTicket(result.ticket.id === state.current.id ? state.current.id : result.ticket.id);
  } catch (failure) {
    alert(`${t("error")}: ${failure.message}`);
    if (failure.status === 404) { state.current = null; renderTicket(); }
    else await openTicket(state.current.id);
  }
  scheduleReload();
}

function actions(ticket) {
  const members = [...state.agents.values()].filter((a) => a.active && a.departments.includes(ticket.department));
  const assign = h("select", { name: "assignee", "aria-label": t("assign"), onchange: (e) => act("/assign", { agent: e.target.value || null }) },
    options([["", t("nobody")], ...members.map((a) => [a.id, a.name])], ticket.assignee || ""));
  const transfer = h("select", { name: "department", "aria-label": t("transfer"), onchange: (e) => act("/transfer", { department: e.target.value }) },
    options(state.departments.map((d) => [d.id, d.name]), ticket.department || ""));
  const status = h("select", { name: "status", "aria-label": t("status"), onchange: (e) => act("/status", { status: e.target.value }) },
    options(STATUSES.map((s) => [s, t(s)]), ticket.status));
  const priority = h("select", { name: "priority", "aria-label": t("priority"), onchange: (e) => act("/priority", { priority: e.target.value }) },
    options(PRIORITIES.map((p) => [p, t(p)]), ticket.priority));
  const tags = h("input", { name: "tags", value: ticket.tags.join(", "), placeholder: t("tagsHelp"), "aria-label": t("tags"),
    onchange: (e) => {
      const wanted = e.target.value.split(",").map((x) => x.trim()).filter(Boolean);
      act("/tags", { add: wanted.filter((x) => !ticket.tags.includes(x)), remove: ticket.tags.filter((x) => !wanted.includes(x)) });
    } });
  const mergeInto = h("input", { name: "merge", placeholder: t("mergeId"), "aria-label": t("merge") });
  return h("div", { class: "actions" },
    h("button", { onclick: () => act("/assign", { agent: "me" }), disabled: ticket.assignee === state.me.id }, t("me")),
    assign, transfer, status, priority, tags,
    h("button", { name: "split", disabled: state.selected.size === 0, onclick: () => act("/split", { message_ids: [...state.selected] }) }, t("split")),
    mergeInto, h("button", { onclick: () => mergeInto.value && act("/merge", { into: mergeInto.value.trim() }) }, t("merge")),
    h("button", { name: "escalate", onclick: () => {
      const reason = prompt(t("escalateReason"));
      if (reason && reason.trim()) act("/escalate", { reason: reason.trim() });
    } }, t("escalate")));
}

function message(m) {
  const author = m.direction === "inbound" ? t("customer") : agentName(m.author);
  const select = h("input", { type: "checkbox", "aria-label": "select", checked: state.selected.has(m.id),
    onchange: (e) => { if (e.target.checked) state.selected.add(m.id); else state.selected.delete(m.id); renderTicket(); } });
  const delivery = m.direction === "outbound"
    ? h("div", { class: `delivery ${m.delivery_status || ""}`, "data-delivery": m.delivery_status || "pending" },
      t(m.delivery_status || "pendingDelivery"), m.delivery_reason ? `: ${m.delivery_reason}` : "")
    : null;
  return h("article", { class: `message ${m.direction}`, "data-message": m.id, "data-direction": m.direction },
    h("div", { class: "by" }, select, m.direction === "note" ? h("span", { class: "label" }, t("internalNote")) : null,
      h("span", {}, author), h("time", { datetime: m.created_at }, when(m.created_at))),
    // Customer text (and any HTML they sent) is shown as text: it never becomes markup.
    messageText(m),
    m.attachments.length ? h("ul", { class: "attachments" }, m.attachments.map((a) =>
      h("li", {}, attachmentLink(m, a), ` (${Math.ceil(a.size / 1024)} KB)`))) : null,
    m.raw_ref ? h("div", { class: "original" },
      attachmentLink(m, { ref: m.raw_ref, name: t("original") })) : null,
    delivery);
}

// Quoted history and signatures under a mail are kept whole and shown folded.
function messageText(m) {
  if (!m.folded_from) return h("div", { class: "text" }, m.text);
  return h("div", { class: "text" }, m.text.slice(0, m.folded_from),
    h("details", { class: "quoted" }, h("summary", {}, t("quoted")),
      h("div", { class: "quote" }, m.text.slice(m.folded_from))));
}

function attachmentLink(m, a) {
  if (a.ref && a.ref.startsWith("file:")) {
    const path = `/tickets/${m.ticket_id || state.current.id}/files/${a.ref.slice(5)}`;
    return h("a", { href: "#", "data-file": a.name, onclick: (e) => {
      e.preventDefault();
      api.download(path, a.name).catch((failure) => alert(`${t("error")}: ${failure.message}`));
    } }, a.name);
  }
  return a.name;
}

const drafts = new Map();  // ticket id -> the reply being written

function composer(ticket) {
  const text = h("textarea", { name: "reply", placeholder: t("writeHere"), "aria-label": t("writeHere") });
  // The ticket re-renders on each of its events; the reply being written must survive that.
  text.value = drafts.get(ticket.id) || "";
  text.addEventListener("input", () => drafts.set(ticket.id, text.value));
  const internal = h("input", { type: "checkbox", name: "internal" });
  const form = h("form", { class: "composer" });
  internal.addEventListener("change", () => form.classList.toggle("internal", internal.checked));
  const usable = state.templates.filter((tpl) => !tpl.department || tpl.department === ticket.department);
  const picker = h("input", { name: "template", list: "templates", placeholder: t("template"), "aria-label": t("template"),
    onchange: (e) => {
      const chosen = usable.find((tpl) => tpl.name === e.target.value);
      if (chosen) { text.value = chosen.text; e.target.value = ""; text.focus(); }
    } });
  const files = h("input", { type: "file", name: "files", multiple: true, "aria-label": t("attachments") });
  const send = h("button", { class: "primary", type: "submit" }, t("reply"));
  internal.addEventListener("change", () => { send.textContent = internal.checked ? t("note") : t("reply"); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim()) return;
    send.disabled = true;
    try {
      const attachments = [];
      for (const file of files.files) attachments.push(await api.upload(file));
      await api.call("POST", `/tickets/${ticket.id}/messages`, { text: text.value, internal: internal.checked, attachments });
      text.value = "";
      drafts.delete(ticket.id);
      files.value = "";
      await openTicket(ticket.id, true);
    } catch (failure) {
      alert(`${t("error")}: ${failure.message}`);
    } finally { send.disabled = false; }
  });
  text.addEventListener("keydown", (event) => { if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit(); });
  let typingSent = 0;  // the customer sees "typing…" for a few seconds; say it again every 3 s
  text.addEventListener("input", () => {
    if (internal.checked || Date.now() - typingSent < 3000) return;
    typingSent = Date.now();
    api.call("POST", `/tickets/${ticket.id}/typing`).catch(() => {});
  });
  form.append(text, h("div", { class: "actions" }, picker, files, h("label", {}, internal, t("internal")), send));
  return h("div", {}, h("datalist", { id: "templates" }, usable.map((tpl) => h("option", { value: tpl.name }))), form);
}

function contactPanel(ticket) {
  const c = ticket.contact;
  const previous = h("ul", { class: "previous" });
  api.call("GET", "/tickets", undefined, { contact: c.id, limit: 20 }).then((page) => {
    previous.replaceChildren(...page.items.map((other) => h("li", {},
      h("a", { href: "#", onclick: (e) => { e.preventDefault(); openTicket(other.id); } }, `#${other.number} ${other.subject || "—"}`),
      ` · ${t(other.status)}`)));
  }).catch(() => {});
  const local = localTime(c.timezone);
  const zone = h("input", { name: "timezone", value: c.timezone || "", placeholder: "Asia/Vladivostok", "aria-label": t("timezone"),
    onchange: async (e) => {
      try {
        await api.call("PUT", `/tickets/${ticket.id}/contact`, { timezone: e.target.value.trim() });
        await openTicket(ticket.id, true);
      } catch (failure) { alert(`${t("error")}: ${failure.message}`); }
    } });
  return h("aside", { class: "contact" }, h("h3", {}, t("contact")),
    h("div", { class: "name" }, c.name || "—"), c.email ? h("div", {}, c.email) : null, c.phone ? h("div", {}, c.phone) : null,
    local ? h("div", { class: "local-time" }, t("localTime", { time: local })) : null,
    h("label", { class: "zone" }, t("timezone"), zone),
    h("h3", {}, t("channels")), h("ul", {}, c.identities.map((i) => h("li", {}, `${CHANNEL_ICONS[i.split(":")[0]] || ""} ${i}`))),
    h("h3", {}, t("previous")), previous);
}

// What the customer told the bot (the menu path) and how they rated the resolution.
function facts(ticket) {
  const items = [];
  if (ticket.menu && ticket.menu.titles.length) {
    items.push(h("span", { class: "fact menu-path", title: ticket.menu.path.join("/") }, `${t("menuPath")}: ${ticket.menu.titles.join(" › ")}`));
  }
  const r = ticket.rating;
  if (r && r.score) {
    items.push(h("span", { class: `fact rating rating-${r.score}`, "data-score": r.score },
      `${t("rating")}: ${"★".repeat(r.score)}${"☆".repeat(5 - r.score)} (${r.score})`));
    if (r.comment) items.push(h("span", { class: "fact rating-comment" }, `«${r.comment}»`));
  } else if (r) {
    items.push(h("span", { class: "fact rating" }, t("ratingAsked")));
  }
  return items.length ? h("div", { class: "facts" }, items) : null;
}

function renderTicket() {
  const ticket = state.current;
  const writing = document.activeElement?.name === "reply";
  if (!ticket) { slots.detail.replaceChildren(h("div", { class: "empty" }, t("pick"))); return; }
  slots.detail.replaceChildren(h("div", { class: "ticket", "data-ticket": ticket.id },
    h("div", { class: "conversation" },
      h("header", {}, h("h2", {}, `#${ticket.number} ${ticket.subject || "—"}`),
        h("div", { class: "sla-slot" }, slaBadge(ticket, t)), facts(ticket), actions(ticket)),
      h("div", { class: "messages" }, ticket.messages.map(message)),
      h("div", { class: "typing", role: "status", "aria-live": "polite" }, typingText(ticket.id)),
      composer(ticket)),
    contactPanel(ticket)));
  const list = slots.detail.querySelector(".messages");
  list.scrollTop = list.scrollHeight;
  if (writing) slots.detail.querySelector("textarea[name=reply]")?.focus();
}

if (api.token) start().catch(() => logout()); else loginPage();
