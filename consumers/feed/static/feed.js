"use strict";
// The feed page. One EventSource per filter: the server sends a snapshot of what this filter
// may see, then each change ("incident": a newer version, "remove": it left this view). After a
// dropped connection the browser reconnects and gets a fresh snapshot, so nothing missed in
// between has to be reconciled here. Data is written with textContent only, never as HTML.
(() => {
  const GRADE_ORDER = { I: 0, II: 1, III: 2, IV: 3 };
  const GRADES = [["I", "Ⅰ", "red"], ["II", "Ⅱ", "orange"], ["III", "Ⅲ", "yellow"], ["IV", "Ⅳ", "blue"]];
  const incidents = new Map(); // incident_id -> latest view
  const cards = new Map();     // incident_id -> <li>, reused so that updates do not rebuild the list
  let source = null;
  const $ = (id) => document.getElementById(id);

  function paramsFromForm() {
    const params = new URLSearchParams();
    const region = $("region").value.trim();
    if (region) params.set("region", region);
    if ($("state").value) params.set("state", $("state").value);
    for (const box of document.querySelectorAll('input[name="grade"]:checked')) params.append("grade", box.value);
    return params;
  }

  function formFromParams(params) {
    $("region").value = params.get("region") || "";
    $("state").value = params.get("state") || "";
    const grades = new Set(params.getAll("grade"));
    for (const box of document.querySelectorAll('input[name="grade"]')) box.checked = grades.has(box.value);
  }

  function setLive(state, text) {
    document.body.dataset.stream = state;
    $("live-text").textContent = text;
  }

  function formatTime(ms) {
    return ms == null ? "—" : new Date(ms).toLocaleString("zh-CN", { hour12: false });
  }

  function fillCard(el, i) {
    const q = (selector) => el.querySelector(selector);
    Object.assign(el.dataset, { incidentId: i.incident_id, grade: i.grade, colour: i.colour,
                                state: i.state, region: i.region_code, version: String(i.version) });
    el.className = "card grade-" + i.colour;
    q(".grade").className = "grade bg-" + i.colour;
    q(".grade").textContent = `${i.grade_label.numeral}级 ${i.grade_label.zh} · Grade ${i.grade} ${i.grade_label.en}`;
    q(".state").textContent = `${i.state_label.zh} ${i.state_label.en}`;
    q(".state").dataset.state = i.state;
    q(".warning").className = "warning" + (i.warning_colour ? " bg-" + i.warning_colour : "");
    q(".warning").textContent = i.warning_label ? `${i.warning_label.zh} ${i.warning_label.en}` : "";
    q(".version").textContent = "v" + i.version;
    q(".title").textContent = i.title_zh || i.title;
    q(".title-en").textContent = i.title_zh && i.title_zh !== i.title ? i.title : "";
    q(".summary-text").textContent = i.summary_zh || i.summary;
    q(".summary-text").title = i.summary_zh ? i.summary : "";  // the English summary on hover
    q(".category").textContent = `${i.category_label.zh} ${i.category_label.en}`;
    q(".region").textContent = i.place ? i.place.label : i.region_code;
    q(".opened").textContent = formatTime(i.opened_at_ms);
    q(".updated").textContent = formatTime(i.updated_at_ms);
    q(".rule").textContent = i.rule_id;
    q(".terms").replaceChildren(...i.matched_terms.map((term) => {
      const li = document.createElement("li");
      li.textContent = term;
      return li;
    }));
  }

  function cardFor(i) {
    let el = cards.get(i.incident_id);
    const isNew = !el;
    if (isNew) {
      el = $("card").content.firstElementChild.cloneNode(true);
      cards.set(i.incident_id, el);
    }
    if (el.dataset.version !== String(i.version)) {
      fillCard(el, i);
      if (!isNew) flash(el);
    }
    return el;
  }

  function flash(el) {
    el.classList.add("flash");
    setTimeout(() => el.classList.remove("flash"), 1500);
  }

  function sorted() {
    return [...incidents.values()].sort((a, b) =>
      GRADE_ORDER[a.grade] - GRADE_ORDER[b.grade] || b.updated_at_ms - a.updated_at_ms
      || a.incident_id.localeCompare(b.incident_id));
  }

  function renderSummary(list) {
    $("summary").replaceChildren(...GRADES.map(([grade, numeral, colour]) => {
      const span = document.createElement("span");
      span.className = "count bg-" + colour;
      span.dataset.grade = grade;
      span.textContent = `${numeral}级 ${list.filter((i) => i.grade === grade).length}`;
      return span;
    }));
  }

  function render() {
    const list = sorted();
    for (const id of cards.keys()) if (!incidents.has(id)) cards.delete(id);
    $("incidents").replaceChildren(...list.map(cardFor));
    $("empty").hidden = list.length > 0;
    renderSummary(list);
  }

  function onSnapshot(event) {
    const data = JSON.parse(event.data);
    incidents.clear();
    for (const i of data.incidents) incidents.set(i.incident_id, i);
    setLive("live", data.replayed ? "实时 Live" : "回放中 Replaying…");
    render();
  }

  function onIncident(event) {
    const i = JSON.parse(event.data);
    const held = incidents.get(i.incident_id);
    if (held && held.version >= i.version) return;
    incidents.set(i.incident_id, i);
    render();
  }

  function connect(params) {
    if (source) source.close();
    incidents.clear();
    render();
    setLive("connecting", "连接中 Connecting…");
    source = new EventSource("/api/stream?" + params);
    source.addEventListener("snapshot", onSnapshot);
    source.addEventListener("incident", onIncident);
    source.addEventListener("remove", (e) => { incidents.delete(JSON.parse(e.data).incident_id); render(); });
    source.addEventListener("status", (e) => { if (JSON.parse(e.data).replayed) setLive("live", "实时 Live"); });
    source.onerror = () => setLive("down", "重连中 Reconnecting…");
  }

  // Check the filter with the JSON API first: an EventSource refused with 400 just closes,
  // with no way to read why.
  async function apply(params) {
    const response = await fetch("/api/incidents?" + params);
    if (!response.ok) {
      $("filter-error").textContent = (await response.json()).error || response.statusText;
      return;
    }
    $("filter-error").textContent = "";
    // Keep the hash: #incident=<id> is incident.js's, which may not have read it yet.
    history.replaceState(null, "", (params.toString() ? "?" + params : location.pathname) + location.hash);
    connect(params);
  }

  $("filters").addEventListener("submit", (e) => { e.preventDefault(); apply(paramsFromForm()); });
  $("clear").addEventListener("click", () => { formFromParams(new URLSearchParams()); apply(new URLSearchParams()); });
  const initial = new URLSearchParams(location.search);
  formFromParams(initial);
  apply(initial);
})();
