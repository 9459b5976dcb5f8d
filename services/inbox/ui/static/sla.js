// Service levels in the UI: the SLA badge of a ticket (list column and header), the
// customer's local time, and the calendar part of the department form.
import { h } from "./dom.js";

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

// The clock that decides the colour: the one with the earliest due time still running, else
// the last breached one (a missed target stays red until its clock stops).
export function slaState(ticket, now = Date.now()) {
  const sla = ticket.sla;
  if (!sla) return null;
  const running = sla.clocks.filter((c) => c.due_at && !c.done_at)
    .sort((a, b) => Date.parse(a.due_at) - Date.parse(b.due_at));
  const clock = running[0];
  if (!clock) {
    const missed = sla.clocks.find((c) => c.breached && !c.done_at);
    return missed ? { level: "breached", clock: missed, due: null } : null;
  }
  const due = Date.parse(clock.due_at);
  const warnFrom = due - sla.warning_minutes * 60000;
  const level = clock.breached || now >= due ? "breached" : now >= warnFrom ? "warning" : "ok";
  return { level, clock, due };
}

function untilText(t, due, now) {
  const minutes = Math.round((due - now) / 60000);
  const span = Math.abs(minutes) >= 120 ? t("hoursShort", { n: Math.round(Math.abs(minutes) / 60) })
    : t("minutesShort", { n: Math.abs(minutes) });
  return minutes >= 0 ? t("dueIn", { span }) : t("overdueBy", { span });
}

export function slaBadge(ticket, t, now = Date.now()) {
  const state = slaState(ticket, now);
  if (!state) return null;
  const target = t(state.clock.target);
  const text = state.due === null ? `${target}: ${t("breached")}` : `${target} ${untilText(t, state.due, now)}`;
  const title = state.due === null ? target : `${target}: ${new Date(state.due).toLocaleString()}`;
  return h("span", { class: `sla sla-${state.level}`, "data-sla": state.level, title }, text);
}

// An IANA zone or a fixed offset such as "+03:00" (what a mail's Date header tells).
export function localTime(zone, now = new Date()) {
  if (!zone) return null;
  const offset = /^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(zone.trim());
  if (offset) {
    const minutes = (Number(offset[2]) * 60 + Number(offset[3] || 0)) * (offset[1] === "-" ? -1 : 1);
    const shifted = new Date(now.getTime() + minutes * 60000);
    return shifted.toISOString().slice(11, 16);
  }
  try {
    return now.toLocaleTimeString([], { timeZone: zone, hour: "2-digit", minute: "2-digit" });
  } catch (error) {
    return null;
  }
}

function shiftsText(day) {
  return day.map((s) => `${s.start.slice(0, 5)}-${s.end.slice(0, 5) === "00:00" ? "24:00" : s.end.slice(0, 5)}`).join(", ");
}

function parseShifts(text) {
  return text.split(",").map((x) => x.trim()).filter(Boolean).map((part) => {
    const [start, end] = part.split("-").map((x) => x.trim());
    return { start, end };
  });
}

// The calendar fields of a department form; `read()` gives the calendar to save (or null:
// around the clock, which is also what a department without a calendar means).
export function calendarFields(calendar, t) {
  const c = calendar || { timezone: "Europe/Moscow", always_open: false, week: null, holidays: [], country: null };
  const week = c.week || [...Array(5)].map(() => [{ start: "09:00", end: "18:00" }]).concat([[], []]);
  const always = h("input", { type: "checkbox", name: "always_open", checked: !calendar || c.always_open });
  const zone = h("input", { name: "timezone", value: c.timezone, "aria-label": t("timezone") });
  const days = week.map((day, i) => h("input", { name: `week-${WEEKDAYS[i]}`, value: shiftsText(day), placeholder: "09:00-13:00, 14:00-18:00", "aria-label": t(WEEKDAYS[i]) }));
  const holidays = h("input", { name: "holidays", value: (c.holidays || []).join(", "), placeholder: "2027-01-07, 2027-03-08", "aria-label": t("holidays") });
  const country = h("input", { name: "country", value: c.country || "", placeholder: "RU", size: 4, "aria-label": t("country") });
  const node = h("fieldset", { class: "calendar" }, h("legend", {}, t("calendar")),
    h("label", {}, always, t("alwaysOpen")), h("label", {}, t("timezone"), zone),
    days.map((input, i) => h("label", {}, t(WEEKDAYS[i]), input)),
    h("label", {}, t("holidays"), holidays), h("label", {}, t("country"), country));
  const read = () => (always.checked ? null : {
    timezone: zone.value.trim(), always_open: false,
    week: days.map((input) => parseShifts(input.value)),
    holidays: holidays.value.split(",").map((x) => x.trim()).filter(Boolean),
    country: country.value.trim().toUpperCase() || null,
  });
  return { node, read };
}
