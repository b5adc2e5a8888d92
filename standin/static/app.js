// CloudMusic sandbox chat: talk to the bot through the Telegram stand-in, as one of a few simulated people.
// Plain JavaScript, no framework. Message texts only ever reach the DOM as text nodes (never innerHTML).
"use strict";

const API = "/sandbox/api";
// This run's token, put in the page by the server; every API call carries it (the event stream and media use the
// page's HttpOnly cookie, since they cannot send headers).
const TOKEN = document.querySelector('meta[name="sandbox-token"]')?.getAttribute("content") || "";
const SAFE_LINK = /^(https?:|tg:)/i;

const state = {
  bot: { name: "CloudMusic", username: "CloudMusicBot" },
  people: [],
  channel: null,
  commands: [],
  user: null, // the simulated person's id
  view: "chat", // "chat" | "channel"
  chats: new Map(), // chat id → Map(message id → message view)
  source: null, // the EventSource
  replyTo: null, // the bot message the next message replies to (how an admin answers a support message)
  unread: 0,
};

const $ = (id) => document.getElementById(id);

/** Build an element: `attrs` are properties (or attributes for aria-*, data-* and role), children text or nodes. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("aria-") || key.startsWith("data-") || key === "role") node.setAttribute(key, String(value));
    else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

// --- the page's words, in the selected person's app language (bot/locales/*.json, keys sandbox.page.*) ---------

let STRINGS = {}; // key → text, from /sandbox/api/strings for the selected person's language

/** The page text `key` with its {placeholders} filled from `values` (the key itself if it is unknown). */
function t(key, values = {}) {
  const template = STRINGS[key] || key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** Put the texts into every element marked data-i18n (its text) or data-i18n-<attribute> (that attribute). */
function applyStrings() {
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const attribute of ["aria-label", "placeholder", "title"]) {
    for (const node of document.querySelectorAll(`[data-i18n-${attribute}]`)) {
      node.setAttribute(attribute, t(node.getAttribute(`data-i18n-${attribute}`)));
    }
  }
}

/** Load the page's texts and the bot's command menu in the selected person's language, and redraw with them. */
async function loadStrings() {
  const person = state.people.find((p) => p.id === state.user);
  const answer = await api(`/strings?language=${encodeURIComponent((person && person.language) || "en")}`);
  STRINGS = answer.strings;
  state.commands = answer.commands;
  document.documentElement.lang = answer.language;
  applyStrings();
  fillPeopleNames();
  renderCommands();
  if (state.channel) $("channel-about").textContent = t("sandbox.page.channel_about", { username: state.channel.username });
  for (const chatId of state.chats.keys()) renderChat(chatId);
  showUnread();
}

// --- talking to the server ---------------------------------------------------------------------------------

async function api(path, body) {
  const init = body === undefined ? { headers: { "X-Sandbox-Token": TOKEN } } : {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Sandbox-Token": TOKEN },
    body: JSON.stringify(body),
  };
  const response = await fetch(API + path, init);
  let data = {};
  try {
    data = await response.json();
  } catch (_) {
    data = { error: t("sandbox.page.unexpected_answer", { status: response.status }) };
  }
  if (!response.ok) throw new Error(problem(data, response.status));
  return data;
}

/** What went wrong, from an API error answer: its catalog text in the person's language when it has one. */
function problem(data, status) {
  if (data.error_key && STRINGS[data.error_key]) return t(data.error_key, data.error_values || {});
  return data.error || t("sandbox.page.request_failed", { status });
}

function connect() {
  if (state.source) state.source.close();
  const params = new URLSearchParams();
  params.append("chat", String(state.user));
  if (state.channel) params.append("chat", String(state.channel.id));
  const source = new EventSource(`${API}/events?${params}`);
  state.source = source;
  setSubtitle(t("sandbox.page.connecting"), false);
  source.addEventListener("open", () => setSubtitle(t("sandbox.page.online"), true));
  source.addEventListener("error", () => setSubtitle(t("sandbox.page.reconnecting"), false));
  source.addEventListener("snapshot", (event) => {
    const { chats } = JSON.parse(event.data);
    for (const [chatId, messages] of Object.entries(chats)) {
      state.chats.set(Number(chatId), new Map(messages.map((m) => [m.id, m])));
      renderChat(Number(chatId));
    }
    setSubtitle(t("sandbox.page.online"), true);
  });
  for (const kind of ["message", "edit", "delete", "payment", "refund"]) {
    source.addEventListener(kind, (event) => upsert(JSON.parse(event.data).message));
  }
}

function setSubtitle(text, online) {
  const subtitle = $("chat-subtitle");
  subtitle.textContent = state.view === "channel" && state.channel
    ? t("sandbox.page.channel_subtitle", { username: state.channel.username }) : text;
  subtitle.classList.toggle("online", online);
}

// --- state → DOM -------------------------------------------------------------------------------------------

function listFor(chatId) {
  if (chatId === state.user) return $("chat-messages");
  if (state.channel && chatId === state.channel.id) return $("channel-messages");
  return null;
}

function renderChat(chatId) {
  const list = listFor(chatId);
  if (!list) return;
  const messages = [...(state.chats.get(chatId) || new Map()).values()].filter((m) => !m.deleted);
  const audios = keepAudio(list);
  list.replaceChildren(...messages.map((m) => renderMessage(m, audios)));
  if (!messages.length) list.append(emptyNote(chatId));
  scrollToEnd(list, true);
}

function emptyNote(chatId) {
  const text = state.channel && chatId === state.channel.id
    ? t("sandbox.page.channel_empty")
    : t("sandbox.page.chat_empty");
  return el("li", { className: "empty" }, text);
}

function upsert(message) {
  const messages = state.chats.get(message.chat_id) || new Map();
  state.chats.set(message.chat_id, messages);
  const known = messages.get(message.id);
  if (known && known.seq >= message.seq) return; // an older version than the one shown
  messages.set(message.id, message);
  const list = listFor(message.chat_id);
  if (!list) return;
  const stick = nearEnd(list);
  list.querySelector(".empty")?.remove();
  const current = list.querySelector(`[data-key="${message.id}"]`);
  if (message.deleted) {
    current?.remove();
    return;
  }
  const fresh = renderMessage(message, keepAudio(current || document.createElement("div")));
  if (current) current.replaceWith(fresh);
  else list.append(fresh);
  if (state.channel && message.chat_id === state.channel.id && state.view !== "channel" && !known) {
    state.unread += 1;
    showUnread();
  }
  scrollToEnd(list, stick);
}

/** Audio players under `root`, by source, so a re-render (an edited caption) does not stop the music. */
function keepAudio(root) {
  return new Map([...root.querySelectorAll("audio")].map((audio) => [audio.getAttribute("src"), audio]));
}

function nearEnd(list) {
  const view = list.closest(".view");
  return view.scrollHeight - view.scrollTop - view.clientHeight < 120;
}

function scrollToEnd(list, really) {
  if (!really) return;
  const view = list.closest(".view");
  requestAnimationFrame(() => { view.scrollTop = view.scrollHeight; });
}

function renderMessage(m, audios) {
  if (m.kind === "service") return el("li", { className: "note", "data-key": m.id }, serviceText(m));
  const classes = ["msg", m.from_bot ? "in" : "out"];
  const sentFile = ["voice", "video", "video_note"].includes(m.kind);  // clips a person sent (to be analysed)
  if (m.kind === "audio" || m.kind === "document" || m.kind === "photo" || m.kind === "invoice" || sentFile) {
    classes.push("media");
  }
  const bubble = el("div", { className: "bubble" });
  if (m.kind === "audio") bubble.append(...renderAudio(m, audios));
  else if (m.kind === "document" || sentFile) bubble.append(renderDocument(m));
  else if (m.kind === "photo" && m.file) bubble.append(el("img", { className: "photo", src: m.file.url, alt: t("sandbox.page.photo") }));
  else if (m.kind === "invoice") bubble.append(...renderInvoice(m));
  if (m.text) bubble.append(el("div", { className: "text" }, m.text));
  const time = new Date(m.date * 1000).toLocaleTimeString(document.documentElement.lang || [],
    { hour: "2-digit", minute: "2-digit" });
  const meta = el("span", { className: "meta" }, m.edited ? t("sandbox.page.edited", { time }) : time);
  bubble.append(meta);
  const item = el("li", {
    className: classes.join(" "),
    "data-key": m.id,
    "data-kind": m.kind,
    "aria-label": `${m.from_bot ? state.bot.name : t("sandbox.page.you")}, ${m.kind}`,
  }, bubble);
  if (m.from_bot && m.chat_id === state.user) {
    const reply = el("button", { type: "button", className: "reply-button", "aria-label": t("sandbox.page.reply") }, "↩");
    reply.addEventListener("click", () => setReply(m));
    meta.append(reply);
  }
  const keyboard = renderKeyboard(m);
  if (keyboard) item.append(keyboard);
  return item;
}

function renderAudio(m, audios) {
  const info = m.audio || {};
  const title = info.title || (m.file && m.file.name) || t("sandbox.page.track");
  const cover = m.thumbnail
    ? el("img", { className: "cover", src: m.thumbnail.url, alt: t("sandbox.page.cover_of", { title }), width: 56, height: 56 })
    : el("div", { className: "cover", "aria-hidden": "true" });
  const sub = [info.performer, info.duration ? formatDuration(info.duration) : null].filter(Boolean).join(" · ");
  const parts = [el("div", { className: "track" }, cover,
    el("div", { className: "track-info" }, el("div", { className: "track-title" }, title),
      el("div", { className: "track-sub" }, sub)))];
  if (m.file) {
    const player = audios.get(m.file.url) ||
      el("audio", { controls: true, preload: "metadata", src: m.file.url, "aria-label": t("sandbox.page.play", { title }) });
    parts.push(player, downloadLink(m.file, "MP3"));
  }
  return parts;
}

function renderDocument(m) {
  const file = m.file;
  if (!file) return el("div", { className: "doc" }, t("sandbox.page.file"));
  return el("div", { className: "doc" },
    el("span", { className: "doc-icon", "aria-hidden": "true" }, "📄"),
    el("div", {}, el("div", { className: "doc-name" }, file.name),
      el("div", { className: "doc-size" }, formatSize(file.size), " · ", downloadLink(file, fileType(file)))));
}

function downloadLink(file, label) {
  return el("a", {
    className: "file-link",
    href: `${file.url}?download=1`,
    download: file.name,
    "aria-label": t("sandbox.page.download_label", { name: file.name }),
  }, t("sandbox.page.download", { label }));
}

function renderInvoice(m) {
  const invoice = m.invoice || {};
  return [
    el("div", { className: "invoice-title" }, invoice.title || t("sandbox.page.invoice")),
    invoice.description ? el("div", { className: "invoice-desc" }, invoice.description) : null,
    el("div", { className: "invoice-amount" }, formatAmount(invoice.total_amount, invoice.currency)),
  ].filter(Boolean);
}

function renderKeyboard(m) {
  const rows = m.buttons.map((row) => row.map((button) => renderButton(m, button)).filter(Boolean));
  if (m.kind === "invoice" && !m.buttons.some((row) => row.some((b) => b.pay))) {
    // Telegram draws a Pay button under an invoice sent without a keyboard.
    rows.unshift([payButton(m, t("sandbox.page.pay", { amount: formatAmount(m.invoice?.total_amount, m.invoice?.currency) }))]);
  }
  const filled = rows.filter((row) => row.length);
  if (!filled.length) return null;
  return el("div", { className: "keyboard", role: "group", "aria-label": t("sandbox.page.buttons_label") },
    ...filled.map((row) => el("div", { className: "kb-row" }, ...row)));
}

function renderButton(m, button) {
  if (button.pay) return payButton(m, button.text);
  if (button.url) return linkButton(button);
  if (button.callback_data) {
    const inChannel = state.channel && m.chat_id === state.channel.id;
    const node = el("button", {
      type: "button", className: "kb-button", disabled: Boolean(inChannel), "data-callback": button.callback_data,
    }, button.text);
    node.addEventListener("click", () => press(m, button, node));
    return node;
  }
  return el("button", { type: "button", className: "kb-button", disabled: true }, button.text);
}

function linkButton(button) {
  const start = deepLinkPayload(button.url);
  if (start !== null) { // a link back to this bot: play it as the person opening it, i.e. /start <payload>
    const node = el("button", { type: "button", className: "kb-button" }, `${button.text} ↗`);
    node.addEventListener("click", () => { showView("chat"); send(start ? `/start ${start}` : "/start"); });
    return node;
  }
  if (!SAFE_LINK.test(button.url)) return el("button", { type: "button", className: "kb-button", disabled: true }, button.text);
  return el("a", { className: "kb-button", href: button.url, target: "_blank", rel: "noopener noreferrer" },
    `${button.text} ↗`);
}

function deepLinkPayload(url) {
  try {
    const link = new URL(url);
    const bot = state.bot.username.toLowerCase();
    if (!/^(t\.me|telegram\.me)$/.test(link.hostname) || link.pathname.slice(1).toLowerCase() !== bot) return null;
    return link.searchParams.get("start") || "";
  } catch (_) {
    return null;
  }
}

function payButton(m, text) {
  const node = el("button", { type: "button", className: "kb-button pay" }, text);
  node.addEventListener("click", () => pay(m, node));
  return node;
}

// --- actions -------------------------------------------------------------------------------------------------

async function send(text) {
  const body = { user_id: state.user, text };
  if (state.replyTo !== null) body.reply_to = state.replyTo;
  setReply(null);
  try {
    await api("/send", body);
  } catch (error) {
    toast(error.message, true);
  }
}

async function press(m, button, node) {
  node.setAttribute("aria-busy", "true");
  try {
    const result = await api("/press", { user_id: state.user, message_id: m.id, callback_data: button.callback_data });
    if (result.toast && result.toast.text) toast(result.toast.text, result.toast.show_alert);
  } catch (error) {
    toast(error.message, true);
  } finally {
    node.removeAttribute("aria-busy");
  }
}

async function pay(m, node) {
  const label = node.textContent;
  node.disabled = true;
  node.setAttribute("aria-busy", "true");
  node.textContent = t("sandbox.page.paying");
  let note;
  try {
    const outcome = await api("/pay", { user_id: state.user, message_id: m.id });
    note = outcome.approved
      ? localNote(t("sandbox.page.payment_approved", { amount: formatAmount(outcome.total_amount, m.invoice?.currency) }), true)
      : localNote(t("sandbox.page.payment_declined", { reason: outcome.error_message || t("sandbox.page.declined_reason") }), false);
  } catch (error) {
    note = localNote(t("sandbox.page.payment_failed", { error: error.message }), false);
  }
  node.textContent = label;
  node.disabled = false;
  node.removeAttribute("aria-busy");
  const list = listFor(m.chat_id);
  if (list) {
    list.append(note);
    scrollToEnd(list, true);
  }
}

function localNote(text, ok) {
  return el("li", { className: `note local${ok ? " ok" : ""}`, "data-outcome": ok ? "approved" : "declined" }, text);
}

let toastTimer = null;
function toast(text, alert = false) {
  const node = $("toast");
  node.textContent = text;
  node.classList.toggle("alert", Boolean(alert));
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, alert ? 6000 : 3000);
}

// --- views, people, composer ---------------------------------------------------------------------------------

function showView(view) {
  state.view = view;
  const channel = view === "channel";
  $("tab-chat").setAttribute("aria-pressed", String(!channel));
  $("tab-channel").setAttribute("aria-pressed", String(channel));
  $("chat-view").hidden = channel;
  $("channel-view").hidden = !channel;
  $("composer").hidden = channel;
  $("channel-footer").hidden = !channel;
  $("chat-title").textContent = channel && state.channel ? state.channel.title : state.bot.name;
  setSubtitle(t("sandbox.page.online"), true);
  if (channel) {
    state.unread = 0;
    showUnread();
    scrollToEnd($("channel-messages"), true);
  } else {
    scrollToEnd($("chat-messages"), true);
    $("input").focus();
  }
}

function showUnread() {
  const badge = $("channel-unread");
  badge.textContent = String(state.unread);
  badge.hidden = state.unread === 0;
  badge.setAttribute("aria-label", t("sandbox.page.unread", { count: state.unread }));
}

/** Make the next message a reply to bot message `m` (null: no reply); the bar above the composer says so. */
function setReply(m) {
  state.replyTo = m ? m.id : null;
  $("reply-bar").hidden = !m;
  $("reply-text").textContent = m ? (m.text || m.kind).slice(0, 80) : "";
  if (m) $("input").focus();
}

function switchUser(userId) {
  setReply(null);
  state.user = userId;
  $("chat-messages").replaceChildren();
  connect(); // a fresh snapshot of this person's chat
  loadStrings().catch((error) => toast(error.message, true)); // the page speaks this person's language
}

function fillPeople() {
  const select = $("user-select");
  select.replaceChildren(...state.people.map((person) => el("option", { value: String(person.id) })));
  fillPeopleNames();
  select.value = String(state.user);
  select.addEventListener("change", () => switchUser(Number(select.value)));
}

function fillPeopleNames() {
  for (const option of $("user-select").options) {
    const person = state.people.find((p) => String(p.id) === option.value);
    if (person) option.textContent = t(person.admin ? "sandbox.page.person_admin" : "sandbox.page.person", person);
  }
}

function closeMenu() {
  $("command-menu").hidden = true;
  $("menu-button").setAttribute("aria-expanded", "false");
}

/** The command menu's items: the bot's commands (setMyCommands) in the selected person's language. */
function renderCommands() {
  const commands = state.commands.length ? state.commands : [{ command: "start", description: t("sandbox.page.start") }];
  $("command-menu").replaceChildren(...commands.map((c) => {
    const item = el("button", { type: "button", role: "menuitem" },
      el("span", { className: "cmd" }, `/${c.command}`), el("span", { className: "desc" }, c.description));
    item.addEventListener("click", () => { closeMenu(); send(`/${c.command}`); });
    return el("li", { role: "none" }, item);
  }));
}

function fillCommands() {
  const menu = $("command-menu");
  const button = $("menu-button");
  renderCommands();
  menu.setAttribute("role", "menu");
  button.addEventListener("click", () => {
    const open = menu.hidden;
    menu.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) menu.querySelector("button")?.focus();
  });
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { closeMenu(); button.focus(); }
  });
  document.addEventListener("click", (event) => {
    if (!menu.hidden && !event.target.closest(".menu-wrap")) closeMenu();
  });
}

function wireComposer() {
  const input = $("input");
  $("reply-cancel").addEventListener("click", () => { setReply(null); input.focus(); });
  const submit = () => {
    const text = input.value.trim();
    if (!text) return;
    if (inlineQuery(text) !== null) { // an inline query lists results; it is not a message
      showInline(inlineQuery(text));
      return;
    }
    input.value = "";
    autosize();
    send(text);
  };
  const autosize = () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight + 2, 144)}px`;
  };
  $("composer").addEventListener("submit", (event) => { event.preventDefault(); submit(); input.focus(); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener("input", autosize);
}

// The 📎 button: send a clip (audio or video) as the selected person; the bot analyses it.
function wireAttach() {
  const picker = $("attach-input");
  $("attach-button").addEventListener("click", () => picker.click());
  picker.addEventListener("change", async () => {
    const file = picker.files && picker.files[0];
    picker.value = "";
    if (!file) return;
    const form = new FormData();
    form.append("user_id", String(state.user));
    form.append("file", file, file.name);
    try {
      const response = await fetch(`${API}/send_file`, { method: "POST", body: form, headers: { "X-Sandbox-Token": TOKEN } });
      if (!response.ok) {
        const data = await response.json().catch(() => ({}));
        throw new Error(response.status === 413 ? t("sandbox.page.file_too_large")
          : data.error ? problem(data, response.status) : t("sandbox.page.upload_failed", { status: response.status }));
      }
    } catch (error) {
      toast(error.message, true);
    }
  });
}

// --- languages and inline mode ---------------------------------------------------------------------------------

function fillLanguages() {
  const select = $("language-select");
  select.replaceChildren(...(state.languages || ["en"]).map((code) => el("option", { value: code }, code)));
  const current = () => state.people.find((p) => p.id === state.user);
  const sync = () => { select.value = (current() && current().language) || "en"; };
  sync();
  $("user-select").addEventListener("change", sync);
  select.addEventListener("change", async () => {
    try {
      await api("/language", { user_id: state.user, language_code: select.value });
      if (current()) current().language = select.value;
      await loadStrings();
    } catch (error) {
      toast(error.message, true);
    }
  });
}

/** The query of `@<bot> words` typed in the composer, or null when the text is not an inline query. */
function inlineQuery(text) {
  const match = /^@(\w+)(?:\s+([\s\S]*))?$/.exec(text);
  if (!match || match[1].toLowerCase() !== state.bot.username.toLowerCase()) return null;
  return (match[2] || "").trim();
}

let inlineTimer = null;

function wireInline() {
  const input = $("input");
  input.addEventListener("input", () => {
    clearTimeout(inlineTimer);
    const query = inlineQuery(input.value);
    if (query === null) {
      $("inline-results").hidden = true;
      return;
    }
    inlineTimer = setTimeout(() => showInline(query), 250);
  });
}

async function showInline(query) {
  const list = $("inline-results");
  try {
    const answer = await api("/inline", { user_id: state.user, query, offset: "" });
    const items = answer.results.map((r) => el("li", { className: "inline-result", "data-result": r.id },
      el("audio", { controls: true, preload: "none", src: `${API}/files/${encodeURIComponent(r.file_id)}` }),
      el("span", { className: "inline-caption" }, (r.caption || "").replace(/<[^>]*>/g, ""))));
    if (answer.button) {
      const open = el("button", { type: "button", className: "kb-button" }, answer.button.text);
      open.addEventListener("click", () => {
        list.hidden = true;
        $("input").value = "";
        send(`/start ${answer.button.start_parameter}`);
      });
      items.unshift(el("li", { className: "inline-result" }, open));
    }
    list.replaceChildren(...items);
    list.hidden = items.length === 0;
  } catch (error) {
    toast(error.message, true);
  }
}

// --- formatting ----------------------------------------------------------------------------------------------

function serviceText(m) {
  const service = m.service || {};
  const amount = formatAmount(service.total_amount, service.currency);
  if (service.kind === "successful_payment") return t("sandbox.page.paid", { amount, bot: state.bot.name });
  if (service.kind === "refunded_payment") return t("sandbox.page.refunded", { amount, bot: state.bot.name });
  return m.text || service.kind || t("sandbox.page.service");
}

function formatAmount(amount, currency) {
  if (amount === undefined || amount === null) return "";
  if (!currency || currency === "XTR") return `⭐ ${amount}`;
  return `${(amount / 100).toFixed(2)} ${currency}`;
}

function formatDuration(seconds) {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function fileType(file) {
  const extension = (file.name.split(".").pop() || "").toUpperCase();
  return extension.length <= 4 ? extension : "file";
}

// --- start ---------------------------------------------------------------------------------------------------

async function start() {
  const info = await api("/users");
  state.bot = info.bot;
  state.people = info.people;
  state.channel = info.channel;
  state.commands = info.commands;
  state.languages = info.languages;
  state.user = info.people[0].id;
  $("chat-title").textContent = state.bot.name;
  await loadStrings();
  fillPeople();
  fillCommands();
  wireComposer();
  wireAttach();
  fillLanguages();
  wireInline();
  $("tab-chat").addEventListener("click", () => showView("chat"));
  $("tab-channel").addEventListener("click", () => showView("channel"));
  connect();
  $("input").focus();
}

start().catch((error) => toast(t("sandbox.page.start_failed", { error: error.message }), true));
