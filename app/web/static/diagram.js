// Ohm dashboard: zoom and pan for the wiring diagrams drawn inline in the page.
// The diagram opens at its actual size (1 unit = 1 CSS pixel, so a 12 px pin label reads
// as 12 px); the wheel or a pinch zooms around the pointer, dragging pans, the toolbar
// zooms, fits or resets, and "all pins" swaps in the diagram with every board pin.
// Zooming rewrites the SVG's viewBox; nothing else in the drawing is touched.
"use strict";

(() => {
  const MIN = 0.2;
  const MAX = 6;
  const STEP = 1.25;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const ALLOWED = new Set(["svg", "g", "rect", "circle", "line", "polyline", "path", "text", "tspan", "title"]);

  // Keeps only plain drawing elements and attributes (no script, link or handler), for
  // the diagram fetched when "all pins" is ticked.
  function cleanSvg(text) {
    const doc = new DOMParser().parseFromString(text, "image/svg+xml");
    const root = doc.documentElement;
    if (!root || root.localName !== "svg" || root.namespaceURI !== SVG_NS) return null;
    const walk = (node) => {
      for (const child of [...node.children]) {
        if (child.namespaceURI !== SVG_NS || !ALLOWED.has(child.localName)) {
          child.remove();
          continue;
        }
        for (const attr of [...child.attributes]) {
          const name = attr.name.toLowerCase();
          if (name.startsWith("on") || name.includes("href") || name === "style") child.removeAttribute(attr.name);
        }
        walk(child);
      }
    };
    for (const attr of [...root.attributes]) {
      if (attr.name.toLowerCase().startsWith("on")) root.removeAttribute(attr.name);
    }
    walk(root);
    return document.importNode(root, true);
  }

  class Viewer {
    constructor(figure) {
      this.figure = figure;
      this.viewport = figure.querySelector(".diagram-viewport");
      this.label = figure.querySelector(".diagram-scale");
      this.scale = 1;
      this.x = 0;
      this.y = 0;
      this.pointers = new Map();
      this.adopt(this.viewport.querySelector("svg"));
      figure.addEventListener("click", (e) => this.onButton(e));
      this.viewport.addEventListener("wheel", (e) => this.onWheel(e), { passive: false });
      this.viewport.addEventListener("pointerdown", (e) => this.onDown(e));
      this.viewport.addEventListener("pointermove", (e) => this.onMove(e));
      this.viewport.addEventListener("pointerup", (e) => this.onUp(e));
      this.viewport.addEventListener("pointercancel", (e) => this.onUp(e));
      this.viewport.addEventListener("keydown", (e) => this.onKey(e));
      figure.querySelector("[data-pins-toggle]")?.addEventListener("change", (e) => this.swapPins(e.target.checked));
      new ResizeObserver(() => this.apply()).observe(this.viewport);
    }

    adopt(svg) {
      if (!svg) return;
      this.svg = svg;
      const vb = (svg.getAttribute("viewBox") || "").split(/[\s,]+/).map(Number);
      this.w = vb[2] || Number(svg.getAttribute("width")) || 800;
      this.h = vb[3] || Number(svg.getAttribute("height")) || 600;
      svg.setAttribute("width", "100%");
      svg.setAttribute("height", "100%");
      svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
      // The viewport is as tall as the drawing at actual size, within the CSS limits.
      this.viewport.style.setProperty("--diagram-h", `${Math.ceil(this.h) + 2}px`);
      this.apply();
    }

    size() {
      return { cw: this.viewport.clientWidth, ch: this.viewport.clientHeight };
    }

    apply() {
      const { cw, ch } = this.size();
      if (!this.svg || !cw || !ch) return;
      const vw = cw / this.scale;
      const vh = ch / this.scale;
      // Keep some of the drawing in view whatever the pan.
      this.x = Math.min(Math.max(this.x, -vw * 0.8), this.w - vw * 0.2);
      this.y = Math.min(Math.max(this.y, -vh * 0.8), this.h - vh * 0.2);
      this.svg.setAttribute("viewBox", `${this.x.toFixed(1)} ${this.y.toFixed(1)} ${vw.toFixed(1)} ${vh.toFixed(1)}`);
      this.figure.dataset.scale = this.scale.toFixed(3);
      if (this.label) this.label.textContent = `${Math.round(this.scale * 100)}%`;
    }

    zoomAt(factor, px, py) {
      const next = Math.min(MAX, Math.max(MIN, this.scale * factor));
      // The drawing point under (px, py) stays under it.
      const ux = this.x + px / this.scale;
      const uy = this.y + py / this.scale;
      this.scale = next;
      this.x = ux - px / next;
      this.y = uy - py / next;
      this.apply();
    }

    zoomCentre(factor) {
      const { cw, ch } = this.size();
      this.zoomAt(factor, cw / 2, ch / 2);
    }

    fit() {
      const { cw, ch } = this.size();
      if (!cw || !ch) return;
      this.scale = Math.min(MAX, Math.max(MIN, Math.min(cw / this.w, ch / this.h)));
      this.x = 0;
      this.y = 0;
      this.apply();
    }

    reset() {
      this.scale = 1;
      this.x = 0;
      this.y = 0;
      this.apply();
    }

    onButton(e) {
      const button = e.target.closest("[data-zoom]");
      if (!button || !this.figure.contains(button)) return;
      const how = button.dataset.zoom;
      if (how === "in") this.zoomCentre(STEP);
      else if (how === "out") this.zoomCentre(1 / STEP);
      else if (how === "fit") this.fit();
      else this.reset();
    }

    onWheel(e) {
      e.preventDefault();
      const r = this.viewport.getBoundingClientRect();
      const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
      this.zoomAt(factor, e.clientX - r.left, e.clientY - r.top);
    }

    onDown(e) {
      if (e.button !== 0 && e.pointerType === "mouse") return;
      this.viewport.setPointerCapture(e.pointerId);
      this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      this.viewport.classList.add("dragging");
    }

    onMove(e) {
      const prev = this.pointers.get(e.pointerId);
      if (!prev) return;
      if (this.pointers.size === 2) {
        const [a, b] = [...this.pointers.values()];
        const before = Math.hypot(a.x - b.x, a.y - b.y);
        this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
        const [c, d] = [...this.pointers.values()];
        const after = Math.hypot(c.x - d.x, c.y - d.y);
        const r = this.viewport.getBoundingClientRect();
        if (before > 0) this.zoomAt(after / before, (c.x + d.x) / 2 - r.left, (c.y + d.y) / 2 - r.top);
        return;
      }
      this.x -= (e.clientX - prev.x) / this.scale;
      this.y -= (e.clientY - prev.y) / this.scale;
      this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      this.apply();
    }

    onUp(e) {
      this.pointers.delete(e.pointerId);
      if (!this.pointers.size) this.viewport.classList.remove("dragging");
    }

    onKey(e) {
      const keys = { "+": () => this.zoomCentre(STEP), "=": () => this.zoomCentre(STEP), "-": () => this.zoomCentre(1 / STEP), "0": () => this.reset() };
      const pan = { ArrowLeft: [-40, 0], ArrowRight: [40, 0], ArrowUp: [0, -40], ArrowDown: [0, 40] };
      if (keys[e.key]) keys[e.key]();
      else if (pan[e.key]) {
        this.x += pan[e.key][0] / this.scale;
        this.y += pan[e.key][1] / this.scale;
        this.apply();
      } else return;
      e.preventDefault();
    }

    async swapPins(all) {
      const url = new URL(this.figure.dataset.src, location.href);
      if (all) url.searchParams.set("pins", "all");
      const resp = await fetch(url, { credentials: "same-origin" });
      if (!resp.ok) return;
      const fresh = cleanSvg(await resp.text());
      if (!fresh) return;
      this.svg.replaceWith(fresh);
      this.adopt(fresh);
    }
  }

  function init(root) {
    root.querySelectorAll?.(".diagram-viewer").forEach((figure) => {
      if (figure.dataset.ready) return;
      figure.dataset.ready = "true";
      figure.viewer = new Viewer(figure);
    });
  }

  init(document);
  // Drawers are replaced after each turn: set up the diagrams they bring.
  new MutationObserver((records) => {
    for (const r of records) r.addedNodes.forEach((n) => n.nodeType === 1 && init(n.parentElement || n));
  }).observe(document.body, { childList: true, subtree: true });
  // A closed drawer has no size: draw its diagram once it opens.
  document.addEventListener(
    "toggle",
    (e) => e.target.querySelectorAll?.(".diagram-viewer").forEach((f) => f.viewer?.apply()),
    true,
  );
})();
