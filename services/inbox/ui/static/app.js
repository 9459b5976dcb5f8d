// The agent's desk: login, views, the live ticket list, the open ticket, search, admin pages.
import { Api, EventStream } from "./api.js";
import { beep, h, options, when } from "./dom.js";
import { language, languages, setLanguage, t } from "./i18n.js";
import { adminPage } from "./admin.js";
import { reportsPage } from "./reports.js";
import { slaBadge, slaState } from "./sla.js";
import { avatar, channelIcon, displayName } from "./people.js";
import { composer, fullDate, messagesView } from "./conversation.js";
import { PRIORITIES, STATUSES, setStatus, ticketActions } from "./actions.js";
import { contactPanel } from "./contact.js";
import { helpDialog, installShortcuts } from "./shortcuts.js";
import { maybeTour } from "./tour.js";

const VIEWS = {
  mine: { assignee: "me", status: ["open", "pending"] },
  unassigned: { assignee: "none", status: ["open"] },
  allOpen: { status: ["open"] },
  pending: { status: ["pending"] },
  resolved: { status: ["resolved"] },
};
const SORTS = ["newest", "oldestWaiting", "priorityFirst", "slaFirst"];
const RANK = Object.fromEntries(PRIORITIES.map((p, i) => [p, PRIORITIES.length - i]));

const state = {
  me: null, agents: new Map(), departments: [], templates: [],
  view: "mine", filters: {}, list: [], current: null, selected: new Set(), picked: new Set(),
  sort: localStorage.getItem("relaydesk.sort") || "newest",
  unread: new Set(JSON.parse(localStorage.getItem("relaydesk.unread") || "[]")), muted: localStorage.getItem("relaydesk.muted") === "1",
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
function saveUnread() { localStorage.setItem("relaydesk.unread", JSON.stringify([...state.unread])); }
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
  h("label", { class: "field" }, h("span", {}, t("email")), email),
  h("label", { class: "field" }, h("span", {}, t("password")), password),
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
  maybeTour(api, state.me, t);
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
  const presence = h("select", { "aria-label": t("myStatus"), name: "presence", onchange: async (event) => {
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
    h("button", { name: "help", "aria-label": t("shortcuts"), title: t("shortcuts"), onclick: () => helpDialog(t) }, "?"),
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
  const order = state.sort === "priorityFirst" ? "queue" : "recent";
  if (state.view in VIEWS) return { ...VIEWS[state.view], limit: 100, order };
  return { ...state.filters, limit: 100, order };
}

// Newest and priority order come from the store; the other two sort the page loaded.
function sorted(list) {
  const waiting = (x) => Date.parse(x.last_inbound_at || x.created_at);
  const due = (x) => slaState(x)?.due ?? Infinity;
  if (state.sort === "oldestWaiting") return [...list].sort((a, b) => waiting(a) - waiting(b));
  if (state.sort === "slaFirst") return [...list].sort((a, b) => due(a) - due(b) || RANK[b.priority] - RANK[a.priority]);
  return list;
}

async function reload() {
  const page = await api.call("GET", "/tickets", undefined, query());
  state.list = sorted(page.items);
  const shown = new Set(state.list.map((x) => x.id));
  state.picked = new Set([...state.picked].filter((id) => shown.has(id)));
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
    const name = displayName(ticket.contact, ticket, t);
    const unread = state.unread.has(ticket.id);
    const classes = [ticket.id === state.current?.id ? "current" : "", unread ? "unread" : ""];
    const pick = h("input", { type: "checkbox", class: "pick", "aria-label": t("selectTicket", { n: ticket.number }), checked: state.picked.has(ticket.id),
      onclick: (e) => e.stopPropagation(),
      onchange: (e) => { if (e.target.checked) state.picked.add(ticket.id); else state.picked.delete(ticket.id); renderList(); } });
    return h("li", { class: classes.join(" "), "data-ticket": ticket.id, tabindex: 0, "aria-current": ticket.id === state.current?.id ? "true" : null,
      onclick: () => openTicket(ticket.id),
      onkeydown: (event) => { if (event.key === "Enter" && event.target === event.currentTarget) openTicket(ticket.id); } },
    pick, avatar(name, ticket.contact.id),
    h("div", { class: "body" },
      h("div", { class: "who" }, channelIcon(ticket.channel, t), h("span", { class: "name" }, name),
        unread ? h("span", { class: "dot", title: t("unread") }, h("span", { class: "visually-hidden" }, t("unread"))) : null,
        h("time", { datetime: ticket.updated_at, title: fullDate(ticket.updated_at) }, when(ticket.updated_at))),
      h("div", { class: "subject" }, ticket.subject || "—"),
      h("div", { class: "meta" }, h("span", {}, `#${ticket.number}`), h("span", {}, departmentName(ticket.department)),
        h("span", { class: `prio-${ticket.priority}` }, t(ticket.priority)), h("span", {}, t(ticket.status)),
        h("span", {}, agentName(ticket.assignee)), slaBadge(ticket, t))));
  });
  const sort = h("select", { name: "sort", "aria-label": t("sortBy"), onchange: (e) => {
    state.sort = e.target.value;
    localStorage.setItem("relaydesk.sort", state.sort);
    reload();
  } }, options(SORTS.map((x) => [x, t(x)]), state.sort));
  const visible = state.list.map((x) => x.id);
  const all = h("input", { type: "checkbox", name: "pick-all", "aria-label": t("selectAll"),
    checked: visible.length > 0 && visible.every((id) => state.picked.has(id)),
    onchange: (e) => { state.picked = new Set(e.target.checked ? visible : []); renderList(); } });
  fill(slots.list, filtersPanel(),
    h("div", { class: "list-tools" }, all, h("span", { class: "count" }, t("shown", { n: state.list.length })), sort),
    state.picked.size ? bulkBar() : null,
    items.length ? h("ul", { class: "tickets", "aria-label": t("tickets") }, items) : h("div", { class: "empty" }, t("noTickets")));
}

// The same change to every ticket picked in the list, one request each, then one reload.
function bulkBar() {
  const picked = state.list.filter((x) => state.picked.has(x.id));
  const apply = async (path, body) => {
    const failed = [];
    for (const ticket of picked) {
      try { await api.call("POST", `/tickets/${ticket.id}${path}`, { ...body, version: ticket.version }); }
      catch (failure) { failed.push(`#${ticket.number}: ${failure.message}`); }
    }
    if (failed.length) alert(`${t("error")}: ${failed.join("; ")}`);
    state.picked = new Set();
    await reload();
  };
  const status = h("select", { name: "bulk-status", "aria-label": t("setStatus"),
    onchange: (e) => e.target.value && apply("/status", { status: e.target.value }) },
  options([["", t("setStatus")], ...STATUSES.map((x) => [x, t(x)])], ""));
  const tag = h("input", { name: "bulk-tag", list: "known-tags-bulk", placeholder: t("addTag"), "aria-label": t("addTag"),
    onkeydown: (e) => { if (e.key === "Enter" && tag.value.trim()) apply("/tags", { add: [tag.value.trim()], remove: [] }); } });
  const known = [...new Set(state.list.flatMap((x) => x.tags))];
  return h("div", { class: "bulk", role: "region", "aria-label": t("bulkActions") },
    h("strong", {}, t("picked", { n: picked.length })),
    h("button", { name: "bulk-assign-me", onclick: () => apply("/assign", { agent: "me" }) }, t("assignToMe")),
    status, tag, h("datalist", { id: "known-tags-bulk" }, known.map((x) => h("option", { value: x }))),
    h("button", { class: "link", onclick: () => { state.picked = new Set(); renderList(); } }, t("clearSelection")));
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
      saveUnread();
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
  const wasUnread = state.unread.delete(id);
  saveUnread();
  updateTitle();
  renderTicket();
  // The list itself is unchanged: mark the row open (rebuilding 100 rows cost the paint ~20 ms).
  const row = slots.list.querySelector(`li[data-ticket="${id}"]`);
  if (!row || wasUnread) { renderList(); return; }
  for (const other of slots.list.querySelectorAll("li.current")) { other.classList.remove("current"); other.removeAttribute("aria-current"); }
  row.classList.add("current");
  row.setAttribute("aria-current", "true");
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

// What the ticket's parts need from the page, in one place.
const ctx = {
  get state() { return state; }, api, t, act, agentName, openTicket: (...args) => openTicket(...args),
  renderTicket: () => renderTicket(), reloadList: () => reload(),
};

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
  document.querySelector(".layout")?.classList.toggle("showing-ticket", Boolean(ticket));
  if (!ticket) { slots.detail.replaceChildren(h("div", { class: "empty" }, t("pick"))); return; }
  const back = h("button", { class: "back", name: "back", "aria-label": t("backToList"),
    onclick: () => { state.current = null; renderTicket(); renderList(); } }, "←");
  slots.detail.replaceChildren(h("div", { class: "ticket", "data-ticket": ticket.id },
    h("div", { class: "conversation" },
      h("header", {}, h("h2", {}, back, channelIcon(ticket.channel, t), h("span", { class: "title" }, `#${ticket.number} ${ticket.subject || "—"}`)),
        h("div", { class: "sla-slot" }, slaBadge(ticket, t)), facts(ticket), ticketActions(ticket, ctx)),
      h("div", { class: "messages", "aria-label": t("conversation") }, messagesView(ticket, ctx)),
      h("div", { class: "typing", role: "status", "aria-live": "polite" }, typingText(ticket.id)),
      composer(ticket, ctx)),
    contactPanel(ticket, ctx)));
  const list = slots.detail.querySelector(".messages");
  list.scrollTop = list.scrollHeight;
  if (writing) slots.detail.querySelector("textarea[name=reply]")?.focus();
}

// ----- keyboard -----
function move(step) {
  if (!state.list.length) return;
  const at = state.list.findIndex((x) => x.id === state.current?.id);
  const next = state.list[Math.min(Math.max(at + step, 0), state.list.length - 1)];
  if (next) openTicket(next.id).then(() => slots.list.querySelector(`[data-ticket="${next.id}"]`)?.scrollIntoView({ block: "nearest" }));
}

function compose(note) {
  const form = slots.detail.querySelector("form.composer");
  if (!form) return;
  form.setMode(note);
  form.querySelector("textarea[name=reply]").focus();
}

installShortcuts({
  j: () => move(1), k: () => move(-1),
  r: () => compose(false), n: () => compose(true),
  a: () => state.current && state.current.assignee !== state.me?.id && act("/assign", { agent: "me" }),
  e: () => state.current && setStatus(ctx, state.current, "resolved"),
  x: () => { if (state.current) { const id = state.current.id; if (state.picked.has(id)) state.picked.delete(id); else state.picked.add(id); renderList(); } },
  "/": () => document.querySelector("header.top input[name=q]")?.focus(),
  "?": () => helpDialog(t),
});

if (api.token) start().catch(() => logout()); else loginPage();
