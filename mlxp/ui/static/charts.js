// mlxp ui charts: small SVG line charts (curves, mean curves with bands), axes, a legend, hover
// values and drag-to-zoom; their numbers come from chartmath.js, their files from export.js.
// Every label comes from run data, so it is set as a text node, never parsed as markup.
"use strict";

(function (global) {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const MARGIN = { left: 64, right: 20, top: 14, bottom: 42 };
  const LEGEND_ROW = 18;
  const LEGEND_GAP = 16;  // between the x axis label and the first legend row
  const { formatNumber, linearTicks, logTicks, ema, downsample } = global.MlxpChartMath;
  let chartCount = 0;

  function colorFor(index) {
    if (index < PALETTE.length) return PALETTE[index];
    // Past the palette, spread hues by the golden angle so neighbours stay distinct.
    return "hsl(" + Math.round((index * 137.508) % 360) + ", 62%, 45%)";
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    return node;
  }

  function svgText(attrs, text) {
    const node = svg("text", attrs);
    node.textContent = text;
    return node;
  }

  function usable(value, logY) {
    return typeof value === "number" && isFinite(value) && (!logY || value > 0);
  }

  // The lines a chart draws, after smoothing: {kind, id, label, color, x, y, lo, hi, count}.
  function prepare(spec) {
    const weight = spec.smooth || 0;
    const lines = [];
    for (const s of spec.series || []) {
      lines.push({ kind: "series", id: s.id, label: s.label, color: s.color, x: s.x,
        y: ema(s.y, weight), raw: weight > 0 ? s.y : null });
    }
    for (const b of spec.bands || []) {
      lines.push({ kind: "band", id: b.id, label: b.label, color: b.color, x: b.x,
        y: ema(b.mean, weight), lo: ema(b.lo, weight), hi: ema(b.hi, weight), count: b.count });
    }
    return lines;
  }

  function domain(lines, logY, zoom) {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const line of lines) {
      for (let i = 0; i < line.x.length; i++) {
        const x = line.x[i];
        if (typeof x !== "number" || !isFinite(x)) continue;
        if (zoom && (x < zoom.x0 || x > zoom.x1)) continue;
        const ys = [line.y[i]];
        if (line.lo) ys.push(line.lo[i], line.hi[i]);
        let seen = false;
        for (const y of ys) {
          if (!usable(y, logY)) continue;
          seen = true;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
        if (seen) { if (x < x0) x0 = x; if (x > x1) x1 = x; }
      }
    }
    if (zoom) { x0 = zoom.x0; x1 = zoom.x1; if (zoom.y0 !== undefined) { y0 = zoom.y0; y1 = zoom.y1; } }
    if (!isFinite(x0)) return null;
    if (x0 === x1) { x0 -= 0.5; x1 += 0.5; }
    if (y0 === y1) {
      const pad = logY ? y0 * 0.5 : Math.abs(y0) * 0.1 || 0.5;
      y0 -= pad; y1 += pad;
    } else if (!zoom || zoom.y0 === undefined) {
      if (logY) { y0 /= 1.1; y1 *= 1.1; } else { const pad = (y1 - y0) * 0.04; y0 -= pad; y1 += pad; }
    }
    return { x0, x1, y0, y1 };
  }

  function makeScales(dom, width, plotHeight, logY) {
    const left = MARGIN.left, right = width - MARGIN.right, top = MARGIN.top;
    const bottom = top + plotHeight;
    const ty = logY ? Math.log10 : (v) => v;
    const ya = ty(dom.y0), yb = ty(dom.y1);
    return {
      left, right, top, bottom,
      x: (v) => left + (v - dom.x0) / (dom.x1 - dom.x0) * (right - left),
      y: (v) => bottom - (ty(v) - ya) / (yb - ya) * (bottom - top),
      invertX: (px) => dom.x0 + (px - left) / (right - left) * (dom.x1 - dom.x0),
      invertY: (py) => {
        const t = ya + (bottom - py) / (bottom - top) * (yb - ya);
        return logY ? Math.pow(10, t) : t;
      },
    };
  }

  // "M x y L x y ...", starting a new segment after each unusable value (a gap, not a dive to 0).
  function pathData(xs, ys, scales, logY) {
    const parts = [];
    let pen = "M";
    for (let i = 0; i < xs.length; i++) {
      if (!usable(ys[i], logY) || typeof xs[i] !== "number" || !isFinite(xs[i])) { pen = "M"; continue; }
      parts.push(pen + scales.x(xs[i]).toFixed(1) + " " + scales.y(ys[i]).toFixed(1));
      pen = "L";
    }
    return parts.join("");
  }

  // The area between lo and hi: along hi forwards, back along lo.
  function bandData(line, scales, logY) {
    const upper = [];
    const lower = [];
    for (let i = 0; i < line.x.length; i++) {
      if (!usable(line.lo[i], logY) || !usable(line.hi[i], logY)) continue;
      const px = scales.x(line.x[i]).toFixed(1);
      upper.push(px + " " + scales.y(line.hi[i]).toFixed(1));
      lower.push(px + " " + scales.y(line.lo[i]).toFixed(1));
    }
    if (!upper.length) return "";
    return "M" + upper.join("L") + "L" + lower.reverse().join("L") + "Z";
  }

  function drawAxes(root, dom, scales, spec) {
    const axes = svg("g", { class: "axes", "font-size": 11, fill: "#333" });
    const xTicks = linearTicks(dom.x0, dom.x1, Math.max(2, Math.floor((scales.right - scales.left) / 90)));
    const yCount = Math.max(2, Math.floor((scales.bottom - scales.top) / 45));
    const yTicks = spec.logY ? logTicks(dom.y0, dom.y1) : linearTicks(dom.y0, dom.y1, yCount);
    for (const t of xTicks) {
      const px = scales.x(t);
      if (px < scales.left - 0.5 || px > scales.right + 0.5) continue;
      axes.appendChild(svg("line", { x1: px, x2: px, y1: scales.top, y2: scales.bottom, stroke: "#e4e4e4" }));
      axes.appendChild(svgText({ x: px, y: scales.bottom + 15, "text-anchor": "middle" }, formatNumber(t)));
    }
    for (const t of yTicks) {
      const py = scales.y(t);
      if (py < scales.top - 0.5 || py > scales.bottom + 0.5) continue;
      axes.appendChild(svg("line", { x1: scales.left, x2: scales.right, y1: py, y2: py, stroke: "#e4e4e4" }));
      axes.appendChild(svgText({ x: scales.left - 6, y: py + 4, "text-anchor": "end" }, formatNumber(t)));
    }
    axes.appendChild(svg("rect", { x: scales.left, y: scales.top, width: scales.right - scales.left,
      height: scales.bottom - scales.top, fill: "none", stroke: "#999" }));
    axes.appendChild(svgText({ x: (scales.left + scales.right) / 2, y: scales.bottom + 34,
      "text-anchor": "middle", "font-size": 12 }, spec.xLabel || ""));
    const yLabel = svgText({ x: 0, y: 0, "text-anchor": "middle", "font-size": 12,
      transform: "translate(14 " + (scales.top + scales.bottom) / 2 + ") rotate(-90)" },
      (spec.yLabel || "") + (spec.logY ? " (log)" : ""));
    axes.appendChild(yLabel);
    root.appendChild(axes);
  }

  // Legend rows under the plot: a colour swatch and the label, wrapped to the chart's width.
  function layoutLegend(lines, width) {
    const items = [];
    let x = MARGIN.left;
    let row = 0;
    for (const line of lines) {
      const text = String(line.label);
      const itemWidth = 22 + Math.min(text.length, 60) * 6.4 + 14;
      if (x + itemWidth > width - MARGIN.right && x > MARGIN.left) { row += 1; x = MARGIN.left; }
      items.push({ line, text: text.length > 60 ? text.slice(0, 59) + "…" : text, x, row });
      x += itemWidth;
    }
    return { items, rows: lines.length ? row + 1 : 0 };
  }

  function drawLegend(root, legend, top) {
    const group = svg("g", { class: "legend", "font-size": 11, fill: "#222" });
    for (const item of legend.items) {
      const y = top + item.row * LEGEND_ROW;
      group.appendChild(svg("rect", { x: item.x, y: y - 8, width: 16, height: 4, fill: item.line.color }));
      const label = svgText({ x: item.x + 22, y: y - 2 }, item.text);
      label.setAttribute("data-legend", item.line.id);
      group.appendChild(label);
    }
    root.appendChild(group);
  }

  function firstAtOrAfter(xs, target) {
    let lo = 0, hi = xs.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (xs[mid] < target) lo = mid + 1; else hi = mid; }
    return lo;
  }

  // Index of the point of `line` nearest to x (binary search when x only grows).
  function nearest(line, x) {
    const xs = line.x;
    if (!xs.length) return -1;
    if (line.sorted === undefined) {
      line.sorted = true;
      for (let i = 1; i < xs.length; i++) if (!(xs[i] >= xs[i - 1])) { line.sorted = false; break; }
    }
    if (line.sorted) {
      const i = firstAtOrAfter(xs, x);
      if (i <= 0) return 0;
      if (i >= xs.length) return xs.length - 1;
      return x - xs[i - 1] <= xs[i] - x ? i - 1 : i;
    }
    let best = -1, bestDistance = Infinity;
    for (let i = 0; i < xs.length; i++) {
      const d = Math.abs(xs[i] - x);
      if (d < bestDistance) { best = i; bestDistance = d; }
    }
    return best;
  }

  function tooltipRows(lines, x, logY) {
    const rows = [];
    for (const line of lines) {
      const i = nearest(line, x);
      if (i < 0 || !usable(line.y[i], logY)) continue;
      let text = line.label + ": " + formatNumber(line.y[i]);
      if (line.kind === "band") {
        text += " [" + formatNumber(line.lo[i]) + ", " + formatNumber(line.hi[i]) + "]";
        if (line.count) text += ", " + line.count[i] + (line.count[i] === 1 ? " run" : " runs");
      }
      rows.push({ color: line.color, text, x: line.x[i] });
    }
    return rows;
  }

  // The chart object: draws `spec` into `container` and keeps the zoom between redraws.
  function lineChart(container, spec) {
    chartCount += 1;
    const clipId = "mlxp-clip-" + chartCount;
    const chart = { spec, zoom: null, svg: null };
    container.classList.add("mlxp-chart");
    const tooltip = document.createElement("div");
    tooltip.className = "chart-tooltip";
    tooltip.hidden = true;

    function draw() {
      const width = spec.width || Math.max(320, container.clientWidth || 800);
      const plotHeight = spec.height || 360;
      const lines = prepare(spec);
      const legend = layoutLegend(lines, width);
      const height = MARGIN.top + plotHeight + MARGIN.bottom + (legend.rows ? LEGEND_GAP + legend.rows * LEGEND_ROW : 0) + 4;
      const root = svg("svg", { xmlns: SVG_NS, width, height, viewBox: "0 0 " + width + " " + height,
        "font-family": "sans-serif", role: "img" });
      root.appendChild(svg("rect", { x: 0, y: 0, width, height, fill: "#fff" }));
      const dom = domain(lines, spec.logY, chart.zoom);
      container.replaceChildren(root, tooltip);
      chart.svg = root;
      if (!dom) {
        root.appendChild(svgText({ x: width / 2, y: MARGIN.top + plotHeight / 2, "text-anchor": "middle",
          fill: "#777", "font-size": 13 }, spec.emptyText || "no numeric values to draw"));
        return;
      }
      const scales = makeScales(dom, width, plotHeight, spec.logY);
      drawAxes(root, dom, scales, spec);
      const defs = svg("defs");
      const clip = svg("clipPath", { id: clipId });
      clip.appendChild(svg("rect", { x: scales.left, y: scales.top, width: scales.right - scales.left,
        height: scales.bottom - scales.top }));
      defs.appendChild(clip);
      root.appendChild(defs);
      const plot = svg("g", { "clip-path": "url(#" + clipId + ")" });
      for (const line of lines) {
        if (line.kind === "band") {
          plot.appendChild(svg("path", { class: "band", "data-group": line.id, d: bandData(line, scales, spec.logY),
            fill: line.color, "fill-opacity": 0.18, stroke: "none" }));
        } else if (line.raw) {
          plot.appendChild(svg("path", { class: "raw", "data-run": line.id, d: pathData(line.x, line.raw, scales, spec.logY),
            fill: "none", stroke: line.color, "stroke-opacity": 0.25, "stroke-width": 1 }));
        }
      }
      for (const line of lines) {
        const attrs = { d: pathData(line.x, line.y, scales, spec.logY), fill: "none", stroke: line.color,
          "stroke-width": 1.6, "stroke-linejoin": "round" };
        if (line.kind === "band") { attrs.class = "mean"; attrs["data-group"] = line.id; attrs["stroke-width"] = 2; }
        else { attrs.class = "series"; attrs["data-run"] = line.id; }
        plot.appendChild(svg("path", attrs));
      }
      root.appendChild(plot);
      drawLegend(root, legend, scales.bottom + MARGIN.bottom + LEGEND_GAP);
      addInteraction(root, lines, scales);
    }

    // Hover line and values, drag to zoom, double-click to reset. Marked "interactive" so
    // exports leave them out.
    function addInteraction(root, lines, scales) {
      const layer = svg("g", { class: "interactive" });
      const cursor = svg("line", { y1: scales.top, y2: scales.bottom, stroke: "#555", "stroke-dasharray": "3 3",
        visibility: "hidden" });
      const selection = svg("rect", { y: scales.top, height: scales.bottom - scales.top, fill: "#4a90d9",
        "fill-opacity": 0.15, visibility: "hidden" });
      const overlay = svg("rect", { class: "overlay", x: scales.left, y: scales.top, width: scales.right - scales.left,
        height: scales.bottom - scales.top, fill: "transparent" });
      layer.append(cursor, selection, overlay);
      root.appendChild(layer);
      let dragFrom = null;
      const pointer = (event) => {
        const box = root.getBoundingClientRect();
        const scale = box.width ? root.viewBox.baseVal.width / box.width : 1;
        return { x: (event.clientX - box.left) * scale, y: (event.clientY - box.top) * scale };
      };
      const clampX = (px) => Math.min(scales.right, Math.max(scales.left, px));
      const clampY = (py) => Math.min(scales.bottom, Math.max(scales.top, py));
      overlay.addEventListener("mousedown", (event) => { dragFrom = pointer(event); event.preventDefault(); });
      overlay.addEventListener("mousemove", (event) => {
        const p = pointer(event);
        cursor.setAttribute("x1", p.x);
        cursor.setAttribute("x2", p.x);
        cursor.setAttribute("visibility", "visible");
        if (dragFrom) {
          const a = clampX(dragFrom.x), b = clampX(p.x);
          selection.setAttribute("x", Math.min(a, b));
          selection.setAttribute("width", Math.abs(b - a));
          selection.setAttribute("visibility", "visible");
        }
        showTooltip(tooltipRows(lines, scales.invertX(p.x), spec.logY), event);
      });
      overlay.addEventListener("mouseleave", () => {
        cursor.setAttribute("visibility", "hidden");
        tooltip.hidden = true;
      });
      overlay.addEventListener("mouseup", (event) => {
        if (!dragFrom) return;
        const p = pointer(event);
        const from = dragFrom;
        dragFrom = null;
        selection.setAttribute("visibility", "hidden");
        if (Math.abs(p.x - from.x) < 5) return;
        const zoom = { x0: scales.invertX(clampX(Math.min(from.x, p.x))), x1: scales.invertX(clampX(Math.max(from.x, p.x))) };
        if (Math.abs(p.y - from.y) >= 5) {
          zoom.y0 = scales.invertY(clampY(Math.max(from.y, p.y)));
          zoom.y1 = scales.invertY(clampY(Math.min(from.y, p.y)));
        }
        chart.zoom = zoom;
        draw();
      });
      overlay.addEventListener("dblclick", () => { chart.zoom = null; draw(); });
    }

    function showTooltip(rows, event) {
      if (!rows.length) { tooltip.hidden = true; return; }
      const children = [];
      const head = document.createElement("div");
      head.className = "tooltip-x";
      head.textContent = (spec.xLabel || "x") + " = " + formatNumber(rows[0].x);
      children.push(head);
      for (const row of rows.slice(0, 12)) {
        const line = document.createElement("div");
        const swatch = document.createElement("span");
        swatch.className = "swatch";
        swatch.style.background = row.color;
        line.append(swatch, document.createTextNode(row.text));
        children.push(line);
      }
      if (rows.length > 12) {
        const more = document.createElement("div");
        more.textContent = "… " + (rows.length - 12) + " more";
        children.push(more);
      }
      tooltip.replaceChildren(...children);
      tooltip.hidden = false;
      const box = container.getBoundingClientRect();
      const left = event.clientX - box.left + 14;
      tooltip.style.left = Math.min(left, Math.max(0, box.width - tooltip.offsetWidth - 4)) + "px";
      tooltip.style.top = (event.clientY - box.top + 14) + "px";
    }

    chart.update = (changes) => { Object.assign(spec, changes); draw(); };
    chart.resetZoom = () => { chart.zoom = null; draw(); };
    draw();
    return chart;
  }

  global.MlxpCharts = Object.assign({ lineChart, colorFor, ema, downsample, linearTicks, logTicks,
    formatNumber }, global.MlxpExport);
})(window);
