// CloudMusic Studio: one page for the Telegram Mini App (and, later, the public web). Talks only to /api/v1.
"use strict";
(() => {
  const API = "../api/v1";
  function parseJson(text) {
    try {
      return JSON.parse(text || "{}");
    } catch (error) {
      return {};
    }
  }

  // Where Telegram's script could not load (the offline sandbox), a small WebApp speaking the same protocol to the
  // client that framed the page (telegram-web-app.js: JSON {eventType, eventData} messages with window.parent):
  // openInvoice(url[, callback]) posts web_app_open_invoice {slug}; the client's invoice_closed {slug, status}
  // calls the callback with paid/cancelled/failed/pending and fires the invoiceClosed event {url, status}
  // (https://core.telegram.org/bots/webapps#initializing-mini-apps).
  function shimWebApp(initData, themeParams) {
    const handlers = {};
    const invoices = {};
    const post = (eventType, eventData) => {
      if (window.parent !== window) window.parent.postMessage(JSON.stringify({ eventType, eventData }), "*");
    };
    window.addEventListener("message", (event) => {
      if (event.source !== window.parent) return;
      const data = parseJson(typeof event.data === "string" ? event.data : "");
      if (data.eventType !== "invoice_closed" || !data.eventData) return;
      const invoice = invoices[data.eventData.slug];
      if (!invoice) return;
      delete invoices[data.eventData.slug];
      if (invoice.callback) invoice.callback(data.eventData.status);
      for (const handler of handlers.invoiceClosed || []) handler({ url: invoice.url, status: data.eventData.status });
    });
    return {
      initData, themeParams,
      ready() { post("web_app_ready"); },
      expand() { post("web_app_expand"); },
      onEvent(name, handler) { (handlers[name] = handlers[name] || []).push(handler); },
      offEvent(name, handler) { handlers[name] = (handlers[name] || []).filter((h) => h !== handler); },
      openInvoice(url, callback) {
        const link = new URL(url, location.href);
        const match = link.pathname.match(/^\/(\$|invoice\/)([A-Za-z0-9\-_=]+)$/);
        if (!/^https?:$/.test(link.protocol) || !["t.me", "telegram.me"].includes(link.hostname.toLowerCase()) || !match) {
          throw new Error("WebAppInvoiceUrlInvalid");
        }
        if (invoices[match[2]]) throw new Error("WebAppInvoiceOpened");
        invoices[match[2]] = { url, callback };
        post("web_app_open_invoice", { slug: match[2] });
      },
    };
  }

  // Telegram's script sets Telegram.WebApp from the launch parameters in the URL fragment; where it could not load,
  // read the same fragment: #tgWebAppData=<initData>&tgWebAppThemeParams=<JSON>.
  const launch = new URLSearchParams(location.hash.slice(1));
  const fromHash = launch.get("tgWebAppData")
    ? shimWebApp(launch.get("tgWebAppData"), parseJson(launch.get("tgWebAppThemeParams"))) : null;
  const tg = window.Telegram && window.Telegram.WebApp && window.Telegram.WebApp.initData ? window.Telegram.WebApp
    : fromHash || (window.Telegram && window.Telegram.WebApp) || null;
  const initData = tg && tg.initData ? tg.initData : "";
  const $ = (id) => document.getElementById(id);
  let watching = null; // the job id being followed in the queue view
  let me = null; // the last GET /me answer
  let csrf = ""; // web visitors: sent with every POST
  let playingUrl = null;
  let strings = {}; // the page's texts (bot/locales/*.json, keys studio.page.*) in the person's language

  /** The page text `key` with its {placeholders} filled from `values` (the key itself if it is unknown). */
  function t(key, values = {}) {
    const template = strings["studio.page." + key] || key;
    return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  }

  /** The Telegram app's language from initData's user (shown by Telegram, so only a display choice), else "". */
  function telegramLanguage() {
    try {
      const user = JSON.parse(new URLSearchParams(initData).get("user") || "{}");
      return typeof user.language_code === "string" ? user.language_code : "";
    } catch (error) {
      return "";
    }
  }

  /** Load the texts (in the Telegram user's language, else the browser's Accept-Language) and put them in place. */
  async function loadStrings() {
    const language = telegramLanguage();
    const answer = await fetch("strings.json" + (language ? "?lang=" + encodeURIComponent(language) : ""),
      { credentials: "same-origin" });
    if (!answer.ok) return; // the page keeps its English
    const data = await answer.json();
    strings = data.strings || {};
    document.documentElement.lang = data.language || "en";
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n.slice(12));
    for (const attribute of ["aria-label", "placeholder"]) {
      for (const node of document.querySelectorAll("[data-i18n-" + attribute + "]")) {
        node.setAttribute(attribute, t(node.getAttribute("data-i18n-" + attribute).slice(12)));
      }
    }
  }

  function applyTheme() {
    if (!tg) return;
    const p = tg.themeParams || {};
    const map = { bg_color: "--bg", text_color: "--text", hint_color: "--hint", link_color: "--link",
      button_color: "--button", button_text_color: "--button-text", secondary_bg_color: "--secondary-bg" };
    for (const [name, variable] of Object.entries(map)) {
      if (p[name]) document.documentElement.style.setProperty(variable, p[name]);
    }
    if (tg.colorScheme) document.documentElement.dataset.theme = tg.colorScheme;
  }

  function showError(message) {
    const box = $("error");
    box.textContent = message || "";
    box.hidden = !message;
  }

  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (initData) headers.Authorization = "tma " + initData;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
    const answer = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin" });
    const type = answer.headers.get("Content-Type") || "";
    const data = type.includes("application/json") ? await answer.json() : await answer.blob();
    if (!answer.ok) {
      const error = new Error(data && data.message ? data.message : t("error", { status: answer.status }));
      error.status = answer.status;
      throw error;
    }
    return data;
  }

  async function refreshBalance() {
    me = await call("GET", "/me");
    csrf = me.csrf_token || "";
    $("link-section").hidden = !(me.kind === "web" && !me.linked);
    $("balance").textContent = t("balance", { free: me.free_left, quota: me.free_quota, credits: me.paid_credits });
  }

  let engines = []; // GET /engines: the offer, the default first

  function engineLabel(offer) {
    return t(offer.cost === 1 ? "engine_label_one" : "engine_label_paid", { key: offer.key, cost: offer.cost });
  }

  function describeEngine() {
    const offer = engines.find((e) => e.key === $("engine").value);
    if (!offer) return;
    const caps = offer.capabilities;
    const can = [caps.can_loop && t("cap_loops"), caps.stems && t("cap_stems"), caps.vocals && t("cap_vocals"),
      caps.can_continue && t("cap_continue")].filter(Boolean);
    $("engine-info").textContent = offer.description + " · " + offer.license.name + " ("
      + t(offer.license.commercial_use ? "engine_commercial" : "engine_noncommercial") + ") · "
      + t("engine_up_to", { seconds: caps.max_duration }) + (can.length ? " · " + can.join(", ") : "")
      + (offer.takes > 1 ? " · " + t("engine_takes", { takes: offer.takes }) : "");
    $("duration").max = String(caps.max_duration);
    $("loop").disabled = !caps.can_loop;
  }

  async function loadEngines() {
    const offer = await call("GET", "/engines");
    engines = offer.engines;
    const select = $("engine");
    select.replaceChildren(...engines.map((e) => new Option(engineLabel(e), e.key, false, e.key === offer.chosen)));
    describeEngine();
  }

  function setMode(advanced) {
    $("mode-guided").setAttribute("aria-pressed", String(!advanced));
    $("mode-advanced").setAttribute("aria-pressed", String(advanced));
    $("guided").hidden = advanced;
    $("advanced").hidden = !advanced;
  }

  function numberOrNull(id) {
    const value = $(id).value.trim();
    return value === "" ? null : Number(value);
  }

  async function compose(request) {
    showError("");
    try {
      const queued = await call("POST", "/tracks", request);
      watching = queued.id;
      $("progress").textContent = t("queued", { id: queued.id });
      follow(queued.id);
      refreshBalance().catch(() => {});
    } catch (error) {
      showError(error.message);
    }
  }

  async function follow(id) {
    while (watching === id) {
      let track;
      try {
        track = await call("GET", "/tracks/" + id);
      } catch (error) {
        if (error.status === 429) { // over the request limit: keep following, more slowly
          await new Promise((resolve) => setTimeout(resolve, 5000));
          continue;
        }
        showError(error.message);
        return;
      }
      if (track.status === "delivered") {
        $("progress").textContent = t("done", { title: track.title || track.prompt });
        watching = null;
        await play(track);
        await loadLibrary();
        return;
      }
      if (track.status === "failed" || track.status === "canceled") {
        $("progress").textContent = t("not_made", { status: track.status });
        watching = null;
        refreshBalance().catch(() => {});
        return;
      }
      $("progress").textContent = track.status === "running" ? t("composing", { prompt: track.prompt })
        : t("waiting", { prompt: track.prompt });
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  async function drawWave(blob) {
    const canvas = $("wave");
    const context = canvas.getContext("2d");
    context.clearRect(0, 0, canvas.width, canvas.height);
    const AudioCtx = window.AudioContext || window.webkitAudioContext;
    if (!AudioCtx) return;
    try {
      const audio = await new AudioCtx().decodeAudioData(await blob.arrayBuffer());
      const samples = audio.getChannelData(0);
      const step = Math.max(1, Math.floor(samples.length / canvas.width));
      context.fillStyle = getComputedStyle(document.documentElement).getPropertyValue("--link") || "#2563eb";
      for (let x = 0; x < canvas.width; x++) {
        let peak = 0;
        for (let i = x * step; i < Math.min(samples.length, (x + 1) * step); i++) peak = Math.max(peak, Math.abs(samples[i]));
        const h = Math.max(1, peak * canvas.height);
        context.fillRect(x, (canvas.height - h) / 2, 1, h);
      }
    } catch (error) {
      // a browser that cannot decode MP3 still plays it through <audio>; the waveform is only a picture
    }
  }

  async function play(track) {
    showError("");
    try {
      const blob = await call("GET", "/tracks/" + track.id + "/audio");
      if (playingUrl) URL.revokeObjectURL(playingUrl);
      playingUrl = URL.createObjectURL(blob);
      const audio = $("audio");
      audio.src = playingUrl;
      audio.dataset.track = String(track.id);
      $("now-title").textContent = track.title || track.prompt;
      audio.play().catch(() => {}); // autoplay may be refused until the person touches the page
      loadCover(track).catch(() => {});
      drawWave(blob);
    } catch (error) {
      showError(error.message);
    }
  }

  async function loadCover(track) {
    const cover = $("cover");
    const blob = await call("GET", "/tracks/" + track.id + "/cover");
    cover.src = URL.createObjectURL(blob);
    cover.hidden = false;
  }

  async function download(track, format) {
    showError("");
    try {
      const path = format === "stems" ? "/stems" : "/audio" + (format === "wav" ? "?format=wav" : "");
      const blob = await call("GET", "/tracks/" + track.id + path);
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = (track.title || track.prompt).slice(0, 60) + (format === "stems" ? " stems.zip" : "." + format);
      document.body.appendChild(link);
      link.click();
      link.remove();
    } catch (error) {
      showError(error.message);
    }
  }

  async function share(track) {
    showError("");
    try {
      const answer = await call("POST", "/tracks/" + track.id + "/share");
      const title = track.title || track.prompt;
      $("progress").textContent = answer.already ? t("already_shared", { title }) : t("shared", { title });
    } catch (error) {
      showError(error.message);
    }
  }

  function button(text, label, onClick) {
    const element = document.createElement("button");
    element.type = "button";
    element.textContent = text;
    element.setAttribute("aria-label", label);
    element.addEventListener("click", onClick);
    return element;
  }

  async function loadLibrary() {
    const q = $("q").value.trim();
    const library = await call("GET", "/tracks" + (q ? "?q=" + encodeURIComponent(q) : ""));
    const list = $("library");
    list.replaceChildren();
    if (!library.tracks.length) {
      const empty = document.createElement("li");
      empty.className = "hint";
      empty.textContent = q ? t("no_match", { query: q }) : t("empty_library");
      list.appendChild(empty);
    }
    for (const track of library.tracks) {
      const item = document.createElement("li");
      item.dataset.track = String(track.id);
      const name = document.createElement("span");
      name.className = "name";
      const title = track.title || track.prompt;
      name.textContent = title + (track.duration ? " · " + t("seconds", { count: Math.round(track.duration) }) : "");
      item.append(name,
        button(t("play"), t("play_label", { title }), () => play(track)),
        button("MP3", t("download_label", { title, format: "MP3" }), () => download(track, "mp3")),
        button("WAV", t("download_label", { title, format: "WAV" }), () => download(track, "wav")),
        button(t("stems"), t("stems_label", { title }), () => download(track, "stems")),
        button(t("share"), t("share_label", { title }), () => share(track)));
      list.appendChild(item);
    }
  }

  async function loadPacks() {
    const { packs } = await call("GET", "/packs");
    const box = $("packs");
    box.replaceChildren();
    const byCard = me && me.kind === "web" && me.user_id < 0;
    if (byCard && !me.card_payments) {
      const note = document.createElement("p");
      note.className = "hint";
      note.textContent = t("no_card");
      box.appendChild(note);
      return;
    }
    for (const pack of packs) {
      box.appendChild(byCard
        ? button(t("pack_card", pack), t("pack_card_label", pack), () => buyByCard(pack))
        : button(t("pack_stars", pack), t("pack_stars_label", pack), () => buy(pack)));
    }
  }

  async function buyByCard(pack) {
    showError("");
    try {
      const { url } = await call("POST", "/checkout", { pack: pack.id });
      window.location.assign(url); // Stripe Checkout; the webhook credits this browser's session
    } catch (error) {
      showError(error.message);
    }
  }

  async function link(event) {
    event.preventDefault();
    showError("");
    try {
      const linked = await call("POST", "/link", { code: $("link-code").value });
      $("progress").textContent = linked.moved ? t("linked_moved", { moved: linked.moved }) : t("linked");
      await Promise.all([refreshBalance(), loadLibrary()]);
      await loadPacks();
    } catch (error) {
      showError(error.message);
    }
  }

  async function buy(pack) {
    showError("");
    try {
      const { url } = await call("POST", "/invoices", { pack: pack.id });
      if (!tg || !tg.openInvoice) throw new Error(t("stars_in_telegram"));
      const before = me ? me.paid_credits : 0;
      tg.openInvoice(url, (status) => invoiceClosed(status, pack, before).catch((error) => showError(error.message)));
    } catch (error) {
      showError(error.message);
    }
  }

  // Telegram's invoiceClosed statuses: paid, cancelled, failed, pending.
  async function invoiceClosed(status, pack, before) {
    if (status === "cancelled") {
      $("progress").textContent = t("payment_cancelled");
    } else if (status === "failed") {
      showError(t("payment_failed"));
    } else if (status === "pending") {
      $("progress").textContent = t("payment_pending");
    } else if (status === "paid") {
      $("progress").textContent = t("paid_adding");
      for (let tries = 0; tries < 40; tries++) { // the bot credits on Telegram's successful_payment: wait for it
        await refreshBalance();
        if (me.paid_credits > before) {
          $("progress").textContent = t("paid_added", { credits: pack.credits });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      $("progress").textContent = t("paid_soon");
    }
  }

  function start() {
    applyTheme();
    if (tg) {
      tg.ready();
      if (tg.expand) tg.expand();
      if (tg.onEvent) tg.onEvent("themeChanged", applyTheme);
    }
    $("mode-guided").addEventListener("click", () => setMode(false));
    $("mode-advanced").addEventListener("click", () => setMode(true));
    $("guided").addEventListener("submit", (event) => {
      event.preventDefault();
      compose({ prompt: $("mood").value + " " + $("genre").value, duration: Number($("length").value) });
    });
    $("advanced").addEventListener("submit", (event) => {
      event.preventDefault();
      const request = { prompt: $("prompt").value, loop: $("loop").checked };
      const bpm = numberOrNull("bpm"), duration = numberOrNull("duration"), seed = numberOrNull("seed");
      if (bpm !== null) request.bpm = bpm;
      if (duration !== null) request.duration = duration;
      if (seed !== null) request.seed = seed;
      if ($("key").value.trim()) request.key = $("key").value.trim();
      if ($("engine").value) request.engine = $("engine").value;
      compose(request);
    });
    $("search").addEventListener("submit", (event) => { event.preventDefault(); loadLibrary().catch((e) => showError(e.message)); });
    $("q").addEventListener("input", () => loadLibrary().catch(() => {}));
    $("link-form").addEventListener("submit", link);
    $("engine").addEventListener("change", describeEngine);
    loadStrings().catch(() => {}).then(refreshBalance).then(() => {
      $("web-note").hidden = !(me.kind === "web" && me.user_id < 0);
      return Promise.all([loadLibrary(), loadPacks(), loadEngines()]);
    }).catch((error) => {
      if (error.status === 401 && !initData) { // the public web studio is off (WEB_STUDIO=false)
        $("signin").hidden = false;
        $("compose").hidden = true;
        $("balance").textContent = "";
        return;
      }
      showError(error.message);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
