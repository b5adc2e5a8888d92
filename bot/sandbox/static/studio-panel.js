// The sandbox's menu button: opens the studio Mini App in a panel, launched for the person selected in "Talk as"
// with initData the server signs for them (as Telegram would).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);

  async function open() {
    const user = $("user-select").value;
    const answer = await fetch("/sandbox/api/studio?user=" + encodeURIComponent(user));
    const data = await answer.json();
    if (!answer.ok) throw new Error(data.error || (typeof t === "function" ? t("sandbox.page.studio_failed") : "…"));
    $("studio-frame").src = data.url;
    $("studio-panel").hidden = false;
    $("studio-button").setAttribute("aria-expanded", "true");
    $("studio-frame").focus();
  }

  function close() {
    $("studio-panel").hidden = true;
    $("studio-frame").src = "about:blank";
    $("studio-button").setAttribute("aria-expanded", "false");
    $("studio-button").focus();
  }

  function start() {
    $("studio-button").addEventListener("click", () => open().catch((error) => (typeof toast === "function" ? toast(error.message, true) : console.error(error))));
    $("studio-close").addEventListener("click", close);
    $("studio-panel").addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
    $("user-select").addEventListener("change", () => { if (!$("studio-panel").hidden) open().catch(() => close()); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
