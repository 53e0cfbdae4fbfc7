// mlxp ui charts: the numbers behind a chart: tick positions, short number labels, EMA
// smoothing and min/max downsampling. Pure functions, no DOM.
"use strict";

(function (global) {
  // A number short enough for a tick label or a tooltip, without float noise (0.30000000000000004).
  function formatNumber(value) {
    if (typeof value !== "number" || !isFinite(value)) return String(value);
    if (value === 0) return "0";
    const magnitude = Math.abs(value);
    if (magnitude >= 1e6 || magnitude < 1e-4) return value.toExponential(2).replace(/\.?0+e/, "e");
    return String(parseFloat(value.toPrecision(5)));
  }

  // Ticks at 1, 2 or 5 times a power of ten, about `count` of them between lo and hi.
  function linearTicks(lo, hi, count) {
    if (!(hi > lo)) return [lo];
    const rough = (hi - lo) / Math.max(1, count);
    const power = Math.pow(10, Math.floor(Math.log10(rough)));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) || 10 * power;
    const ticks = [];
    for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) {
      ticks.push(parseFloat((k * step).toPrecision(12)));
    }
    return ticks;
  }

  // Powers of ten between lo and hi (> 0); 2 and 5 times them too when there are few decades.
  function logTicks(lo, hi) {
    const first = Math.floor(Math.log10(lo));
    const last = Math.ceil(Math.log10(hi));
    const factors = last - first <= 2 ? [1, 2, 5] : [1];
    const ticks = [];
    for (let e = first; e <= last; e++) {
      for (const f of factors) {
        const t = parseFloat((f * Math.pow(10, e)).toPrecision(12));
        if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
      }
    }
    return ticks.length >= 2 ? ticks : linearTicks(lo, hi, 4);
  }

  // Exponential moving average, debiased like TensorBoard's so the start is not pulled to 0.
  // Non-finite values are passed through and do not disturb the average.
  function ema(values, weight) {
    if (!(weight > 0)) return values.slice();
    const out = new Array(values.length);
    let average = 0;
    let n = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== "number" || !isFinite(v)) { out[i] = v; continue; }
      average = average * weight + (1 - weight) * v;
      n += 1;
      out[i] = average / (1 - Math.pow(weight, n));
    }
    return out;
  }

  // At most 2 * buckets points: the min and max of y in each bucket of the x range, in order,
  // so peaks survive. Used for live data, which arrives whole; the server downsamples the rest.
  function downsample(xs, ys, buckets) {
    if (xs.length <= 2 * buckets) return { x: xs, y: ys };
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of xs) { if (x < lo) lo = x; if (x > hi) hi = x; }
    const width = (hi - lo) / buckets || 1;
    const outX = [];
    const outY = [];
    let current = -1;
    let minIndex = -1;
    let maxIndex = -1;
    const flush = () => {
      if (minIndex < 0) return;
      for (const i of minIndex <= maxIndex ? [minIndex, maxIndex] : [maxIndex, minIndex]) {
        if (outX.length && outX[outX.length - 1] === xs[i] && outY[outY.length - 1] === ys[i]) continue;
        outX.push(xs[i]);
        outY.push(ys[i]);
      }
    };
    for (let i = 0; i < xs.length; i++) {
      const bucket = Math.min(buckets - 1, Math.floor((xs[i] - lo) / width));
      if (bucket !== current) { flush(); current = bucket; minIndex = i; maxIndex = i; continue; }
      if (ys[i] < ys[minIndex]) minIndex = i;
      if (ys[i] > ys[maxIndex]) maxIndex = i;
    }
    flush();
    return { x: outX, y: outY };
  }

  global.MlxpChartMath = { formatNumber, linearTicks, logTicks, ema, downsample };
})(window);
