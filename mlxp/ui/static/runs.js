// mlxp ui: the runs of the filter (/api/runs) and the runs table: status counts, the query's
// error with its caret, sorting, the column chooser, selection and CSV export.
"use strict";

(function () {
  const ui = window.MlxpUi;
  const { Charts, $, el, getJSON, formatValue, formatDuration, formatDate, statusBadge, state,
    hashFor, setState, listOf, showPageError } = ui;
  const FIXED_COLUMNS = [
    { id: "id", label: "id", value: (r) => Number(r.id) },
    { id: "status", label: "status", value: (r) => r.status },
    { id: "start", label: "start", value: (r) => r.start },
    { id: "duration", label: "duration", value: (r) => r.duration },
    { id: "host", label: "host", value: (r) => r.host },
    { id: "job_id", label: "job id", value: (r) => r.job_id },
  ];
  const TABLE_REFRESH_MS = 5000;
  // One collator for every comparison: localeCompare with options makes one per call, which
  // made sorting 10,000 runs by a text column take a tenth of a second.
  const TEXT_ORDER = new Intl.Collator(undefined, { numeric: true });
  // Only the rows in view are built, and this many more on each side, so that a scroll rarely
  // reaches the edge of what is built before the next frame builds more.
  const MARGIN_ROWS = 20;
  const ROW_HEIGHT_GUESS = 27;  // px, until a built row has been measured

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

  const selected = new Set();
  let shown = null;              // what the table shows: {columns, runs (sorted), first, last}
  let rowHeight = 0;             // px of one built row, once measured
  let columnWidths = {};         // px each column has reached, so that scrolling never narrows it
  let scrollFrame = 0;

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
    return TEXT_ORDER.compare(formatValue(a), formatValue(b));
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

  function rowFor(run, columns) {
    const checkbox = el("input", { type: "checkbox", class: "select-run", "data-id": run.id,
      "aria-label": "select run " + run.id });
    checkbox.checked = selected.has(run.id);
    const row = el("tr", { class: "run-row" + (selected.has(run.id) ? " selected" : ""), "data-id": run.id },
      el("td", { class: "select" }, checkbox));
    for (const column of columns) row.appendChild(cellFor(column, run));
    return row;
  }

  // An empty row as tall as `count` rows that are not built: the scroll bar stays the whole table's.
  function spacer(count, width) {
    const cell = el("td", { colspan: width });
    const row = el("tr", { class: "spacer", "data-rows": count }, cell);
    row.style.height = count * (rowHeight || ROW_HEIGHT_GUESS) + "px";
    return row;
  }

  function renderTable() {
    const columns = tableColumns();
    const table = $("#runs-table");
    const headRow = el("tr", {}, el("th", { class: "select" }));
    for (const column of columns) {
      const th = el("th", { "data-column": column.id, title: "sort by " + column.label }, column.label);
      if (state.sort === column.id) th.classList.add(state.desc === "1" ? "sorted-desc" : "sorted-asc");
      if (columnWidths[column.id]) th.style.minWidth = columnWidths[column.id] + "px";
      headRow.appendChild(th);
    }
    table.tHead.replaceChildren(headRow);
    shown = { columns, runs: sortedRuns(columns), first: 0, last: 0 };
    renderRows();
    renderSelection();
  }

  // The rows in view of the table's scroll box, and a margin: laying out all of 10,000 runs'
  // rows (or even 1,000) would take the browser a second or more on each change.
  function renderRows() {
    const box = $(".table-wrap");
    const height = rowHeight || ROW_HEIGHT_GUESS;
    const total = shown.runs.length;
    // The box is never taller than the window; it is shorter while it is still empty.
    const inView = Math.ceil(window.innerHeight / height);
    const first = Math.min(Math.max(0, Math.floor(box.scrollTop / height) - MARGIN_ROWS),
      Math.max(0, total - inView - MARGIN_ROWS));
    const last = Math.min(total, first + inView + 2 * MARGIN_ROWS);
    const width = shown.columns.length + 1;
    const body = document.createDocumentFragment();
    if (first > 0) body.appendChild(spacer(first, width));
    for (let i = first; i < last; i++) body.appendChild(rowFor(shown.runs[i], shown.columns));
    if (last < total) body.appendChild(spacer(total - last, width));
    $("#runs-table").tBodies[0].replaceChildren(body);
    shown.first = first;
    shown.last = last;
    // Every size is read before any is set: a read after a write lays the table out again.
    const measured = !rowHeight && last > first ? $("#runs-table tr.run-row").getBoundingClientRect().height : 0;
    keepColumnWidths();
    if (measured) {
      rowHeight = measured;
      for (const row of $("#runs-table").tBodies[0].querySelectorAll("tr.spacer")) {
        row.style.height = Number(row.getAttribute("data-rows")) * rowHeight + "px";
      }
    }
  }

  // Each column keeps the widest it has been: the built rows change as the table scrolls.
  function keepColumnWidths() {
    const cells = Array.from($("#runs-table").tHead.rows[0].cells);
    const widths = cells.map((th) => Math.ceil(th.getBoundingClientRect().width));
    cells.forEach((th, index) => {
      const id = th.getAttribute("data-column");
      if (!id || !widths[index] || widths[index] <= (columnWidths[id] || 0)) return;
      columnWidths[id] = widths[index];
      th.style.minWidth = widths[index] + "px";
    });
  }

  // Builds other rows when a scroll nears the edge of those built (once per frame at most).
  function onTableScroll() {
    if (scrollFrame || !shown) return;
    scrollFrame = requestAnimationFrame(() => {
      scrollFrame = 0;
      const box = $(".table-wrap");
      const height = rowHeight || ROW_HEIGHT_GUESS;
      const top = Math.floor(box.scrollTop / height);
      const bottom = Math.ceil((box.scrollTop + box.clientHeight) / height);
      const near = MARGIN_ROWS / 2;
      if ((shown.first > 0 && top - shown.first < near) ||
          (shown.last < shown.runs.length && shown.last - bottom < near)) renderRows();
    });
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

  function bindTableEvents() {
    $("#runs-table").addEventListener("click", (event) => {
      const th = event.target.closest("th[data-column]");
      if (!th) return;
      const column = th.getAttribute("data-column");
      setState({ sort: column, desc: state.sort === column && state.desc !== "1" ? "1" : "0" });
      renderTable();
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
      if (!shown) return;
      renderRows();  // the same rows, in the same order: their boxes change
      renderSelection();
    });
    $(".table-wrap").addEventListener("scroll", onTableScroll);
    window.addEventListener("resize", onTableScroll);
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
  }

  bindTableEvents();
  ui.runs = {
    load: loadRuns,
    show: showTable,
    data: () => runsData,
    current: (where) => Boolean(runsData) && runsWhere === where,
    resetRows: () => { $(".table-wrap").scrollTop = 0; columnWidths = {}; },
    stopRefresh: () => clearTimeout(tableRefresh),
  };
})();
