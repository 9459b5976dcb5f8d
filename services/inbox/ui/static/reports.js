// The reports page: volume as a chart (Chart.js, vendored in chart.umd.min.js, MIT), the load
// heat map by weekday and hour for shift planning, and the tables, each downloadable as CSV.
// Everything comes from /api/v1/reports/<table>, within what the agent may see.
import { h, options } from "./dom.js";

const TABLES = ["response_times", "sla", "csat", "backlog", "online"];
const PERIODS = ["hour", "day", "week", "month"];
const GROUPS = ["department", "agent", "channel"];

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

export function reportsPage(api, state, t) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const today = new Date();
  const from = h("input", { type: "date", name: "from", value: isoDay(new Date(today.getTime() - 29 * 86400000)), "aria-label": t("from") });
  const to = h("input", { type: "date", name: "to", value: isoDay(today), "aria-label": t("to") });
  const tz = h("input", { name: "tz", value: zone, "aria-label": t("timezone") });
  const period = h("select", { name: "period", "aria-label": t("period") }, options(PERIODS.map((p) => [p, t(`period_${p}`)]), "day"));
  const group = h("select", { name: "group", "aria-label": t("groupBy") }, options(GROUPS.map((g) => [g, t(g)]), "department"));
  const department = h("select", { name: "department", "aria-label": t("department") },
    options([["", t("any")], ...state.departments.map((d) => [d.id, d.name])], ""));
  const status = h("div", { class: "error", role: "status" });
  const canvas = h("canvas", { id: "volume-chart", "aria-label": t("volume"), role: "img" });
  const heat = h("div", { class: "heatmap" });
  const tables = h("div", { class: "report-tables" });
  let chart = null;

  function params(extra = {}) {
    const p = { from: from.value, to: to.value, tz: tz.value.trim(), period: period.value, group: group.value, ...extra };
    if (department.value) p.department = department.value;
    return p;
  }

  function csvButton(table) {
    const query = new URLSearchParams({ ...params(), format: "csv" });
    return h("button", { type: "button", "data-csv": table, onclick: () => api.download(`/reports/${table}?${query}`, `relaydesk-${table}.csv`) }, "CSV");
  }

  function drawVolume(table) {
    const labels = table.rows.map((r) => r[0]);
    const series = [["new", "#2f6fed"], ["inbound", "#e0a100"], ["outbound", "#1b8a5a"]];
    const data = { labels, datasets: series.map(([name, color], i) => ({ label: t(`vol_${name}`), data: table.rows.map((r) => r[i + 1]), backgroundColor: color, borderColor: color })) };
    if (chart) chart.destroy();
    // globalThis.Chart: the vendored UMD build, loaded by index.html before this module.
    chart = new globalThis.Chart(canvas, { type: "bar", data, options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { x: { stacked: false } } } });
  }

  function drawHeat(table) {
    const max = Math.max(1, ...table.rows.flatMap((r) => r.slice(1)));
    const head = h("tr", {}, h("th", {}, ""), table.columns.slice(1).map((c) => h("th", {}, c)));
    const rows = table.rows.map((r) => h("tr", {}, h("th", {}, t(r[0])), r.slice(1).map((n) => {
      const cell = h("td", { title: String(n), "data-n": n }, n ? String(n) : "");
      // CSSOM, not a style attribute: the page's CSP allows no inline styles.
      cell.style.setProperty("background", `rgba(47, 111, 237, ${(0.08 + 0.92 * n / max).toFixed(2)})`);
      if (n / max > 0.55) cell.style.setProperty("color", "#fff");
      return cell;
    })));
    heat.replaceChildren(h("h3", {}, t("heatmap"), " ", csvButton("heatmap")), h("table", { class: "heat" }, head, rows));
  }

  function drawTable(table) {
    return h("section", { class: "report", "data-table": table.table },
      h("h3", {}, t(`table_${table.table}`), " ", csvButton(table.table)),
      table.rows.length
        ? h("table", {}, h("tr", {}, table.columns.map((c) => h("th", {}, t(`col_${c}`)))),
          table.rows.map((r) => h("tr", {}, r.map((v) => h("td", {}, v === null ? "—" : String(v))))))
        : h("p", { class: "empty" }, t("noTickets")));
  }

  async function load() {
    status.textContent = "";
    try {
      const [volume, heatmap, ...rest] = await Promise.all([
        api.call("GET", "/reports/volume", undefined, params()),
        api.call("GET", "/reports/heatmap", undefined, params()),
        ...TABLES.map((name) => api.call("GET", `/reports/${name}`, undefined, params())),
      ]);
      drawVolume(volume);
      drawHeat(heatmap);
      tables.replaceChildren(...rest.map(drawTable));
      page.dataset.loaded = "1";
    } catch (failure) {
      status.textContent = `${t("error")}: ${failure.message}`;
    }
  }

  const form = h("form", { class: "report-filters", onsubmit: (e) => { e.preventDefault(); load(); } },
    h("label", {}, t("from"), from), h("label", {}, t("to"), to), h("label", {}, t("timezone"), tz),
    h("label", {}, t("period"), period), h("label", {}, t("groupBy"), group), h("label", {}, t("department"), department),
    h("button", { class: "primary" }, t("apply")));
  const page = h("section", { class: "reports" }, h("h2", {}, t("reports")), form, status,
    h("section", { class: "report" }, h("h3", {}, t("volume"), " ", csvButton("volume")), h("div", { class: "chart" }, canvas)),
    heat, tables);
  load();
  return page;
}
