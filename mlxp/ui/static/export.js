// mlxp ui charts: save a chart as an SVG or PNG file, or any blob as a download.
"use strict";

(function (global) {
  // The chart's SVG as a standalone document, without the hover and zoom layer.
  function svgString(root) {
    const copy = root.cloneNode(true);
    for (const node of copy.querySelectorAll(".interactive")) node.remove();
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy);
  }

  function download(blob, filename) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = filename;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    // The browser reads the blob after the click returns: free it a while later.
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  function exportSvg(root, filename) {
    download(new Blob([svgString(root)], { type: "image/svg+xml" }), filename);
  }

  // PNG by drawing the SVG on a canvas at twice its size (sharp on high-density screens).
  function exportPng(root, filename) {
    const width = Number(root.getAttribute("width"));
    const height = Number(root.getAttribute("height"));
    const url = URL.createObjectURL(new Blob([svgString(root)], { type: "image/svg+xml" }));
    const image = new Image();
    return new Promise((resolve, reject) => {
      image.onload = () => {
        const canvas = document.createElement("canvas");
        canvas.width = width * 2;
        canvas.height = height * 2;
        const context = canvas.getContext("2d");
        context.scale(2, 2);
        context.fillStyle = "#fff";
        context.fillRect(0, 0, width, height);
        context.drawImage(image, 0, 0, width, height);
        URL.revokeObjectURL(url);
        canvas.toBlob((blob) => {
          if (!blob) { reject(new Error("the browser could not encode the PNG")); return; }
          download(blob, filename);
          resolve();
        }, "image/png");
      };
      image.onerror = () => { URL.revokeObjectURL(url); reject(new Error("the chart could not be drawn as an image")); };
      image.src = url;
    });
  }

  global.MlxpExport = { svgString, download, exportSvg, exportPng };
})(window);
