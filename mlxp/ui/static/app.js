// mlxp ui: the router. It shows the view the URL hash names and hands the filter's changes to
// the views, each in its own script (runs.js, plots.js, runpage.js).
"use strict";

(function () {
  const ui = window.MlxpUi;
  const { $, state, hashFor, setState, readHash, showPageError } = ui;
  const VIEWS = ["table", "run", "compare", "group"];

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
    ui.runs.stopRefresh();
    if (state.view !== "run") ui.stopLive();
    if ($("#filter").value !== state.where) $("#filter").value = state.where;
    const view = VIEWS.includes(state.view) ? state.view : "table";
    showView(view);
    if (view === "table") ui.runs.show();
    else if (view === "run") ui.showRun();
    else ui.replot();
  }

  let filterTimer = null;

  // The filter applies once typing pauses: the table, the group view, and Compare when it
  // shows every matched run.
  function onFilterInput() {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(async () => {
      const where = $("#filter").value.trim();
      if (where === state.where && ui.runs.current(where)) return;
      setState({ where });
      ui.runs.resetRows();
      try { await ui.runs.load(true); } catch (error) { return; }
      if (state.view === "table") ui.runs.show();
      else if (state.view === "group" || (state.view === "compare" && (!state.runs || state.runs === "all"))) ui.replot();
    }, 250);
  }

  window.addEventListener("hashchange", route);
  const filter = $("#filter");
  filter.addEventListener("input", onFilterInput);
  filter.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { clearTimeout(filterTimer); onFilterInput(); }
  });
  route();
})();
