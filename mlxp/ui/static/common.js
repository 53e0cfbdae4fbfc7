// mlxp ui, shared by the other scripts: DOM and API helpers, value formats, and the page's
// state kept in the URL hash. Every string from a run is set with textContent or
// setAttribute, never parsed as HTML: a config value "<script>" shows as text.
"use strict";

(function () {
  const Charts = window.MlxpCharts;
  const TOKEN = new URLSearchParams(location.search).get("token");
  const STATUSES = ["COMPLETE", "RUNNING", "FAILED", "LOST", "CANCELLED", "STARTING", "DAMAGED"];

  const $ = (selector) => document.querySelector(selector);

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

  // The page's state, kept in the URL hash.
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

  window.MlxpUi = { Charts, $, el, ApiError, apiUrl, getJSON, formatValue, formatDuration, formatDate,
    statusBadge, flatten, chunks, showPageError, state, readHash, hashFor, setState, listOf };
})();
