// mlxp ui: the runs table, a run's page, compare and group charts, live updates and exports.
// Every string that comes from a run (config values, names, logs) is set with textContent or
// setAttribute, never parsed as HTML: a config value "<script>" shows as text.
"use strict";

(function () {
  const Charts = window.MlxpCharts;
  const TOKEN = new URLSearchParams(location.search).get("token");
  const STATUSES = ["COMPLETE", "RUNNING", "FAILED", "LOST", "CANCELLED", "STARTING", "DAMAGED"];
  const FIXED_COLUMNS = [
    { id: "id", label: "id", value: (r) => Number(r.id) },
    { id: "status", label: "status", value: (r) => r.status },
    { id: "start", label: "start", value: (r) => r.start },
    { id: "duration", label: "duration", value: (r) => r.duration },
    { id: "host", label: "host", value: (r) => r.host },
    { id: "job_id", label: "job id", value: (r) => r.job_id },
  ];
  const ROWS_PER_PAGE = 1000;
  const IDS_PER_REQUEST = 200;   // keeps request lines far below the server's 8 KiB bound
  const MAX_COMPARED = 500;
  const LIVE_INTERVAL_MS = 2000;
  const TABLE_REFRESH_MS = 5000;
  const LIVE_RECORDS_KEPT = 500000;

  const $ = (selector) => document.querySelector(selector);

  // ---------------------------------------------------------------- small DOM and API helpers

  // An element whose attributes are set with setAttribute and whose children are nodes or text.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === undefined || child === null) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  class ApiError extends Error {
    constructor(message, column, status) {
      super(message);
      this.column = column;
      this.status = status;
    }
  }

  // A same-origin URL with the token added when the page was opened with one (the cookie also
  // carries it; the parameter keeps working where cookies are off).
  function apiUrl(path, params) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params || {})) {
      if (value !== undefined && value !== null && value !== "") query.set(name, String(value));
    }
    if (TOKEN) query.set("token", TOKEN);
    const text = query.toString();
    return path + (text ? (path.includes("?") ? "&" : "?") + text : "");
  }

  async function getJSON(path, params) {
    let response;
    try {
      response = await fetch(apiUrl(path, params), { credentials: "same-origin" });
    } catch (error) {
      throw new ApiError("the mlxp ui server does not answer (is `mlxp ui` still running?)", null, 0);
    }
    let body = null;
    try { body = await response.json(); } catch (error) { body = null; }
    if (!response.ok) {
      const problem = body && body.error ? body.error : {};
      throw new ApiError(problem.message || response.status + " " + response.statusText,
        problem.column === undefined ? null : problem.column, response.status);
    }
    return body;
  }

  function formatValue(value) {
    if (value === undefined) return "";
    if (value === null) return "null";
    if (typeof value === "number") return Number.isInteger(value) ? String(value) : Charts.formatNumber(value);
    if (typeof value === "string") return value;
    return JSON.stringify(value);
  }

  function formatDuration(seconds) {
    if (typeof seconds !== "number" || !isFinite(seconds)) return "";
    if (seconds < 60) return seconds.toFixed(seconds < 10 ? 1 : 0) + " s";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min " + String(Math.round(seconds % 60)).padStart(2, "0") + " s";
    return Math.floor(minutes / 60) + " h " + String(minutes % 60).padStart(2, "0") + " min";
  }

  function formatDate(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    if (isNaN(date.getTime())) return String(iso);
    const two = (n) => String(n).padStart(2, "0");
    return date.getFullYear() + "-" + two(date.getMonth() + 1) + "-" + two(date.getDate()) + " " +
      two(date.getHours()) + ":" + two(date.getMinutes()) + ":" + two(date.getSeconds());
  }

  function statusBadge(status) {
    return el("span", { class: "status status-" + (STATUSES.includes(status) ? status : "other") }, String(status));
  }

  // Nested mapping -> [["a.b", value], ...], the way the table shows config keys.
  function flatten(value, prefix, out) {
    out = out || [];
    if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length) {
      for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? prefix + "." + key : key, out);
    } else if (prefix) {
      out.push([prefix, value]);
    }
    return out;
  }

  function chunks(items, size) {
    const out = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
  }

  function showPageError(message) {
    const box = $("#page-error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  // ---------------------------------------------------------------- state kept in the URL hash

  const DEFAULTS = { view: "table", where: "", runs: "", metric: "", x: "step", by: "", band: "minmax",
    smooth: "0", log: "0", run: "", cols: "", sort: "", desc: "0" };
  const state = Object.assign({}, DEFAULTS);

  function readHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    for (const key of Object.keys(DEFAULTS)) state[key] = params.has(key) ? params.get(key) : DEFAULTS[key];
  }

  function hashFor(changes) {
    const next = Object.assign({}, state, changes || {});
    const params = new URLSearchParams();
    for (const key of Object.keys(DEFAULTS)) if (next[key] !== DEFAULTS[key]) params.set(key, next[key]);
    return "#" + params.toString();
  }

  // Small changes (typing, a slider) replace the history entry; a change of view adds one.
  function setState(changes, newEntry) {
    const target = hashFor(changes);
    Object.assign(state, changes);
    if (target === location.hash || (target === "#" && !location.hash)) return;
    if (newEntry) location.hash = target;
    else history.replaceState(null, "", target);
  }

  const listOf = (text) => (text ? text.split(",").map((s) => s.trim()).filter(Boolean) : []);

  // ---------------------------------------------------------------- the runs of the filter

  let runsData = null;           // the last /api/runs answer
  let runsRequest = 0;
  let runsWhere = null;
  let tableRefresh = null;

  async function loadRuns(force) {
    if (!force && runsData && runsWhere === state.where) return runsData;
    const ticket = ++runsRequest;
    const where = state.where;
    try {
      const data = await getJSON("/api/runs", { where });
      if (ticket !== runsRequest) return runsData;
      acceptRuns(data, where);
      showFilterError(null);
      return data;
    } catch (error) {
      if (ticket !== runsRequest) return runsData;
      if (error.status !== 400) { showPageError(error.message); throw error; }
      // A page opened with a bad query still shows the runs: all of them, under the error.
      if (!runsData) {
        try { acceptRuns(await getJSON("/api/runs"), ""); } catch (ignored) { /* the error below says enough */ }
      }
      showFilterError(error, where);
      throw error;
    }
  }

  function acceptRuns(data, where) {
    runsData = data;
    runsWhere = where;
    $("#logdir").textContent = data.logdir || "";
    document.title = "mlxp ui — " + (data.logdir || "");
    renderCounts();
    fillConfigKeys();
  }

  function showFilterError(error, query) {
    const box = $("#filter-error");
    $("#filter").classList.toggle("invalid", Boolean(error));
    if (!error) { box.hidden = true; box.removeAttribute("data-column"); return; }
    // The caret is drawn below; the message's own echo of the query (if any) would repeat it.
    const message = typeof error.column === "number" ? error.message.split("\n")[0] : error.message;
    box.querySelector(".message").textContent = message;
    const caret = box.querySelector(".caret");
    if (typeof error.column === "number") {
      caret.textContent = query + "\n" + " ".repeat(Math.max(0, error.column)) + "^";
      caret.hidden = false;
      box.setAttribute("data-column", String(error.column));
    } else {
      caret.textContent = "";
      caret.hidden = true;
      box.removeAttribute("data-column");
    }
    box.hidden = false;
  }

  function renderCounts() {
    const data = runsData;
    const box = $("#status-counts");
    box.replaceChildren();
    for (const [status, count] of Object.entries(data.counts || {})) {
      if (!count) continue;
      const item = el("span", { class: "status-count", "data-status": status }, statusBadge(status), " " + count);
      box.appendChild(item);
    }
    const counter = $("#row-count");
    counter.setAttribute("data-count", String(data.runs.length));
    counter.setAttribute("data-total", String(data.total));
    counter.textContent = data.runs.length + " of " + data.total + " runs";
  }

  function fillConfigKeys() {
    const list = $("#config-keys");
    list.replaceChildren(...(runsData.config_keys || []).map((key) => el("option", { value: key })));
  }

  // ---------------------------------------------------------------- the runs table

  const selected = new Set();
  let rowsShown = ROWS_PER_PAGE;

  function configColumn(key) {
    return { id: "c:" + key, label: key, value: (r) => r.config[key], numeric: true };
  }

  function metricColumns(key) {
    return ["last", "min", "max"].map((stat) => ({ id: "m:" + key + ":" + stat, metric: key,
      label: key + " " + stat, value: (r) => (r.metrics[key] ? r.metrics[key][stat] : undefined), numeric: true }));
  }

  // The chosen columns ("c:key" and "m:key" in the hash), or the varying keys and every metric.
  function chosenKeys() {
    const data = runsData;
    if (!state.cols) return { config: data.varying || [], metrics: data.metric_keys || [] };
    const ids = listOf(state.cols);
    return {
      config: ids.filter((id) => id.startsWith("c:")).map((id) => id.slice(2)),
      metrics: ids.filter((id) => id.startsWith("m:")).map((id) => id.slice(2)),
    };
  }

  function tableColumns() {
    const keys = chosenKeys();
    return FIXED_COLUMNS.concat(keys.config.map(configColumn), ...keys.metrics.map(metricColumns));
  }

  function compareValues(a, b) {
    const missingA = a === undefined || a === null, missingB = b === undefined || b === null;
    if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    if (typeof a === "number") return -1;
    if (typeof b === "number") return 1;
    return formatValue(a).localeCompare(formatValue(b), undefined, { numeric: true });
  }

  function sortedRuns(columns) {
    const runs = runsData.runs.slice();
    const column = columns.find((c) => c.id === state.sort);
    if (!column) return runs;
    const sign = state.desc === "1" ? -1 : 1;
    // Missing values stay last whichever the direction.
    return runs.sort((r, s) => {
      const a = column.value(r), b = column.value(s);
      const missingA = a === undefined || a === null, missingB = b === undefined || b === null;
      if (missingA || missingB) return compareValues(a, b);
      return sign * compareValues(a, b) || Number(r.id) - Number(s.id);
    });
  }

  function cellFor(column, run) {
    const value = column.value(run);
    if (column.id === "id") {
      return el("td", { class: "num" }, el("a", { href: hashFor({ view: "run", run: run.id }) }, run.id));
    }
    if (column.id === "status") {
      const cell = el("td", {}, statusBadge(run.status));
      if (run.error) cell.setAttribute("title", run.error);
      return cell;
    }
    if (column.id === "start") return el("td", { title: run.start || "" }, formatDate(value));
    if (column.id === "duration") return el("td", { class: "num" }, formatDuration(value));
    if (column.id === "host" || column.id === "job_id") return el("td", {}, value === null ? "" : formatValue(value));
    const text = formatValue(value);
    return el("td", { class: typeof value === "number" ? "num" : "", title: text }, text);
  }

  function renderTable() {
    const columns = tableColumns();
    const table = $("#runs-table");
    const headRow = el("tr", {}, el("th", { class: "select" }));
    for (const column of columns) {
      const th = el("th", { "data-column": column.id, title: "sort by " + column.label }, column.label);
      if (state.sort === column.id) th.classList.add(state.desc === "1" ? "sorted-desc" : "sorted-asc");
      headRow.appendChild(th);
    }
    table.tHead.replaceChildren(headRow);
    const runs = sortedRuns(columns);
    const body = document.createDocumentFragment();
    for (const run of runs.slice(0, rowsShown)) {
      const checkbox = el("input", { type: "checkbox", class: "select-run", "data-id": run.id,
        "aria-label": "select run " + run.id });
      checkbox.checked = selected.has(run.id);
      const row = el("tr", { class: "run-row" + (selected.has(run.id) ? " selected" : ""), "data-id": run.id },
        el("td", { class: "select" }, checkbox));
      for (const column of columns) row.appendChild(cellFor(column, run));
      body.appendChild(row);
    }
    table.tBodies[0].replaceChildren(body);
    const more = $("#show-more");
    more.hidden = runs.length <= rowsShown;
    more.textContent = "Show " + Math.min(ROWS_PER_PAGE, runs.length - rowsShown) + " more of " +
      (runs.length - rowsShown) + " not shown";
    renderSelection();
  }

  function renderSelection() {
    const matched = runsData ? runsData.runs.length : 0;
    const all = $("#select-all");
    all.checked = matched > 0 && runsData.runs.every((r) => selected.has(r.id));
    $("#selection-count").textContent = selected.size ? selected.size + " selected" : "";
    $("#compare-button").textContent = selected.size ? "Compare " + selected.size : "Compare all matched";
  }

  function renderColumnsPanel() {
    const panel = $("#columns-panel");
    const keys = chosenKeys();
    const box = (legend, items, prefix, chosen) => {
      const set = el("fieldset", {}, el("legend", {}, legend));
      for (const key of items) {
        const input = el("input", { type: "checkbox", "data-column": prefix + key });
        input.checked = chosen.includes(key);
        set.appendChild(el("label", {}, input, " " + key));
      }
      return set;
    };
    const reset = el("button", { type: "button", id: "columns-reset" }, "varying keys only");
    panel.replaceChildren(box("config", runsData.config_keys || [], "c:", keys.config),
      box("metrics (last, min, max)", runsData.metric_keys || [], "m:", keys.metrics), el("div", {}, reset));
  }

  function onColumnsChanged() {
    const ids = Array.from($("#columns-panel").querySelectorAll("input[data-column]"))
      .filter((input) => input.checked).map((input) => input.getAttribute("data-column"));
    setState({ cols: ids.length ? ids.join(",") : "none" });
    renderTable();
  }

  function csvField(value) {
    if (value === undefined || value === null) return "";
    let text = typeof value === "string" ? value : formatCsvNumber(value);
    // A text cell starting with = + - @ would run as a formula in a spreadsheet.
    if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = "'" + text;
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function formatCsvNumber(value) {
    return typeof value === "number" ? String(value) : JSON.stringify(value);
  }

  function exportCsv() {
    const columns = tableColumns();
    const lines = [columns.map((c) => csvField(c.id === "job_id" ? "job_id" : c.label)).join(",")];
    for (const run of sortedRuns(columns)) lines.push(columns.map((c) => csvField(c.value(run))).join(","));
    Charts.download(new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" }), "runs.csv");
  }

  async function showTable() {
    clearTimeout(tableRefresh);
    let data;
    try { data = await loadRuns(false); } catch (error) { data = runsData; }
    if (!data || state.view !== "table") return;
    renderTable();
    if (!$("#columns-panel").hidden) renderColumnsPanel();
    // RUNNING runs change: read the table again while some are shown.
    if (data.runs.some((r) => r.status === "RUNNING" || r.status === "STARTING")) {
      tableRefresh = setTimeout(async () => {
        if (state.view !== "table") return;
        try { await loadRuns(true); } catch (error) { return; }
        showTable();
      }, TABLE_REFRESH_MS);
    }
  }

  // ---------------------------------------------------------------- live metrics (tail)

  // The records of one metrics file of a RUNNING run, read with /api/tail from where the last
  // answer stopped; a reset (the file was cut back or replaced) starts over from its answer.
  class LiveLog {
    constructor(runId, log, onChange) {
      this.runId = runId;
      this.log = log;
      this.onChange = onChange;
      this.records = [];
      this.offset = 0;
      this.ino = null;
      this.tag = null;
      this.status = "RUNNING";
      this.timer = null;
      this.stopped = false;
    }

    start() { this.poll(); return this; }

    stop() { this.stopped = true; clearTimeout(this.timer); }

    async poll() {
      if (this.stopped) return;
      let answer;
      try {
        answer = await getJSON("/api/tail/" + encodeURIComponent(this.runId) + "/" + encodeURIComponent(this.log),
          { offset: this.offset, ino: this.ino, size: this.offset, tag: this.tag });
      } catch (error) {
        this.timer = setTimeout(() => this.poll(), LIVE_INTERVAL_MS * 2);
        return;
      }
      if (this.stopped) return;
      if (answer.reset) this.records = [];
      for (const record of answer.records) this.records.push(record);
      if (this.records.length > LIVE_RECORDS_KEPT) this.records.splice(0, this.records.length - LIVE_RECORDS_KEPT);
      this.offset = answer.offset;
      this.ino = answer.ino;
      this.tag = answer.tag;
      this.status = answer.status;
      if (answer.reset || answer.records.length) this.onChange(this);
      // A full answer means more is waiting; ask again at once.
      const more = answer.records.length >= 1000;
      if (more || answer.status === "RUNNING" || answer.status === "STARTING") {
        this.timer = setTimeout(() => this.poll(), more ? 0 : LIVE_INTERVAL_MS);
      }
    }

    // x and y of one key; "step" is the line number.
    series(yKey, xKey, width) {
      const xs = [], ys = [];
      this.records.forEach((record, line) => {
        const y = record[yKey];
        const x = xKey === "step" ? line : record[xKey];
        if (typeof y === "number" && typeof x === "number") { xs.push(x); ys.push(y); }
      });
      return Charts.downsample(xs, ys, width);
    }
  }

  let liveLogs = [];

  function stopLive() {
    for (const live of liveLogs) live.stop();
    liveLogs = [];
  }

  // ---------------------------------------------------------------- compare and group

  let plotChart = null;
  let plotRequest = 0;
  let plotLabels = {};

  function splitMetric(metric) {
    const dot = metric.indexOf(".");
    return dot < 0 ? { log: metric, key: "" } : { log: metric.slice(0, dot), key: metric.slice(dot + 1) };
  }

  function defaultMetric(keys) {
    return keys.find((k) => /loss/i.test(k)) || keys.find((k) => !/(epoch|step|time|iter)/i.test(k)) || keys[0] || "";
  }

  function fillPlotControls() {
    const keys = runsData.metric_keys || [];
    if (!keys.includes(state.metric)) state.metric = defaultMetric(keys);
    const metricSelect = $("#metric-select");
    metricSelect.replaceChildren(...keys.map((k) => el("option", { value: k }, k)));
    metricSelect.value = state.metric;
    const log = splitMetric(state.metric).log;
    const others = keys.filter((k) => k.startsWith(log + ".") && k !== state.metric).map((k) => k.slice(log.length + 1));
    const xSelect = $("#x-select");
    xSelect.replaceChildren(el("option", { value: "step" }, "step"), ...others.map((k) => el("option", { value: k }, k)));
    if (state.x !== "step" && !others.includes(state.x)) state.x = "step";
    xSelect.value = state.x;
    $("#group-by").value = state.by;
    $("#band").value = state.band === "std" ? "std" : "minmax";
    $("#smooth").value = state.smooth;
    $("#smooth-value").textContent = state.smooth;
    $("#log-scale").checked = state.log === "1";
  }

  function chartWidth() {
    return Math.max(400, Math.min(1600, ($("#chart").clientWidth || 900) - 2));
  }

  function plotSpec(extra) {
    const { key } = splitMetric(state.metric);
    return Object.assign({ xLabel: state.x, yLabel: key || state.metric, logY: state.log === "1",
      smooth: Number(state.smooth) || 0, width: chartWidth(), height: 380 }, extra);
  }

  function drawPlot(spec) {
    const box = $("#chart");
    if (plotChart && plotChart.container === box) plotChart.update(spec);
    else { plotChart = Charts.lineChart(box, spec); plotChart.container = box; }
    box.setAttribute("data-state", "ready");
  }

  function comparedIds() {
    if (state.runs && state.runs !== "all") return listOf(state.runs);
    return runsData.runs.map((r) => r.id);
  }

  async function showCompare() {
    const ticket = ++plotRequest;
    stopLive();
    let data;
    try { data = await loadRuns(false); } catch (error) { return; }
    if (ticket !== plotRequest) return;
    fillPlotControls();
    let ids = comparedIds();
    const message = $("#plot-message");
    message.textContent = "";
    if (ids.length > MAX_COMPARED) {
      message.textContent = "Showing the first " + MAX_COMPARED + " of " + ids.length + " runs.";
      ids = ids.slice(0, MAX_COMPARED);
    }
    if (!ids.length || !state.metric) {
      message.textContent = ids.length ? "These runs have no metrics." : "No run to compare: select runs in the table.";
      $("#diff-table").replaceChildren();
      drawPlot(plotSpec({ series: [], emptyText: "nothing to draw" }));
      return;
    }
    $("#chart").setAttribute("data-state", "loading");
    const { log, key } = splitMetric(state.metric);
    const width = chartWidth();
    let answers, diff;
    try {
      [answers, diff] = await Promise.all([
        Promise.all(chunks(ids, IDS_PER_REQUEST).map((part) => getJSON("/api/series",
          { runs: part.join(","), log, y: key, x: state.x, width }))),
        getJSON("/api/diff", { runs: ids.slice(0, IDS_PER_REQUEST).join(",") }),
      ]);
    } catch (error) {
      if (ticket === plotRequest) { message.textContent = error.message; $("#chart").setAttribute("data-state", "error"); }
      return;
    }
    if (ticket !== plotRequest) return;
    plotLabels = labelsFromDiff(ids, diff);
    renderDiff(diff, ids.slice(0, IDS_PER_REQUEST));
    const byRun = {};
    for (const answer of answers) for (const s of answer.series) byRun[s.run] = s;
    const status = Object.fromEntries(data.runs.map((r) => [r.id, r.status]));
    const series = ids.filter((id) => byRun[id]).map((id, index) => ({ id, label: plotLabels[id],
      color: Charts.colorFor(index), x: byRun[id].x, y: byRun[id].y }));
    drawPlot(plotSpec({ series, bands: [] }));
    // RUNNING runs: follow their metrics file and redraw as lines arrive.
    for (const line of series) {
      if (status[line.id] !== "RUNNING") continue;
      liveLogs.push(new LiveLog(line.id, log, (live) => {
        if (ticket !== plotRequest) return;
        const fresh = live.series(key, state.x, width);
        line.x = fresh.x;
        line.y = fresh.y;
        drawPlot(plotSpec({ series, bands: [] }));
      }).start());
    }
  }

  // "3: optimizer.lr=0.1 seed=1": the run id and up to three keys that tell it apart.
  function labelsFromDiff(ids, diff) {
    const labels = {};
    const keys = (diff.keys || []).slice(0, 3);
    for (const id of ids) {
      const values = diff.values && diff.values[id] ? diff.values[id] : {};
      const parts = keys.filter((k) => k in values).map((k) => k + "=" + formatValue(values[k]));
      labels[id] = id + (parts.length ? ": " + parts.join(" ") : "");
    }
    return labels;
  }

  function renderDiff(diff, ids) {
    const table = $("#diff-table");
    const keys = diff.keys || [];
    table.tHead.replaceChildren(el("tr", {}, el("th", {}, "run"), ...keys.map((k) => el("th", {}, k))));
    const rows = ids.map((id) => {
      const values = (diff.values && diff.values[id]) || {};
      return el("tr", { "data-id": id }, el("td", {}, el("a", { href: hashFor({ view: "run", run: id }) }, id)),
        ...keys.map((k) => el("td", {}, formatValue(values[k]))));
    });
    table.tBodies[0].replaceChildren(...rows);
    $("#diff").hidden = !keys.length;
  }

  async function showGroups() {
    const ticket = ++plotRequest;
    stopLive();
    try { await loadRuns(false); } catch (error) { return; }
    if (ticket !== plotRequest) return;
    fillPlotControls();
    const message = $("#plot-message");
    message.textContent = "";
    if (!state.by) {
      message.textContent = "Type the config keys to group by (e.g. " + ((runsData.varying || [])[0] || "optimizer.lr") + ").";
      drawPlot(plotSpec({ series: [], bands: [], emptyText: "no grouping yet" }));
      return;
    }
    if (!state.metric) { message.textContent = "These runs have no metrics."; return; }
    $("#chart").setAttribute("data-state", "loading");
    const { log, key } = splitMetric(state.metric);
    let answer;
    try {
      answer = await getJSON("/api/groups", { where: state.where, by: state.by, log, y: key, x: state.x,
        band: state.band, width: chartWidth() });
    } catch (error) {
      if (ticket === plotRequest) { message.textContent = error.message; $("#chart").setAttribute("data-state", "error"); }
      return;
    }
    if (ticket !== plotRequest) return;
    const bands = answer.groups.map((group, index) => ({ id: group.label, color: Charts.colorFor(index),
      label: group.label + " (" + group.runs.length + (group.runs.length === 1 ? " run)" : " runs)"),
      x: group.x, mean: group.mean, lo: group.lo, hi: group.hi, count: group.count }));
    drawPlot(plotSpec({ series: [], bands }));
  }

  function exportChart(kind) {
    if (!plotChart || !plotChart.svg) return;
    const name = (state.view === "group" ? "group-" : "compare-") + (state.metric || "chart").replace(/[^A-Za-z0-9_.-]+/g, "_");
    if (kind === "svg") Charts.exportSvg(plotChart.svg, name + ".svg");
    else Charts.exportPng(plotChart.svg, name + ".png").catch((error) => showPageError(error.message));
  }

  // ---------------------------------------------------------------- the run page

  let runRequest = 0;

  function kvRows(table, mapping) {
    table.replaceChildren(...flatten(mapping || {}, "").map(([key, value]) =>
      el("tr", {}, el("td", {}, key), el("td", {}, formatValue(value)))));
  }

  function artifactUrl(url) {
    // Only the server's own artifact URLs: a run cannot point the page elsewhere.
    return typeof url === "string" && url.startsWith("/api/artifact/") ? apiUrl(url) : null;
  }

  async function showArtifactText(url, box) {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      const text = await response.text();
      box.textContent = text.length > 200000 ? text.slice(0, 200000) + "\n… (cut: download the file for the rest)" : text;
    } catch (error) {
      box.textContent = "could not load: " + error.message;
    }
  }

  function renderArtifacts(artifacts) {
    const box = $("#run-artifacts");
    box.replaceChildren();
    if (!artifacts.length) { box.appendChild(el("p", { class: "hint" }, "no artifacts")); return; }
    for (const artifact of artifacts) {
      const url = artifactUrl(artifact.url);
      const item = el("div", { class: "artifact", "data-kind": artifact.kind },
        el("span", { class: "artifact-name" }, artifact.name), " ",
        el("span", { class: "hint" }, artifact.kind + ", " + artifact.size + " bytes "));
      if (url) item.appendChild(el("a", { href: url, download: artifact.name.split("/").pop() }, "download"));
      if (url && artifact.kind === "image") {
        item.appendChild(el("div", {}, el("img", { src: url, alt: artifact.name, loading: "lazy" })));
      } else if (url && ["json", "yaml", "text"].includes(artifact.kind)) {
        const pre = el("pre", {}, "loading…");
        item.appendChild(pre);
        showArtifactText(url, pre);
      }
      box.appendChild(item);
    }
  }

  async function renderRunMetrics(run, ticket) {
    const box = $("#run-metrics");
    box.replaceChildren();
    const charts = [];
    for (const [log, keys] of Object.entries(run.logs || {})) {
      for (const key of keys) {
        const holder = el("div", { class: "chart-holder" });
        box.appendChild(el("div", { class: "metric-chart", "data-metric": log + "." + key }, el("h4", {}, log + "." + key), holder));
        charts.push({ log, key, holder });
      }
    }
    if (!charts.length) { box.appendChild(el("p", { class: "hint" }, "no metrics")); return; }
    const width = 440;
    const draw = (item, x, y) => {
      const spec = { series: [{ id: run.id, label: "run " + run.id, color: Charts.colorFor(0), x, y }],
        xLabel: "step", yLabel: item.key, width, height: 200 };
      if (item.chart) item.chart.update(spec);
      else item.chart = Charts.lineChart(item.holder, spec);
    };
    if (run.status === "RUNNING") {
      for (const log of Object.keys(run.logs)) {
        const mine = charts.filter((c) => c.log === log);
        for (const item of mine) draw(item, [], []);
        liveLogs.push(new LiveLog(run.id, log, (live) => {
          if (ticket !== runRequest) return;
          for (const item of mine) { const s = live.series(item.key, "step", width); draw(item, s.x, s.y); }
        }).start());
      }
      return;
    }
    await Promise.all(charts.map(async (item) => {
      try {
        const answer = await getJSON("/api/series", { runs: run.id, log: item.log, y: item.key, width });
        if (ticket !== runRequest) return;
        const s = answer.series[0] || { x: [], y: [] };
        draw(item, s.x, s.y);
      } catch (error) {
        item.holder.textContent = error.message;
      }
    }));
  }

  async function showRun() {
    const ticket = ++runRequest;
    stopLive();
    const id = state.run;
    let run;
    try {
      run = await getJSON("/api/run/" + encodeURIComponent(id));
    } catch (error) {
      if (ticket === runRequest) { $("#run-title").textContent = "run " + id; showPageError(error.message); }
      return;
    }
    if (ticket !== runRequest) return;
    const title = $("#run-title");
    title.replaceChildren("Run " + run.id + " ", statusBadge(run.status), " ", el("code", {}, run.dir || ""));
    const problem = $("#run-problem");
    problem.textContent = run.problem || "";
    problem.hidden = !run.problem;
    const error = $("#run-error");
    error.textContent = run.error || "";
    error.hidden = !run.error;
    kvRows($("#run-config"), run.config);
    kvRows($("#run-info"), run.info);
    $("#run-command").textContent = run.command || "(not recorded)";
    $("#run-overrides").replaceChildren(...(run.overrides || []).map((o) => el("li", {}, el("code", {}, o))));
    const git = run.git || {};
    $("#run-commit").textContent = git.commit || "(none)";
    $("#run-diff").textContent = git.diff || "";
    $("#run-diff-box").hidden = !git.diff;
    $("#run-stdout").textContent = run.stdout_tail || "";
    $("#run-stderr").textContent = run.stderr_tail || "";
    renderArtifacts(run.artifacts || []);
    await renderRunMetrics(run, ticket);
  }

  // ---------------------------------------------------------------- routing and events

  function showView(name) {
    $("#table-view").hidden = name !== "table";
    $("#plot-view").hidden = name !== "compare" && name !== "group";
    $("#plot-view").classList.toggle("group-mode", name === "group");
    $("#run-page").hidden = name !== "run";
    $("#query-bar").hidden = name === "run";
    for (const view of ["table", "compare", "group"]) {
      const link = $("#nav-" + view);
      link.classList.toggle("active", view === name);
      link.setAttribute("href", hashFor({ view }));
    }
  }

  function route() {
    readHash();
    showPageError(null);
    clearTimeout(tableRefresh);
    if (state.view !== "run") stopLive();
    if ($("#filter").value !== state.where) $("#filter").value = state.where;
    const view = ["table", "run", "compare", "group"].includes(state.view) ? state.view : "table";
    showView(view);
    if (view === "table") showTable();
    else if (view === "compare") showCompare();
    else if (view === "group") showGroups();
    else showRun();
  }

  function replot() {
    if (state.view === "compare") showCompare();
    else if (state.view === "group") showGroups();
  }

  let filterTimer = null;

  function onFilterInput() {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(async () => {
      const where = $("#filter").value.trim();
      if (where === state.where && runsData && runsWhere === where) return;
      setState({ where });
      rowsShown = ROWS_PER_PAGE;
      try { await loadRuns(true); } catch (error) { return; }
      if (state.view === "table") showTable();
      else if (state.view === "group" || (state.view === "compare" && (!state.runs || state.runs === "all"))) replot();
    }, 250);
  }

  function bindEvents() {
    window.addEventListener("hashchange", route);
    const filter = $("#filter");
    filter.addEventListener("input", onFilterInput);
    filter.addEventListener("keydown", (event) => { if (event.key === "Enter") { clearTimeout(filterTimer); onFilterInput(); } });

    $("#runs-table").addEventListener("click", (event) => {
      const th = event.target.closest("th[data-column]");
      if (th) {
        const column = th.getAttribute("data-column");
        setState({ sort: column, desc: state.sort === column && state.desc !== "1" ? "1" : "0" });
        renderTable();
      }
    });
    $("#runs-table").addEventListener("change", (event) => {
      const box = event.target.closest("input.select-run");
      if (!box) return;
      const id = box.getAttribute("data-id");
      if (box.checked) selected.add(id); else selected.delete(id);
      box.closest("tr").classList.toggle("selected", box.checked);
      renderSelection();
    });
    $("#select-all").addEventListener("change", (event) => {
      for (const run of runsData ? runsData.runs : []) {
        if (event.target.checked) selected.add(run.id); else selected.delete(run.id);
      }
      renderTable();
    });
    $("#show-more").addEventListener("click", () => { rowsShown += ROWS_PER_PAGE; renderTable(); });
    $("#compare-button").addEventListener("click", () => {
      const ids = runsData ? runsData.runs.map((r) => r.id).filter((id) => selected.has(id)) : [];
      setState({ view: "compare", runs: ids.length ? ids.join(",") : "all" }, true);
    });
    $("#group-button").addEventListener("click", () => {
      const by = state.by || ((runsData && runsData.varying) || []).filter((k) => !/seed/i.test(k))[0] || "";
      setState({ view: "group", by }, true);
    });
    $("#columns-button").addEventListener("click", () => {
      const panel = $("#columns-panel");
      panel.hidden = !panel.hidden;
      $("#columns-button").setAttribute("aria-expanded", String(!panel.hidden));
      if (!panel.hidden && runsData) renderColumnsPanel();
    });
    $("#columns-panel").addEventListener("change", onColumnsChanged);
    $("#columns-panel").addEventListener("click", (event) => {
      if (event.target.id !== "columns-reset") return;
      setState({ cols: "" });
      renderColumnsPanel();
      renderTable();
    });
    $("#export-csv").addEventListener("click", () => { if (runsData) exportCsv(); });

    $("#metric-select").addEventListener("change", (event) => { setState({ metric: event.target.value, x: "step" }); replot(); });
    $("#x-select").addEventListener("change", (event) => { setState({ x: event.target.value }); replot(); });
    $("#band").addEventListener("change", (event) => { setState({ band: event.target.value }); replot(); });
    const groupBy = $("#group-by");
    const applyGroupBy = () => {
      const by = listOf(groupBy.value).join(",");
      if (by !== state.by) { setState({ by }); replot(); }
    };
    groupBy.addEventListener("change", applyGroupBy);
    groupBy.addEventListener("keydown", (event) => { if (event.key === "Enter") applyGroupBy(); });
    $("#smooth").addEventListener("input", (event) => {
      setState({ smooth: event.target.value });
      $("#smooth-value").textContent = event.target.value;
      if (plotChart) plotChart.update({ smooth: Number(event.target.value) });
    });
    $("#log-scale").addEventListener("change", (event) => {
      setState({ log: event.target.checked ? "1" : "0" });
      if (plotChart) plotChart.update({ logY: event.target.checked });
    });
    $("#export-svg").addEventListener("click", () => exportChart("svg"));
    $("#export-png").addEventListener("click", () => exportChart("png"));
  }

  bindEvents();
  route();
})();
