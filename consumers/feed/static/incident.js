"use strict";
// The operator's side of the feed page: who is signed in, the incident view (opened by clicking
// a card, or by #incident=<id> in the address), its triggering records with the audit trail of
// each delivery, and the actions (acknowledge, escalate, note, resolve) for operators. Every
// state-changing request carries the session's CSRF token. Data is written with textContent only.
(() => {
  const $ = (id) => document.getElementById(id);
  const ACTION_LABEL = { ack: "接报 Acknowledged", escalate: "升级 Escalated", note: "备注 Note", resolve: "处置 Resolved" };
  const GRADES = ["I", "II", "III", "IV"];
  const NUMERAL = { I: "Ⅰ", II: "Ⅱ", III: "Ⅲ", IV: "Ⅳ" };
  let session = null;   // {name, role, can_act, csrf} or null
  let openId = null;

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "dataset") Object.assign(node.dataset, v); else node[k] = v;
    }
    for (const child of children) node.append(child);
    return node;
  };
  const when = (ms) => (ms == null ? "—" : new Date(ms).toLocaleString("zh-CN", { hour12: false }));
  const signinHref = () => "/signin?next=" + encodeURIComponent(location.pathname + location.search + location.hash);

  async function loadSession() {
    const response = await fetch("/api/session", { credentials: "same-origin" });
    session = response.ok ? await response.json() : null;
    const bar = $("session");
    if (!session) {
      bar.replaceChildren(el("a", { href: signinHref(), id: "signin-link" }, "登录 Sign in"));
      return;
    }
    const signOut = el("button", { type: "button", id: "signout" }, "退出 Sign out");
    signOut.addEventListener("click", async () => {
      await fetch("/api/session", { method: "DELETE", credentials: "same-origin",
                                    headers: { "X-CSRF-Token": session.csrf } });
      location.reload();
    });
    const role = session.can_act ? "值班员 Operator" : "只读 Viewer";
    bar.replaceChildren(el("span", { id: "who", dataset: { role: session.role } }, `${session.name} · ${role}`), signOut);
  }

  function pairs(list) {
    return list.map((p) => p.value).join(" · ");
  }

  function recordItem(r) {
    const dl = el("dl");
    const add = (label, value) => { if (value) dl.append(el("dt", {}, label), el("dd", {}, value)); };
    add("区划 Region", r.place_label || r.region_code);
    add("类别 Category", pairs(r.category));
    add("地点 Place", pairs(r.place));
    add("内容 Text", pairs(r.text));
    add("设备 Sensor", pairs(r.sensor));
    add("读数 Readings", r.readings.map((p) => `${p.field}=${p.value}`).join(", "));
    add("编号 Ref", pairs(r.ref));
    add("协议 Agreement", r.agreement_id ? `${r.agreement_id} v${r.agreement_version}` : "");
    const audit = el("a", { href: "/api/audit?event=" + encodeURIComponent(r.event_id), className: "audit-link" },
                     "审计记录 Audit trail");
    const trail = el("ul", { className: "audit" });
    audit.addEventListener("click", (e) => { e.preventDefault(); showAudit(r.event_id, trail); });
    return el("li", { className: "record", dataset: { eventId: r.event_id, dataset: r.dataset } },
              el("div", { className: "when" }, `${when(r.time_ms)} · ${r.dataset}`), dl, audit, trail);
  }

  async function showAudit(eventId, list) {
    const response = await fetch("/api/audit?event=" + encodeURIComponent(eventId), { credentials: "same-origin" });
    const data = await response.json();
    if (!response.ok) {
      list.replaceChildren(el("li", { className: "error" }, `${data.error}${data.cli ? " — " + data.cli : ""}`));
      return;
    }
    const items = data.entries.map((e) => el("li", { dataset: { kind: e.kind } },
      `${e.when} · ${e.who} · ${e.agreement} · ${e.purpose}`));
    list.replaceChildren(...(items.length ? items : [el("li", { className: "muted" }, "审计库中暂无记录 · nothing recorded yet")]));
  }

  function actionItem(a) {
    return el("li", { dataset: { action: a.action, operator: a.operator } },
              `${when(a.at_ms)} · ${ACTION_LABEL[a.action] || a.action} · ${a.operator || "?"} (${a.identity}) — ${a.note}`);
  }

  function actForm(incident) {
    const form = $("act");
    form.hidden = !session || !session.can_act || incident.state === "resolved";
    $("act-viewer").hidden = !session || session.can_act;
    const grade = $("act-grade");
    const higher = GRADES.slice(0, GRADES.indexOf(incident.grade));
    const chosen = grade.value;  // a refresh (a new version arrived) keeps the operator's choice
    grade.replaceChildren(...higher.reverse().map((g) => el("option", { value: g }, `${NUMERAL[g]}级 Grade ${g}`)));
    if (higher.includes(chosen)) grade.value = chosen;
    $("act-escalate").disabled = higher.length === 0;
  }

  function render(data) {
    const i = data.incident;
    const view = $("incident-view");
    Object.assign(view.dataset, { incidentId: i.incident_id, version: String(i.version), state: i.state, grade: i.grade });
    $("iv-title").textContent = i.title_zh || i.title;
    $("iv-title").title = i.title;  // the English beside, on hover, as on the cards
    $("iv-meta").textContent = `${i.grade_label.numeral}级 ${i.grade_label.zh} · ${i.state_label.zh} ${i.state_label.en} · `
      + `${i.category_label.zh} · ${i.place ? i.place.label : i.region_code} · v${i.version}`;
    $("iv-summary").textContent = i.summary_zh ? `${i.summary_zh}\n${i.summary}` : i.summary;
    $("iv-records").replaceChildren(...data.records.map(recordItem));
    $("iv-records-missing").textContent = data.records_missing.length
      ? `另有 ${data.records_missing.length} 条未在本席位收到 · ${data.records_missing.length} more not received here` : "";
    $("iv-actions").replaceChildren(...data.actions.map(actionItem));
    actForm(i);
  }

  async function open(id) {
    openId = id;
    history.replaceState(null, "", location.pathname + location.search + "#incident=" + encodeURIComponent(id));
    const view = $("incident-view");
    if (!view.open) view.showModal();
    const response = await fetch("/api/incident?id=" + encodeURIComponent(id), { credentials: "same-origin" });
    if (response.status === 401) {
      view.dataset.incidentId = id;
      $("iv-title").textContent = "请先登录 · Sign in to see this incident's records and act";
      $("iv-meta").replaceChildren(el("a", { href: signinHref() }, "登录 Sign in"));
      for (const id of ["iv-summary", "iv-records-missing"]) $(id).textContent = "";
      for (const id of ["iv-records", "iv-actions"]) $(id).replaceChildren();
      $("act").hidden = true;
      return;
    }
    const data = await response.json();
    if (!response.ok) { $("iv-title").textContent = data.error; return; }
    if (openId === id) render(data);
  }

  const BUTTONS = [["act-ack", "ack"], ["act-escalate", "escalate"], ["act-add-note", "note"], ["act-resolve", "resolve"]];

  async function act(action) {
    const note = $("act-note").value.trim();
    const body = { incident_id: openId, action, note };
    if (action === "escalate") body.grade = $("act-grade").value;
    const outcome = $("act-outcome");
    outcome.textContent = "发送中 Sending…";
    for (const [id] of BUTTONS) $(id).disabled = true;  // one action at a time: no double sends
    try {
      const response = await fetch("/api/actions", {
        method: "POST", credentials: "same-origin", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json", "X-CSRF-Token": session ? session.csrf : "" },
      });
      const data = await response.json();
      outcome.dataset.outcome = data.outcome || "error";
      outcome.textContent = response.ok || response.status === 202
        ? `${data.outcome}${data.version ? " v" + data.version : ""}${data.reason ? " — " + data.reason : ""}`
        : data.error || data.reason || response.statusText;
      // Clear the note it sent, not one the operator has begun since.
      if (response.ok && $("act-note").value.trim() === note) $("act-note").value = "";
    } finally {
      for (const [id] of BUTTONS) $(id).disabled = false;
      await open(openId);
    }
  }

  for (const [id, action] of BUTTONS) $(id).addEventListener("click", () => act(action));
  $("incident-close").addEventListener("click", () => $("incident-view").close());
  $("incident-view").addEventListener("close", () => {
    openId = null;
    history.replaceState(null, "", location.pathname + location.search);
  });
  $("incidents").addEventListener("click", (e) => {
    const card = e.target.closest("[data-incident-id]");
    if (card) open(card.dataset.incidentId);
  });
  // A new version of the open incident (its card's version changes): show it.
  new MutationObserver((changes) => {
    if (openId && changes.some((c) => c.target.dataset && c.target.dataset.incidentId === openId)) open(openId);
  }).observe($("incidents"), { subtree: true, attributes: true, attributeFilter: ["data-version"] });

  // Read now: feed.js rewrites the address (its filter) once its first answer comes.
  const wanted = new URLSearchParams(location.hash.slice(1)).get("incident");
  loadSession().then(() => { if (wanted) open(wanted); });
})();
