"use strict";
// The overview panel: counts by grade and category, the region tree (province → city → county)
// with open incidents per node, the last 24 hours, and sparklines of the readings behind series
// incidents. Reads /api/overview with the page's own filter (location.search, which feed.js keeps
// current) every few seconds. Data is written with textContent and SVG attributes only.
(() => {
  const REFRESH_MS = 5000;
  const SVG = "http://www.w3.org/2000/svg";
  const COLOURS = { I: "red", II: "orange", III: "yellow", IV: "blue" };
  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  }

  function renderCounts(counts) {
    const grades = counts.by_grade.map((g) => {
      const chip = el("span", "count bg-" + g.label.colour, `${g.label.numeral}级 ${g.label.zh} ${g.open}`);
      chip.dataset.grade = g.grade;
      return chip;
    });
    const categories = counts.by_category.map((c) => {
      const chip = el("span", "count category-count", `${c.label.zh} ${c.label.en}: ${c.open}`);
      chip.dataset.category = c.category;
      return chip;
    });
    $("ov-counts").replaceChildren(el("strong", null, `未处置 Open ${counts.open}`), ...grades, ...categories);
  }

  function treeList(nodes) {
    const ul = el("ul", "tree");
    for (const node of nodes) {
      const li = el("li");
      li.dataset.code = node.code;
      li.append(el("span", "tree-name", node.name), el("span", "tree-code", node.code),
                el("span", "tree-open", String(node.open)));
      if (node.children.length) li.append(treeList(node.children));
      ul.append(li);
    }
    return ul;
  }

  function renderTimeline(buckets) {
    const width = 24 * 12, height = 60;
    const max = Math.max(1, ...buckets.map((b) => Object.values(b.opened).reduce((a, n) => a + n, 0)));
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height + 14}`, class: "timeline", role: "img" });
    buckets.forEach((b, n) => {
      let y = height;
      for (const grade of ["IV", "III", "II", "I"]) {
        const h = (b.opened[grade] / max) * height;
        if (h > 0) {
          chart.append(svg("rect", { x: n * 12 + 1, y: y - h, width: 10, height: h, class: "fill-" + COLOURS[grade] }));
          y -= h;
        }
      }
      if (n % 6 === 0) {
        const label = svg("text", { x: n * 12, y: height + 12, class: "axis" });
        label.textContent = new Date(b.start_ms).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false });
        chart.append(label);
      }
    });
    const opened = buckets.reduce((a, b) => a + Object.values(b.opened).reduce((x, n) => x + n, 0), 0);
    const resolved = buckets.reduce((a, b) => a + b.resolved, 0);
    $("ov-timeline").replaceChildren(chart, el("p", "muted", `24 小时内新发 ${opened} 起，处置 ${resolved} 起 · last 24 h: ${opened} opened, ${resolved} resolved`));
  }

  function sparkline(line) {
    const width = 160, height = 36;
    const values = line.points.map((p) => p[1]);
    const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
    const t0 = line.points[0][0], t1 = line.points[line.points.length - 1][0], tspan = t1 - t0 || 1;
    const points = line.points.map(([t, v]) =>
      `${((t - t0) / tspan) * width},${height - ((v - lo) / span) * (height - 4) - 2}`).join(" ");
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "spark", role: "img" });
    chart.append(svg("polyline", { points, class: "stroke-" + COLOURS[line.grade] }));
    const item = el("li", "spark-item");
    item.dataset.incidentId = line.incident_id;
    item.append(el("span", "spark-title", line.title), chart,
                el("span", "spark-latest", `最新 latest ${values[values.length - 1]}`),
                el("span", "spark-place", line.place.label));
    return item;
  }

  function render(data) {
    renderCounts(data.counts);
    $("ov-regions").replaceChildren(data.regions.length ? treeList(data.regions) : el("p", "muted", "无未处置事件 · none open"));
    renderTimeline(data.timeline);
    $("ov-sparks").replaceChildren(...data.sparklines.map(sparkline));
    $("ov-sparks-empty").hidden = data.sparklines.length > 0;
  }

  async function refresh() {
    try {
      const response = await fetch("/api/overview" + location.search);
      if (response.ok) render(await response.json());
    } catch (e) {
      // The live indicator (feed.js) already says the server is unreachable; try again later.
    }
  }

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
