// The customer beside the conversation: name, avatar, email, phone, every channel they wrote
// from, local time, language, earlier tickets; name, email, phone and time zone editable.
import { h } from "./dom.js";
import { avatar, channelIcon, displayName, identityParts } from "./people.js";
import { localTime } from "./sla.js";

export function contactPanel(ticket, ctx) {
  const { t, api } = ctx;
  const c = ticket.contact;
  const name = displayName(c, ticket, t);
  const previous = h("ul", { class: "previous" });
  api.call("GET", "/tickets", undefined, { contact: c.id, limit: 20 }).then((page) => {
    const others = page.items.filter((other) => other.id !== ticket.id);
    previous.replaceChildren(...(others.length ? others.map((other) => h("li", {},
      h("a", { href: "#", onclick: (e) => { e.preventDefault(); ctx.openTicket(other.id); } }, `#${other.number} ${other.subject || "—"}`),
      h("span", { class: "muted" }, ` · ${t(other.status)}`))) : [h("li", { class: "muted" }, t("noOtherTickets"))]));
  }).catch(() => {});
  const local = localTime(c.timezone);
  const page = [...ticket.messages].reverse().find((m) => m.direction === "inbound" && m.page)?.page;
  return h("aside", { class: "contact", "aria-label": t("contact") },
    h("div", { class: "person" }, avatar(name, c.id, true), h("div", { class: "name", "data-contact-name": name }, name)),
    c.email ? h("div", {}, h("a", { href: `mailto:${c.email}` }, c.email)) : null,
    c.phone ? h("div", {}, c.phone) : null,
    local ? h("div", { class: "local-time" }, t("localTime", { time: local })) : null,
    c.language ? h("div", { class: "muted" }, `${t("languageOf")}: ${c.language}`) : null,
    page ? h("div", { class: "page" }, `${t("wroteFrom")}: `, pageLink(page)) : null,
    h("h3", {}, t("channels")),
    h("ul", { class: "channels" }, c.identities.map((identity) => {
      const [channel, id] = identityParts(identity);
      return h("li", { title: identity }, channelIcon(channel, t), h("span", {}, `${t(`channel_${channel}`)} · ${shortId(id)}`));
    })),
    h("h3", {}, t("previous")), previous,
    h("h3", {}, t("editContact")), editForm(ticket, ctx));
}

// The address is the visitor's browser's word: a link only when it is http(s), never opened
// with access to this page.
function pageLink(page) {
  if (!/^https?:\/\//i.test(page)) return page;
  return h("a", { href: page, target: "_blank", rel: "noopener noreferrer", "data-page": page }, page);
}

// A web chat visitor's id is 32 hex digits: agents need to tell two apart, not read it all.
function shortId(id) { return /^[0-9a-f]{24,}$/i.test(id) ? `${id.slice(0, 6)}…` : id; }

function editForm(ticket, ctx) {
  const { t, api } = ctx;
  const c = ticket.contact;
  const input = (fieldName, value, type = "text", placeholder = "") =>
    h("label", { class: "field" }, h("span", {}, t(fieldName)), h("input", { name: `contact-${fieldName}`, type, value: value || "", placeholder }));
  const form = h("form", { class: "edit-contact" },
    input("personName", c.name), input("email", c.email, "email"), input("phone", c.phone, "tel"),
    input("timezone", c.timezone, "text", "Asia/Vladivostok"),
    h("button", { type: "submit" }, t("save")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (n) => form.querySelector(`[name=contact-${n}]`).value.trim();
    const changes = {};
    for (const [key, field, before] of [["name", "personName", c.name], ["email", "email", c.email], ["phone", "phone", c.phone],
      ["timezone", "timezone", c.timezone]]) {
      if (value(field) && value(field) !== (before || "")) changes[key] = value(field);
    }
    if (!Object.keys(changes).length) return;
    try {
      await api.call("PUT", `/tickets/${ticket.id}/contact`, changes);
      await ctx.openTicket(ticket.id, true);
      await ctx.reloadList();  // the list shows the name too
    } catch (failure) { alert(`${t("error")}: ${failure.message}`); }
  });
  return form;
}
