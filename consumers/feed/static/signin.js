"use strict";
// Sign in with the account the administrator made (`govbus feed accounts add`); the session
// cookie is HttpOnly, so this page never sees it. Then back to where the operator came from.
(() => {
  const $ = (id) => document.getElementById(id);
  $("signin").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("signin-error").textContent = "";
    const response = await fetch("/api/session", {
      method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
      body: JSON.stringify({ name: $("name").value.trim(), password: $("password").value }),
    });
    if (!response.ok) {
      $("signin-error").textContent = (await response.json()).error || response.statusText;
      return;
    }
    const next = new URLSearchParams(location.search).get("next") || "/";
    location.assign(next.startsWith("/") && !next.startsWith("//") ? next : "/");
  });
})();
