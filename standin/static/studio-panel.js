// The sandbox's menu button: opens the studio Mini App in a panel, launched for the person selected in "Talk as"
// with initData the server signs for them (as Telegram would).
//
// The panel is also the Mini App's Telegram client for Telegram.WebApp.openInvoice (Telegram's WebApp protocol,
// https://telegram.org/js/telegram-web-app.js): the framed app posts {eventType: "web_app_open_invoice",
// eventData: {slug}}; the panel shows a payment form for that invoice link, pays it through the stand-in (the bot
// gets its pre-checkout query and successful_payment) and answers {eventType: "invoice_closed", eventData: {slug,
// status}} with paid, cancelled or failed.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN = document.querySelector('meta[name="sandbox-token"]')?.getAttribute("content") || "";

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
    const sheet = document.querySelector(".invoice-sheet");
    if (sheet) sheet.remove();
    $("studio-panel").hidden = true;
    $("studio-frame").src = "about:blank";
    $("studio-button").setAttribute("aria-expanded", "false");
    $("studio-button").focus();
  }

  function invoiceClosed(slug, status) {
    const sheet = document.querySelector(".invoice-sheet");
    if (sheet) sheet.remove();
    const frame = $("studio-frame");
    if (frame.contentWindow) {
      frame.contentWindow.postMessage(JSON.stringify({ eventType: "invoice_closed", eventData: { slug, status } }),
        new URL(frame.src, location.href).origin);
    }
  }

  async function pay(slug, button) {
    button.disabled = true;
    try {
      const answer = await fetch("/sandbox/api/studio/pay", { method: "POST",
        headers: { "Content-Type": "application/json", "X-Sandbox-Token": TOKEN },
        body: JSON.stringify({ user_id: Number($("user-select").value), slug }) });
      const outcome = await answer.json();
      invoiceClosed(slug, answer.ok && outcome.status === "paid" ? "paid" : "failed");
    } catch (error) {
      invoiceClosed(slug, "failed");
    }
  }

  // Telegram's payment form for an invoice link: what is bought, for how many Stars; Pay or Cancel.
  async function openInvoice(slug) {
    if (document.querySelector(".invoice-sheet")) return invoiceClosed(slug, "failed"); // one form at a time
    const answer = await fetch("/sandbox/api/studio/invoice?slug=" + encodeURIComponent(slug));
    if (!answer.ok) return invoiceClosed(slug, "failed");
    const terms = await answer.json();
    const sheet = document.createElement("div");
    sheet.className = "invoice-sheet";
    sheet.setAttribute("role", "dialog");
    sheet.setAttribute("aria-modal", "true");
    sheet.setAttribute("aria-label", t("sandbox.page.invoice_label"));
    const title = document.createElement("strong");
    title.textContent = terms.title;
    const description = document.createElement("p");
    description.textContent = terms.description;
    const payButton = document.createElement("button");
    payButton.type = "button";
    payButton.className = "studio-button";
    payButton.textContent = t("sandbox.page.invoice_pay", { amount: terms.total_amount });
    payButton.addEventListener("click", () => pay(slug, payButton));
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = t("sandbox.page.invoice_cancel");
    cancel.addEventListener("click", () => invoiceClosed(slug, "cancelled"));
    sheet.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation(); // Escape closes the form, not the studio
      invoiceClosed(slug, "cancelled");
    });
    sheet.append(title, description, payButton, cancel);
    $("studio-panel").appendChild(sheet);
    payButton.focus();
  }

  window.addEventListener("message", (event) => {
    if (event.source !== $("studio-frame").contentWindow || typeof event.data !== "string") return;
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    const slug = message && message.eventType === "web_app_open_invoice" && message.eventData && message.eventData.slug;
    if (typeof slug === "string" && slug) openInvoice(slug).catch(() => invoiceClosed(slug, "failed"));
  });

  function start() {
    $("studio-button").addEventListener("click", () => open().catch((error) => (typeof toast === "function" ? toast(error.message, true) : console.error(error))));
    $("studio-close").addEventListener("click", close);
    $("studio-panel").addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
    $("user-select").addEventListener("change", () => { if (!$("studio-panel").hidden) open().catch(() => close()); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
