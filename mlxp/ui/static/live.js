// mlxp ui: the live curves of RUNNING runs, whose metrics files are read with /api/tail.
"use strict";

(function () {
  const ui = window.MlxpUi;
  const { Charts, getJSON } = ui;
  const LIVE_INTERVAL_MS = 2000;
  const LIVE_RECORDS_KEPT = 500000;

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

  // Follow one metrics log until the view changes: onChange(live) after each new answer.
  function follow(runId, log, onChange) {
    const live = new LiveLog(runId, log, onChange);
    liveLogs.push(live);
    return live.start();
  }

  ui.follow = follow;
  ui.stopLive = stopLive;
})();
