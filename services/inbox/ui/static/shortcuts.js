// Keyboard shortcuts for agents who live in the inbox, and the help that lists them (?).
// Keys typed into a field are the field's; Escape leaves it.
import { h } from "./dom.js";

export const KEYS = [
  ["j", "keyNext"], ["k", "keyPrevious"], ["Enter", "keyOpen"], ["r", "keyReply"], ["n", "keyNote"],
  ["a", "keyAssignMe"], ["e", "keyResolve"], ["x", "keySelect"], ["/", "keySearch"], ["?", "keyHelp"],
];

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

export function installShortcuts(handlers) {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (document.querySelector("dialog:modal")) return;  // the help, the merge picker
    const handler = handlers[event.key];
    if (!handler) return;
    event.preventDefault();
    handler(event);
  });
}

export function helpDialog(t) {
  const dialog = h("dialog", { class: "help", "aria-label": t("shortcuts") },
    h("h2", {}, t("shortcuts")),
    h("dl", { class: "keys" }, KEYS.flatMap(([key, label]) => [h("dt", {}, h("kbd", {}, key)), h("dd", {}, t(label))])),
    h("div", { class: "buttons" }, h("button", { class: "primary", onclick: () => dialog.close() }, t("close"))));
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
