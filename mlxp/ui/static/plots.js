// mlxp ui: the Compare view (one curve per run, config diff table) and the Group view (mean
// curve and band per group), their controls, and the chart's SVG and PNG export.
"use strict";

(function () {
  const ui = window.MlxpUi;
  const { Charts, $, el, getJSON, formatValue, chunks, state, hashFor, setState, listOf } = ui;
  const IDS_PER_REQUEST = 200;   // keeps request lines far below the server's 8 KiB bound
  const MAX_COMPARED = 500;

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
    const keys = ui.runs.data().metric_keys || [];
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
    return ui.runs.data().runs.map((r) => r.id);
  }

  async function showCompare() {
    const ticket = ++plotRequest;
    ui.stopLive();
    let data;
    try { data = await ui.runs.load(false); } catch (error) { return; }
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
      ui.follow(line.id, log, (live) => {
        if (ticket !== plotRequest) return;
        const fresh = live.series(key, state.x, width);
        line.x = fresh.x;
        line.y = fresh.y;
        drawPlot(plotSpec({ series, bands: [] }));
      });
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
    ui.stopLive();
    try { await ui.runs.load(false); } catch (error) { return; }
    if (ticket !== plotRequest) return;
    fillPlotControls();
    const message = $("#plot-message");
    message.textContent = "";
    if (!state.by) {
      const example = (ui.runs.data().varying || [])[0] || "optimizer.lr";
      message.textContent = "Type the config keys to group by (e.g. " + example + ").";
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

  function replot() {
    if (state.view === "compare") showCompare();
    else if (state.view === "group") showGroups();
  }

  function bindPlotEvents() {
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

  bindPlotEvents();
  ui.replot = replot;
})();
