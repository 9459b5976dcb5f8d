// Admin pages: departments (signature, working hours, acknowledgement, follow-ups), agents,
// reply templates, routing rules, SLA policies and bot menus.
// Supervisors see the templates page only; the API refuses the rest to them anyway.
import { h, options } from "./dom.js";
import { calendarFields } from "./sla.js";

const POLICIES = ["least_loaded", "round_robin", "sticky", "manual"];
const ROLES = ["agent", "supervisor", "admin"];

export function adminPage(api, state, t, refresh) {
  const page = h("section", { class: "admin" });
  const tabs = state.me.role === "admin" ? ["departments", "agents", "templates", "rules", "sla", "menus"] : ["templates"];
  let tab = tabs[0];
  const status = h("div", { class: "error", role: "status" });

  async function save(method, path, body) {
    try {
      await api.call(method, path, body);
      await refresh();
      status.textContent = t("saved_");
      draw();
    } catch (failure) {
      status.textContent = `${t("error")}: ${failure.message}`;
    }
  }

  function departments() {
    const form = (d = { id: "", name: "", signature: "", policy: "least_loaded" }) => {
      const id = h("input", { name: "id", value: d.id, disabled: Boolean(d.id), "aria-label": t("id") });
      const name = h("input", { name: "name", value: d.name, "aria-label": t("name") });
      const signature = h("textarea", { name: "signature", "aria-label": t("signature") }, d.signature);
      const policy = h("select", { name: "policy", "aria-label": t("policy") }, options(POLICIES.map((p) => [p, p]), d.policy));
      const calendar = calendarFields(d.calendar, t);
      const acknowledge = h("input", { type: "checkbox", name: "acknowledge", checked: Boolean(d.acknowledge) });
      const csat = h("input", { type: "checkbox", name: "csat", checked: Boolean(d.csat) });
      const number = (key, value) => h("input", { type: "number", min: 1, name: key, value: value ?? "", "aria-label": t(key) });
      const remind = number("remindHours", d.remind_pending_hours);
      const resolve = number("resolveDays", d.resolve_pending_days);
      const close = number("closeDays", d.close_resolved_days);
      const orNull = (input) => (input.value ? Number(input.value) : null);
      return h("form", { onsubmit: (e) => {
        e.preventDefault();
        const body = { ...d, id: id.value.trim(), name: name.value, signature: signature.value, policy: policy.value,
          calendar: calendar.read(), acknowledge: acknowledge.checked, csat: csat.checked, remind_pending_hours: orNull(remind),
          resolve_pending_days: orNull(resolve), close_resolved_days: orNull(close) };
        delete body.schema_version;
        save(d.id ? "PUT" : "POST", d.id ? `/departments/${d.id}` : "/departments", body);
      } }, h("label", {}, t("id"), id), h("label", {}, t("name"), name), h("label", {}, t("signature"), signature),
      h("label", {}, t("policy"), policy), calendar.node, h("label", {}, acknowledge, t("acknowledge")), h("label", {}, csat, t("csat")),
      h("label", {}, t("remindHours"), remind), h("label", {}, t("resolveDays"), resolve), h("label", {}, t("closeDays"), close),
      h("button", { class: "primary" }, d.id ? t("save") : t("newItem")));
    };
    return [...state.departments.map((d) => form(d)), form()];
  }

  function agents() {
    const form = (a = { id: "", email: "", name: "", role: "agent", departments: [], languages: [], capacity: 10, active: true }) => {
      const email = h("input", { name: "email", type: "email", value: a.email, "aria-label": t("email") });
      const name = h("input", { name: "name", value: a.name, "aria-label": t("name") });
      const role = h("select", { name: "role", "aria-label": t("role") }, options(ROLES.map((r) => [r, r]), a.role));
      const boxes = state.departments.map((d) => h("label", {}, h("input", { type: "checkbox", value: d.id, checked: a.departments.includes(d.id) }), d.name));
      const langs = h("input", { name: "languages", value: a.languages.join(", "), "aria-label": t("languages") });
      const capacity = h("input", { name: "capacity", type: "number", min: 0, value: a.capacity, "aria-label": t("capacity") });
      const active = h("input", { name: "active", type: "checkbox", checked: a.active });
      const password = h("input", { name: "password", type: "password", autocomplete: "new-password", "aria-label": t("password") });
      return h("form", { onsubmit: (e) => {
        e.preventDefault();
        const body = {
          email: email.value, name: name.value, role: role.value,
          departments: boxes.map((b) => b.firstChild).filter((c) => c.checked).map((c) => c.value),
          languages: langs.value.split(",").map((x) => x.trim()).filter(Boolean),
          capacity: Number(capacity.value), active: active.checked,
        };
        if (password.value) body.password = password.value;
        save(a.id ? "PUT" : "POST", a.id ? `/agents/${a.id}` : "/agents", body);
      } }, h("label", {}, t("email"), email), h("label", {}, t("name"), name), h("label", {}, t("role"), role),
      h("fieldset", {}, h("legend", {}, t("departments")), boxes), h("label", {}, t("languages"), langs),
      h("label", {}, t("capacity"), capacity), h("label", {}, active, t("active")), h("label", {}, t("password"), password),
      h("button", { class: "primary" }, a.id ? t("save") : t("newItem")));
    };
    return [...[...state.agents.values()].map((a) => form(a)), form()];
  }

  function templates() {
    const mine = state.me.role === "admin" ? state.departments : state.departments.filter((d) => state.me.departments.includes(d.id));
    const form = (tpl = { id: "", name: "", text: "", department: mine[0]?.id || null }) => {
      const name = h("input", { name: "name", value: tpl.name, "aria-label": t("name") });
      const text = h("textarea", { name: "text", "aria-label": t("text") }, tpl.text);
      const choices = mine.map((d) => [d.id, d.name]);
      const department = h("select", { name: "department", "aria-label": t("department") },
        options(state.me.role === "admin" ? [["", t("any")], ...choices] : choices, tpl.department || ""));
      return h("form", { onsubmit: (e) => {
        e.preventDefault();
        const body = { name: name.value, text: text.value, department: department.value || null };
        save(tpl.id ? "PUT" : "POST", tpl.id ? `/templates/${tpl.id}` : "/templates", body);
      } }, h("label", {}, t("name"), name), h("label", {}, t("text"), text), h("label", {}, t("department"), department),
      h("div", {}, h("button", { class: "primary" }, tpl.id ? t("save") : t("newItem")),
        tpl.id ? h("button", { type: "button", onclick: () => save("DELETE", `/templates/${tpl.id}`) }, "✕") : null));
    };
    return [...state.templates.map((tpl) => form(tpl)), form()];
  }

  // An ordered list edited as JSON (routing rules, SLA policies): order is meaning.
  function orderedList(path, key, help) {
    const area = h("textarea", { class: "rules", name: key, "aria-label": t(help) });
    api.call("GET", path).then((r) => { area.value = JSON.stringify(r.items, null, 2); });
    return [h("form", { onsubmit: (e) => {
      e.preventDefault();
      let parsed;
      try { parsed = JSON.parse(area.value); } catch (failure) { status.textContent = `${t("error")}: ${failure.message}`; return; }
      save("PUT", path, { [key]: parsed });
    } }, h("p", {}, t(help)), area, h("button", { class: "primary" }, t("save")))];
  }
  const rules = () => orderedList("/routing-rules", "rules", "rulesHelp");
  const sla = () => orderedList("/sla-policies", "policies", "slaHelp");
  const menus = () => orderedList("/menus", "menus", "menusHelp");

  const PAGES = { departments, agents, templates, rules, sla, menus };
  function draw() {
    page.replaceChildren(
      h("div", { class: "actions" }, tabs.map((name) => h("button", { class: name === tab ? "primary" : "", onclick: () => { tab = name; draw(); } }, t(name)))),
      status, ...PAGES[tab]());
  }
  draw();
  return page;
}
