"""The style and script an explorable map carries inside itself (see :mod:`.explore`).

The script reads the map's data from a ``<script type="application/json">``
beside it (JSON.parse, never eval), writes text into the tooltip with
``textContent`` only, and loads nothing. Everything is found from the map's
own element id, so several maps on one page stay apart. Without scripts the
SVG still shows, and each point is still a link.
"""
from __future__ import annotations

__all__ = ["STYLE", "SCRIPT"]


#: Shared by every map (the same rules, whichever map brings them first).
STYLE = """<style>
.pb-explore [hidden]{display:none !important}
.pb-explore{position:relative;margin:0.4em 0 1.4em;font:12px/1.4 sans-serif;max-width:1000px}
.pb-explore .pb-ex-title{font-weight:600;font-size:14px;margin:0.2em 0}
.pb-explore .pb-ex-hint,.pb-explore .pb-ex-note{color:#555;font-size:11.5px;margin:0.2em 0}
.pb-explore .pb-ex-frame{position:relative;border:1px solid #ddd;background:#fff;overflow:hidden}
.pb-explore svg.pb-ex-svg{display:block;width:100%;height:auto;cursor:grab;touch-action:none}
.pb-explore [data-s]{--pbs:1}
.pb-explore svg.pb-ex-svg:focus{outline:2px solid #0072B2;outline-offset:-2px}
.pb-explore svg.pb-ex-svg.pb-ex-dragging{cursor:grabbing}
.pb-explore .pb-ex-links line{vector-effect:non-scaling-stroke;stroke-linecap:round}
.pb-explore .pb-ex-pts circle{vector-effect:non-scaling-stroke;transform-box:fill-box;transform-origin:center;
  transform:scale(var(--pbs))}
.pb-explore .pb-ex-pts path{vector-effect:non-scaling-stroke}
.pb-explore .pb-ex-pts a,.pb-explore .pb-ex-pts use,.pb-explore .pb-ex-pts circle,
  .pb-explore .pb-ex-pts path{cursor:pointer}
.pb-explore .pb-ex-pts :focus{outline:none}
.pb-explore .pb-ex-pts use.pb-ex-on,.pb-explore .pb-ex-pts circle.pb-ex-on{stroke:#000;stroke-width:1.5px}
.pb-explore .pb-ex-pts path.pb-ex-on{stroke:#000}
.pb-explore .pb-ex-shape{transform:scale(var(--pbs))}
.pb-explore .pb-ex-labels{pointer-events:none}
.pb-explore .pb-ex-labels g>*{transform:scale(var(--pbs))}
.pb-explore .pb-ex-labels text{font-size:11px;paint-order:stroke;stroke:#fff;stroke-width:3px;fill:#222}
.pb-explore .pb-ex-labels text.pb-ex-num{font-weight:700;text-anchor:middle;dominant-baseline:central;stroke:none}
.pb-explore .pb-ex-tools{position:absolute;top:6px;right:6px;display:flex;gap:4px}
.pb-explore .pb-ex-tools button{font:14px/1 sans-serif;min-width:28px;height:28px;border:1px solid #999;
  border-radius:4px;background:#fff;cursor:pointer}
.pb-explore .pb-ex-tip{position:absolute;z-index:5;max-width:26em;padding:5px 8px;background:#fff;
  border:1px solid #888;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.25);pointer-events:none;
  font-size:12px;overflow-wrap:anywhere}
.pb-explore .pb-ex-tip b{display:block;margin-bottom:2px}
.pb-explore .pb-ex-legend{list-style:none;margin:0.4em 0 0;padding:0;columns:2 22em;font-size:11.5px}
.pb-explore .pb-ex-legend li{break-inside:avoid;margin:1px 0}
.pb-explore .pb-ex-legend svg{vertical-align:middle;margin-right:4px}
@media print{.pb-explore{display:none !important}}
</style>"""

# The map's element id is put where ID_JSON stands (as a JSON string).
SCRIPT = """(function () {
"use strict";
var root = document.getElementById(ID_JSON);
if (!root || root.getAttribute("data-live")) return;
root.setAttribute("data-live", "1");
var data = JSON.parse(document.getElementById(ID_JSON + "-data").textContent);
var svg = root.querySelector("svg.pb-ex-svg"), view = svg.querySelector(".pb-ex-view");
var tip = root.querySelector(".pb-ex-tip");
var k = 1, tx = 0, ty = 0, K_MIN = 1, K_MAX = 60;
var pts = root.querySelectorAll(".pb-ex-pts use, .pb-ex-pts circle, .pb-ex-pts path");
// only these hold what keeps its size on the screen: a change of scale restyles them, not every point
var scaled = root.querySelectorAll("[data-s]");
var focusable = [];
for (var i = 0; i < pts.length; i++) {
  var parent = pts[i].parentNode, el = parent.nodeName.toLowerCase() === "a" ? parent : pts[i];
  pts[i].pbIndex = i; el.pbIndex = i;
  el.setAttribute("tabindex", i === 0 ? "0" : "-1");
  focusable.push(el);
}
var stop = focusable[0];  // the one point Tab stops at: the last one focused
svg.setAttribute("tabindex", "0");
var tools = root.querySelector(".pb-ex-tools");
if (tools) tools.hidden = false;
function apply() {
  view.setAttribute("transform", "translate(" + tx.toFixed(2) + " " + ty.toFixed(2) + ") scale(" + k.toFixed(4) + ")");
  for (var j = 0; j < scaled.length; j++) scaled[j].style.setProperty("--pbs", (1 / k).toFixed(5));
}
function svgPoint(clientX, clientY) {
  var p = svg.createSVGPoint(); p.x = clientX; p.y = clientY;
  return p.matrixTransform(svg.getScreenCTM().inverse());
}
function zoomAt(x, y, factor) {
  var next = Math.min(K_MAX, Math.max(K_MIN, k * factor));
  tx = x - (x - tx) * next / k; ty = y - (y - ty) * next / k; k = next;
  apply();
}
function reset() { k = 1; tx = 0; ty = 0; apply(); }
function centre() { return [data.w / 2, data.h / 2]; }
function pan(dx, dy) { tx += dx; ty += dy; apply(); }
svg.addEventListener("wheel", function (e) {
  e.preventDefault();
  var p = svgPoint(e.clientX, e.clientY);
  zoomAt(p.x, p.y, Math.exp(-Math.max(-300, Math.min(300, e.deltaY)) * 0.002));
}, {passive: false});
if (tools) tools.addEventListener("click", function (e) {
  var b = e.target.closest("button"); if (!b) return;
  var c = centre(), what = b.getAttribute("data-zoom");
  if (what === "in") zoomAt(c[0], c[1], 1.5);
  else if (what === "out") zoomAt(c[0], c[1], 1 / 1.5);
  else reset();
});
var drag = null, dragged = false;
svg.addEventListener("pointerdown", function (e) {
  if (e.button !== 0) return;
  drag = {x: e.clientX, y: e.clientY, tx: tx, ty: ty, id: e.pointerId}; dragged = false;
});
svg.addEventListener("pointermove", function (e) {
  if (!drag) return;
  var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
  if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) return;
  if (!dragged) { dragged = true; svg.classList.add("pb-ex-dragging"); hide(); }
  var m = svg.getScreenCTM(), scale = m ? 1 / m.a : 1;
  tx = drag.tx + dx * scale; ty = drag.ty + dy * scale; apply();
});
function endDrag() { drag = null; svg.classList.remove("pb-ex-dragging"); }
svg.addEventListener("pointerup", endDrag);
svg.addEventListener("pointercancel", endDrag);
svg.addEventListener("pointerleave", endDrag);
svg.addEventListener("click", function (e) {
  var a = e.target.closest ? e.target.closest("a") : null;
  if (!a) return;
  e.preventDefault();
  if (dragged) { dragged = false; return; }
  var href = a.getAttribute("href");
  if (/^https:\\/\\/(doi\\.org|openalex\\.org)\\//.test(href)) window.open(href, "_blank", "noopener");
});
var shown = null;
function hide() {
  tip.hidden = true;
  if (shown !== null) { pts[shown].classList.remove("pb-ex-on"); shown = null; }
}
function show(i, clientX, clientY) {
  if (shown !== null) pts[shown].classList.remove("pb-ex-on");
  shown = i; pts[i].classList.add("pb-ex-on");
  var lines = data.tips[i] || [], group = pts[i].parentNode.closest("[data-g]");
  while (tip.firstChild) tip.removeChild(tip.firstChild);
  var head = document.createElement("b"); head.textContent = lines[0] || ""; tip.appendChild(head);
  var rest = lines.slice(1);
  if (group && data.groups) rest.push(data.groups[+group.getAttribute("data-g")]);
  var link = pts[i].parentNode.nodeName.toLowerCase() === "a" ? pts[i].parentNode.getAttribute("href") : null;
  if (link) rest.push("Click or press Enter: " + link.replace(/^https:\\/\\//, ""));
  for (var j = 0; j < rest.length; j++) {
    if (!rest[j]) continue;
    var line = document.createElement("div"); line.textContent = rest[j]; tip.appendChild(line);
  }
  tip.hidden = false;
  var box = root.getBoundingClientRect(), x = clientX - box.left + 14, y = clientY - box.top + 14;
  if (x + tip.offsetWidth > box.width) x = Math.max(0, clientX - box.left - tip.offsetWidth - 14);
  tip.style.left = x + "px"; tip.style.top = y + "px";
}
svg.addEventListener("pointerover", function (e) {
  if (drag && dragged) return;
  var i = e.target.pbIndex;
  if (i === undefined) { hide(); return; }
  show(i, e.clientX, e.clientY);
});
svg.addEventListener("pointerout", function (e) { if (e.target.pbIndex !== undefined) hide(); });
root.addEventListener("focusin", function (e) {
  var i = e.target.pbIndex;
  if (i === undefined) { hide(); return; }
  if (stop !== e.target) {
    stop.setAttribute("tabindex", "-1"); e.target.setAttribute("tabindex", "0"); stop = e.target;
  }
  var r = pts[i].getBoundingClientRect();
  show(i, r.right, r.bottom);
});
root.addEventListener("focusout", function () { hide(); });
root.addEventListener("keydown", function (e) {
  var i = e.target.pbIndex, step = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1}[e.key];
  if (i !== undefined && step) {
    e.preventDefault();
    focusable[(i + step + focusable.length) % focusable.length].focus();
    return;
  }
  if (e.target !== svg && i === undefined) return;
  var c = centre(), s = 40 / k;
  if (e.key === "+" || e.key === "=") zoomAt(c[0], c[1], 1.5);
  else if (e.key === "-" || e.key === "_") zoomAt(c[0], c[1], 1 / 1.5);
  else if (e.key === "0") reset();
  else if (e.target === svg && step) {
    pan({ArrowRight: -s, ArrowLeft: s}[e.key] || 0, {ArrowDown: -s, ArrowUp: s}[e.key] || 0);
  } else if (e.key === "Escape") hide();
  else return;
  e.preventDefault();
});
apply();
})();"""


assert "</" not in SCRIPT and "<!--" not in SCRIPT  # the script must not end its own element
