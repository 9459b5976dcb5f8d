// The first-run tour: five short steps over the parts of the inbox, each outlining the part
// it talks about. It comes back at each login until the agent ticks "don't show again",
// which is kept on their profile (PUT /me/tour); closed without it, it stays away for the
// rest of this browser session.
import { h } from "./dom.js";

const STEPS = [
  ["nav.views", "tourViews"],
  ["section.list", "tourList"],
  ["section.detail", "tourTicket"],
  ["header.top input[name=q]", "tourSearch"],
  ["header.top button[name=help]", "tourKeys"],
];
const SEEN = "relaydesk.tour.closed";

export function maybeTour(api, me, t) {
  if (me.tour_done || sessionStorage.getItem(SEEN) === me.id) return;
  let at = 0;
  const title = h("h2", { id: "tour-title" });
  const body = h("p", { id: "tour-body" });
  const count = h("span", { class: "muted" });
  const never = h("input", { type: "checkbox", name: "tour-never" });
  const back = h("button", { type: "button", name: "tour-back" }, t("tourBack"));
  const next = h("button", { type: "button", class: "primary", name: "tour-next" });
  const panel = h("dialog", { class: "tour", "aria-labelledby": "tour-title", "aria-describedby": "tour-body" },
    title, body,
    h("label", { class: "never" }, never, t("tourNever")),
    h("div", { class: "buttons" }, count, h("button", { type: "button", name: "tour-skip", onclick: () => finish() }, t("tourSkip")), back, next));

  function show() {
    for (const old of document.querySelectorAll(".tour-target")) old.classList.remove("tour-target");
    const [selector, key] = STEPS[at];
    document.querySelector(selector)?.classList.add("tour-target");
    title.textContent = t(`${key}Title`);
    body.textContent = t(key);
    count.textContent = `${at + 1} / ${STEPS.length}`;
    back.disabled = at === 0;
    next.textContent = at === STEPS.length - 1 ? t("tourDone") : t("tourNext");
  }

  async function finish() {
    for (const old of document.querySelectorAll(".tour-target")) old.classList.remove("tour-target");
    panel.close();
    panel.remove();
    sessionStorage.setItem(SEEN, me.id);
    if (never.checked) await api.call("PUT", "/me/tour", { done: true }).catch(() => {});
  }

  back.addEventListener("click", () => { at = Math.max(at - 1, 0); show(); });
  next.addEventListener("click", () => { if (at === STEPS.length - 1) finish(); else { at += 1; show(); } });
  panel.addEventListener("keydown", (event) => { if (event.key === "Escape") finish(); });
  document.body.append(panel);
  // Not modal: the agent may try what a step shows while it is open.
  panel.show();
  show();
  next.focus();
}
