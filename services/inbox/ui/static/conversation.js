// The open conversation: messages under day separators, who wrote each (initials, channel),
// delivery ticks, attachments as thumbnails or file chips, and the composer with the
// channel's length limit and a draft per ticket that survives a reload.
import { formatter, h } from "./dom.js";
import { language } from "./i18n.js";
import { avatar, channelIcon, displayName } from "./people.js";

// Characters a single message may have on each messenger; mail and the web chat take more
// than an agent writes.
export const LIMITS = { telegram: 4096, vk: 4096, viber: 7000 };
const TICKS = { sent: "✓", delivered: "✓✓", read: "✓✓", failed: "!", pending: "🕓" };

export function fullDate(iso) {
  return formatter(language(), { dateStyle: "full", timeStyle: "short" }).format(new Date(iso));
}

function dayKey(iso) { return new Date(iso).toDateString(); }

function dayLabel(iso, t) {
  const date = new Date(iso);
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (date.toDateString() === today.toDateString()) return t("today");
  if (date.toDateString() === yesterday.toDateString()) return t("yesterday");
  const sameYear = date.getFullYear() === today.getFullYear();
  const options = { day: "numeric", month: "long", weekday: "short" };
  return formatter(language(), sameYear ? options : { ...options, year: "numeric" }).format(date);
}

// A long conversation opens on its latest messages; the earlier ones are a click away (a
// 500-message ticket built and laid out every message before its first paint: 150-700 ms).
export const SHOWN = 100;
const expanded = new Set();

export function messagesView(ticket, ctx) {
  const nodes = [];
  let day = null;
  const hidden = expanded.has(ticket.id) ? 0 : Math.max(ticket.messages.length - SHOWN, 0);
  if (hidden) {
    nodes.push(h("button", { class: "link earlier", name: "earlier", onclick: () => { expanded.add(ticket.id); ctx.renderTicket(); } },
      ctx.t("earlier", { n: hidden })));
  }
  for (const m of ticket.messages.slice(hidden)) {
    if (dayKey(m.created_at) !== day) {
      day = dayKey(m.created_at);
      nodes.push(h("div", { class: "day", role: "separator", "data-day": m.created_at.slice(0, 10) }, dayLabel(m.created_at, ctx.t)));
    }
    nodes.push(message(m, ticket, ctx));
  }
  return nodes;
}

function message(m, ticket, ctx) {
  const { t, state } = ctx;
  const customer = m.direction === "inbound";
  const author = customer ? displayName(ticket.contact, ticket, t) : ctx.agentName(m.author);
  const select = h("input", { type: "checkbox", "aria-label": t("selectMessage"), checked: state.selected.has(m.id),
    onchange: (e) => { if (e.target.checked) state.selected.add(m.id); else state.selected.delete(m.id); ctx.renderTicket(); } });
  const time = formatter(language(), { hour: "2-digit", minute: "2-digit" }).format(new Date(m.created_at));
  return h("article", { class: `message ${m.direction}`, "data-message": m.id, "data-direction": m.direction },
    avatar(author, customer ? ticket.contact.id : m.author),
    h("div", { class: "bubble" },
      h("div", { class: "by" }, select,
        m.direction === "note" ? h("span", { class: "label" }, t("internalNote")) : null,
        h("span", { class: "author" }, author),
        customer ? channelIcon(ticket.channel, t) : null,
        h("time", { datetime: m.created_at, title: fullDate(m.created_at) }, time)),
      // Customer text (and any HTML they sent) is shown as text: it never becomes markup.
      messageText(m, t),
      m.attachments.length ? h("ul", { class: "attachments" }, m.attachments.map((a) => h("li", {}, attachment(m, a, ctx)))) : null,
      m.raw_ref ? h("div", { class: "original" }, fileLink(m, { ref: m.raw_ref, name: t("original") }, ctx)) : null,
      m.direction === "outbound" ? delivery(m, t) : null));
}

function delivery(m, t) {
  const status = m.delivery_status || "pending";
  return h("div", { class: `delivery ${status}`, "data-delivery": status },
    h("span", { class: "ticks", "aria-hidden": "true" }, TICKS[status] || ""),
    t(m.delivery_status || "pendingDelivery"), m.delivery_reason ? `: ${m.delivery_reason}` : "");
}

// Quoted history and signatures under a mail are kept whole and shown folded.
function messageText(m, t) {
  if (!m.folded_from) return h("div", { class: "text" }, m.text);
  return h("div", { class: "text" }, m.text.slice(0, m.folded_from),
    h("details", { class: "quoted" }, h("summary", {}, t("quoted")),
      h("div", { class: "quote" }, m.text.slice(m.folded_from))));
}

function filePath(m, a, ctx) {
  return `/tickets/${m.ticket_id || ctx.state.current.id}/files/${a.ref.slice(5)}`;
}

function fileLink(m, a, ctx) {
  if (!(a.ref && a.ref.startsWith("file:"))) return a.name;
  return h("a", { href: "#", "data-file": a.name, onclick: (e) => {
    e.preventDefault();
    ctx.api.download(filePath(m, a, ctx), a.name).catch((failure) => alert(`${ctx.t("error")}: ${failure.message}`));
  } }, a.name);
}

// A file's content never changes (its path is its sha256): each image is fetched once, not on
// every re-render the ticket's events cause. The page is an agent's working day: bounded.
const thumbnails = new Map();  // path -> Promise of an object URL
function thumbnail(api, path) {
  if (!thumbnails.has(path)) {
    if (thumbnails.size >= 200) {
      const [oldest, url] = thumbnails.entries().next().value;
      thumbnails.delete(oldest);
      url.then((u) => URL.revokeObjectURL(u)).catch(() => {});
    }
    const url = api.blob(path).then((blob) => URL.createObjectURL(blob));
    url.catch(() => thumbnails.delete(path));  // fetched again next time
    thumbnails.set(path, url);
  }
  return thumbnails.get(path);
}

// An image is shown small (fetched with the agent's token, so as a blob); anything else is a
// chip with its name and size that downloads on a click.
function attachment(m, a, ctx) {
  const size = `${Math.max(1, Math.ceil(a.size / 1024))} KB`;
  const stored = a.ref && a.ref.startsWith("file:");
  if (stored && (a.content_type || "").startsWith("image/")) {
    const img = h("img", { alt: a.name, title: `${a.name} · ${size}`, "data-thumbnail": a.name });
    thumbnail(ctx.api, filePath(m, a, ctx)).then((url) => { img.src = url; }).catch(() => img.replaceWith(chip()));
    return h("a", { href: "#", "data-file": a.name, onclick: (e) => {
      e.preventDefault();
      ctx.api.download(filePath(m, a, ctx), a.name).catch(() => {});
    } }, img);
  }
  function chip() { return h("span", { class: "file-chip" }, "📎 ", fileLink(m, a, ctx), h("span", { class: "muted" }, size)); }
  return chip();
}

// ----- the composer -----
const chosen = new Map();  // ticket id -> files picked for the reply being written

function draftKey(ctx, ticketId) { return `relaydesk.draft.${ctx.state.me.id}.${ticketId}`; }

export function composer(ticket, ctx) {
  const { t, state, api } = ctx;
  const limit = LIMITS[ticket.channel];
  const text = h("textarea", { name: "reply", placeholder: t("writeHere"), "aria-label": t("writeHere") });
  // Kept in the browser: the reply being written survives the ticket's events and a reload.
  text.value = localStorage.getItem(draftKey(ctx, ticket.id)) || "";
  const left = h("span", { class: "limit", "aria-live": "polite" });
  const internal = { on: false };
  const form = h("form", { class: "composer" });
  const replyTab = h("button", { type: "button", "aria-pressed": "true", name: "mode-reply" }, t("replyTab"));
  const noteTab = h("button", { type: "button", "aria-pressed": "false", name: "mode-note" }, t("noteTab"));
  const send = h("button", { class: "primary", type: "submit" }, t("reply"));
  const countLeft = () => {
    if (!limit || internal.on) { left.textContent = ""; left.classList.remove("over"); return; }
    const remaining = limit - Array.from(text.value).length;
    left.textContent = t("charsLeft", { n: remaining });
    left.classList.toggle("over", remaining < 0);
    send.disabled = remaining < 0;
  };
  const mode = (note) => {
    internal.on = note;
    form.classList.toggle("internal", note);
    replyTab.setAttribute("aria-pressed", String(!note));
    noteTab.setAttribute("aria-pressed", String(note));
    send.textContent = note ? t("note") : t("reply");
    countLeft();
  };
  replyTab.addEventListener("click", () => { mode(false); text.focus(); });
  noteTab.addEventListener("click", () => { mode(true); text.focus(); });
  text.addEventListener("input", () => {
    if (text.value) localStorage.setItem(draftKey(ctx, ticket.id), text.value);
    else localStorage.removeItem(draftKey(ctx, ticket.id));
    countLeft();
  });
  const usable = state.templates.filter((tpl) => !tpl.department || tpl.department === ticket.department);
  const picker = h("input", { name: "template", list: "templates", placeholder: t("template"), "aria-label": t("template"),
    onchange: (e) => {
      const chosen = usable.find((tpl) => tpl.name === e.target.value);
      if (chosen) { text.value = chosen.text; e.target.value = ""; text.dispatchEvent(new Event("input")); text.focus(); }
    } });
  const files = h("input", { type: "file", name: "files", multiple: true, "aria-label": t("attachments") });
  // Like the text, the files chosen survive the re-render each of the ticket's events causes
  // (they were lost when an event came between choosing them and sending).
  if (chosen.has(ticket.id)) {
    const kept = new DataTransfer();
    for (const file of chosen.get(ticket.id)) kept.items.add(file);
    files.files = kept.files;
  }
  files.addEventListener("change", () => {
    if (files.files.length) chosen.set(ticket.id, [...files.files]); else chosen.delete(ticket.id);
  });
  // The link works once and expires: it is made when the agent asks, and sent as a reply.
  const portalLink = h("button", { type: "button", name: "portal-link", title: t("portalLinkHint"), onclick: async () => {
    try {
      const { url } = await api.call("POST", `/tickets/${ticket.id}/portal-link`);
      const line = t("portalLinkText", { url });
      text.value = text.value.trim() ? `${text.value.trimEnd()}\n\n${line}` : line;
      text.dispatchEvent(new Event("input"));
      text.focus();
    } catch (failure) { alert(`${t("error")}: ${failure.message}`); }
  } }, t("portalLink"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!text.value.trim() || send.disabled) return;
    send.disabled = true;
    try {
      const attachments = [];
      for (const file of files.files) attachments.push(await api.upload(file));
      await api.call("POST", `/tickets/${ticket.id}/messages`, { text: text.value, internal: internal.on, attachments });
      text.value = "";
      localStorage.removeItem(draftKey(ctx, ticket.id));
      files.value = "";
      chosen.delete(ticket.id);
      await ctx.openTicket(ticket.id, true);
    } catch (failure) {
      alert(`${t("error")}: ${failure.message}`);
    } finally { send.disabled = false; }
  });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.requestSubmit(); }
    if (event.key === "Escape") text.blur();
  });
  let typingSent = 0;  // the customer sees "typing…" for a few seconds; say it again every 3 s
  text.addEventListener("input", () => {
    if (internal.on || Date.now() - typingSent < 3000) return;
    typingSent = Date.now();
    api.call("POST", `/tickets/${ticket.id}/typing`).catch(() => {});
  });
  form.append(h("div", { class: "row tabs" }, replyTab, noteTab, left), text,
    h("div", { class: "row" }, picker, files, portalLink, h("span", { class: "muted" }, h("kbd", {}, "Ctrl"), "+", h("kbd", {}, "Enter")), send));
  form.setMode = mode;  // the r and n shortcuts
  countLeft();
  return h("div", {}, h("datalist", { id: "templates" }, usable.map((tpl) => h("option", { value: tpl.name }))), form);
}
