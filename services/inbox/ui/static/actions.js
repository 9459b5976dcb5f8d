// What an agent does to a ticket, each control with words on it: assign, transfer, status,
// priority, tags as chips with suggestions, merge through a picker that searches tickets,
// split, escalate. Closing and merging wait a few seconds with an Undo before they happen.
import { h, options } from "./dom.js";
import { displayName } from "./people.js";

export const STATUSES = ["open", "pending", "resolved", "closed"];
export const PRIORITIES = ["low", "normal", "high", "urgent"];
const UNDO_SECONDS = 5;

function field(label, control) {
  return h("label", { class: "field" }, h("span", {}, label), control);
}

// Runs `action` after UNDO_SECONDS unless the agent presses Undo; says what will happen.
export function withUndo(text, action, t) {
  let tray = document.querySelector(".toasts");
  if (!tray) { tray = h("div", { class: "toasts" }); document.body.append(tray); }
  const timer = setTimeout(() => { toast.remove(); action(); }, UNDO_SECONDS * 1000);
  const undo = h("button", { class: "link", name: "undo", onclick: () => { clearTimeout(timer); toast.remove(); } }, t("undo"));
  const toast = h("div", { class: "toast undo", role: "status" }, h("span", {}, text), undo);
  tray.append(toast);
  undo.focus();
}

export function ticketActions(ticket, ctx) {
  const { t, state, act } = ctx;
  const members = [...state.agents.values()].filter((a) => a.active && a.departments.includes(ticket.department));
  const assign = h("select", { name: "assignee", onchange: (e) => act("/assign", { agent: e.target.value || null }) },
    options([["", t("nobody")], ...members.map((a) => [a.id, a.name])], ticket.assignee || ""));
  const transfer = h("select", { name: "department", onchange: (e) => act("/transfer", { department: e.target.value }) },
    options(state.departments.map((d) => [d.id, d.name]), ticket.department || ""));
  const status = h("select", { name: "status", onchange: (e) => setStatus(ctx, ticket, e.target.value) },
    options(STATUSES.map((s) => [s, t(s)]), ticket.status));
  const priority = h("select", { name: "priority", onchange: (e) => act("/priority", { priority: e.target.value }) },
    options(PRIORITIES.map((p) => [p, t(p)]), ticket.priority));
  return h("div", { class: "actions" },
    h("button", { name: "assign-me", onclick: () => act("/assign", { agent: "me" }), disabled: ticket.assignee === state.me.id }, t("assignToMe")),
    field(t("assignee"), assign), field(t("department"), transfer), field(t("status"), status), field(t("priority"), priority),
    field(t("tags"), tagChips(ticket, ctx)),
    h("button", { name: "merge", onclick: () => mergePicker(ticket, ctx) }, t("mergeButton")),
    h("button", { name: "split", disabled: state.selected.size === 0, onclick: () => act("/split", { message_ids: [...state.selected] }) },
      t("split")),
    h("button", { name: "escalate", onclick: () => {
      const reason = prompt(t("escalateReason"));
      if (reason && reason.trim()) act("/escalate", { reason: reason.trim() });
    } }, t("escalate")));
}

// Closing waits with an Undo; every other status applies at once.
export function setStatus(ctx, ticket, value) {
  if (value !== "closed") return ctx.act("/status", { status: value });
  withUndo(ctx.t("closing", { n: ticket.number }), () => ctx.act("/status", { status: "closed" }), ctx.t);
  return Promise.resolve();
}

function tagChips(ticket, ctx) {
  const { t, act } = ctx;
  const known = new Set(ctx.state.list.flatMap((x) => x.tags));
  const input = h("input", { name: "tag", list: "known-tags", placeholder: t("addTag"), "aria-label": t("addTag"),
    onkeydown: (e) => {
      if (e.key !== "Enter" && e.key !== ",") return;
      e.preventDefault();
      const tag = input.value.trim().replace(/,$/, "");
      if (tag && !ticket.tags.includes(tag)) act("/tags", { add: [tag], remove: [] });
    } });
  return h("span", { class: "chips", "data-tags": ticket.tags.join(",") },
    ticket.tags.map((tag) => h("span", { class: "chip", "data-tag": tag }, tag,
      h("button", { type: "button", "aria-label": t("removeTag", { tag }), onclick: () => act("/tags", { add: [], remove: [tag] }) }, "×"))),
    input, h("datalist", { id: "known-tags" }, [...known].filter((x) => !ticket.tags.includes(x)).map((x) => h("option", { value: x }))));
}

// Finds the ticket to merge into by number, subject or customer; never asks for a raw id.
export function mergePicker(ticket, ctx) {
  const { t, api } = ctx;
  let chosen = null;
  const found = h("ul", { class: "found", "aria-label": t("results") });
  const confirm = h("button", { class: "primary", name: "confirm-merge", disabled: true }, t("mergeButton"));
  const search = h("input", { type: "search", name: "merge-search", placeholder: t("mergeSearch"), "aria-label": t("mergeSearch") });
  const dialog = h("dialog", { "aria-label": t("mergeTitle", { n: ticket.number }) },
    h("h2", {}, t("mergeTitle", { n: ticket.number })), search, found,
    h("div", { class: "buttons" }, h("button", { onclick: () => dialog.close() }, t("cancel")), confirm));
  let timer = null;
  const lookup = async () => {
    const text = search.value.trim();
    const number = text.replace(/^#/, "");
    const query = /^\d+$/.test(number) ? { number, limit: 1 } : { q: text, limit: 20 };
    const page = text ? await api.call("GET", "/tickets", undefined, query) : { items: [] };
    const items = page.items.filter((x) => x.id !== ticket.id && x.status !== "closed");
    found.replaceChildren(...items.slice(0, 20).map((x) => h("li", {}, h("button", {
      "aria-pressed": "false", "data-number": x.number, onclick: (e) => {
        chosen = x;
        for (const b of found.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b === e.currentTarget));
        confirm.disabled = false;
      } }, `#${x.number} · ${x.subject || "—"} · ${displayName(x.contact, x, t)}`))));
  };
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => lookup().catch(() => {}), 200); });
  confirm.addEventListener("click", () => {
    const into = chosen;
    dialog.close();
    withUndo(t("merging", { from: ticket.number, into: into.number }), () => ctx.act("/merge", { into: into.id }), t);
  });
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  search.focus();
}
