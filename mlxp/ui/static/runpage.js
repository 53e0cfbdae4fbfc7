// mlxp ui: one run's page: its curves (live while it runs), artifacts, config, info, command,
// git commit and diff, error and log tails.
"use strict";

(function () {
  const ui = window.MlxpUi;
  const { Charts, $, el, apiUrl, getJSON, formatValue, statusBadge, flatten, state, showPageError } = ui;

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
        ui.follow(run.id, log, (live) => {
          if (ticket !== runRequest) return;
          for (const item of mine) { const s = live.series(item.key, "step", width); draw(item, s.x, s.y); }
        });
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
    ui.stopLive();
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

  ui.showRun = showRun;
})();
