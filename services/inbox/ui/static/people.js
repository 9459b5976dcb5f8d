// Who is who at a glance: a readable name for every customer (never a raw id), initials
// avatars coloured by person, and the channel's icon with its name for screen readers.
import { h } from "./dom.js";

export const CHANNELS = ["email", "webchat", "telegram", "vk", "viber"];

// A stable small number for a person: the same visitor is "Visitor 4821" everywhere.
function hash(text) {
  let value = 2166136261;
  for (const char of String(text)) {
    value ^= char.codePointAt(0);
    value = Math.imul(value, 16777619) >>> 0;
  }
  return value;
}

export function visitorNumber(contact) {
  const who = contact.identities?.[0] || contact.id;
  return 1000 + (hash(who) % 9000);
}

// The name agents read: the person's own (messenger or mail display name), else their
// address, else "Visitor 4821 · <site>" for a web chat visitor who gave none.
export function displayName(contact, ticket, t) {
  const name = (contact?.name || "").trim();
  if (name) return name;
  if (contact?.email) return contact.email;
  if (contact?.phone) return contact.phone;
  const visitor = t("visitor", { n: visitorNumber(contact || { id: ticket?.id || "" }) });
  return ticket?.account ? `${visitor} · ${ticket.account}` : visitor;
}

export function initials(name) {
  const words = String(name).split(/[\s·@._-]+/u).filter((w) => /\p{L}|\p{N}/u.test(w));
  const letters = words.slice(0, 2).map((w) => Array.from(w)[0]);
  return (letters.join("") || Array.from(String(name))[0] || "?").toUpperCase();
}

export function avatar(name, key, large = false) {
  return h("span", { class: `avatar hue-${hash(key || name) % 8}${large ? " large" : ""}`, "aria-hidden": "true" },
    initials(name));
}

export function channelIcon(channel, t) {
  const label = t(`channel_${channel}`);
  if (!CHANNELS.includes(channel)) return h("span", { class: "channel-name" }, label);
  return h("img", { class: "channel-icon", src: `/ui/icons/${channel}.svg`, alt: label, title: label, width: 16, height: 16 });
}

// "telegram:12345" as the agent reads it: the channel's name and the platform's id.
export function identityParts(identity) {
  const at = identity.indexOf(":");
  return at < 0 ? ["", identity] : [identity.slice(0, at), identity.slice(at + 1)];
}
