// The Telegram sandbox page: pretend users and groups talk to otpgram's real bot through the
// sandbox's Bot API; the bot's messages arrive live over server-sent events.
"use strict";

const BOT_ID = 5000000001;
const VERIFICATION_CODES_ID = 5000000002;
const state = { users: [], groups: [], verificationChats: [], me: null, chat: null, messages: new Map() };
const $ = (id) => document.getElementById(id);
// The customer's sentences, from the server (locales/), once the world is loaded.
let texts = null;

async function call(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
  return { ok: response.ok, status: response.status, json };
}

// --- Telegram's HTML subset, rendered safely -------------------------------------------------

const ALLOWED = { B: "b", STRONG: "b", I: "i", EM: "i", U: "u", INS: "u", S: "s", STRIKE: "s",
  DEL: "s", CODE: "code", PRE: "pre", BLOCKQUOTE: "blockquote" };

function renderHtml(source, into) {
  const doc = new DOMParser().parseFromString(`<body>${source}</body>`, "text/html");
  const walk = (node, parent) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        parent.appendChild(document.createTextNode(child.textContent));
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        let element;
        if (child.tagName === "A") {
          const href = child.getAttribute("href") || "";
          if (/^(https?:|tg:)/i.test(href)) {
            element = document.createElement("a");
            element.href = href;
            element.target = "_blank";
            element.rel = "noopener noreferrer";
          }
        } else if (child.tagName === "TG-SPOILER" || child.classList.contains("tg-spoiler")) {
          element = document.createElement("span");
          element.className = "spoiler";
          element.tabIndex = 0;
        } else if (ALLOWED[child.tagName]) {
          element = document.createElement(ALLOWED[child.tagName]);
        }
        if (element) {
          parent.appendChild(element);
          walk(child, element);
        } else {
          walk(child, parent);
        }
      }
    }
  };
  walk(doc.body, into);
}

// --- People and chats --------------------------------------------------------------------------

function userLabel(user) {
  return `${user.first_name}${user.last_name ? " " + user.last_name : ""} · ${user.phone} · id ${user.id}`;
}

function renderPeople() {
  const users = $("users");
  users.replaceChildren(...state.users.map((user) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.user = user.id;
    button.textContent = userLabel(user);
    button.setAttribute("aria-pressed", String(state.me === user.id));
    button.addEventListener("click", () => openChat(user.id, user.id));
    li.appendChild(button);
    return li;
  }));
  const groups = $("groups");
  groups.replaceChildren(...state.groups.map((group) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.group = group.id;
    const member = state.me !== null && group.members.includes(state.me);
    button.textContent = `${group.title} · ${group.members.length} member(s)${member ? "" : " · not a member"}`;
    button.setAttribute("aria-pressed", String(state.chat === group.id));
    button.addEventListener("click", () => openChat(group.id, state.me));
    li.appendChild(button);
    return li;
  }));
  // Telegram's "Verification Codes" account: the Gateway's codes, for those who never opened the bot.
  for (const { user: id, chat } of state.verificationChats) {
    const user = state.users.find((u) => u.id === id);
    if (!user) continue;
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.verification = id;
    button.textContent = `Verification Codes · ${user.first_name}`;
    button.setAttribute("aria-pressed", String(state.chat === chat));
    button.addEventListener("click", () => openChat(chat, id));
    li.appendChild(button);
    users.appendChild(li);
  }
  $("join-group").disabled = !(state.chat !== null && state.chat < 0 && state.me !== null);
}

async function loadWorld() {
  const { json } = await call("GET", "/sandbox/api/world");
  if (!json) return;
  $("bot-name").textContent = "@" + json.bot.username;
  texts = json.texts;
  state.users = json.users;
  state.groups = json.groups;
  state.verificationChats = json.verification_chats || [];
  renderPeople();
}

async function openChat(chat, me) {
  state.chat = chat;
  state.me = me;
  const user = state.users.find((u) => u.id === me);
  const group = state.groups.find((g) => g.id === chat);
  const verification = state.verificationChats.some((v) => v.chat === chat);
  $("chat-title").textContent = group ? `Group “${group.title}”`
    : verification ? "Verification Codes (Telegram's Gateway)"
    : `Chat with @${$("bot-name").textContent.slice(1)}`;
  $("chat-as").textContent = user ? `You are ${userLabel(user)}` : "";
  // The site panel follows the private chat's user (a group keeps the phone already there).
  if (user && (chat > 0 || !$("site-phone").value)) $("site-phone").value = user.phone;
  for (const control of document.querySelectorAll("#composer input, #composer button, .quick button")) {
    control.disabled = !user || verification;
  }
  renderPeople();
  const { json } = await call("GET", `/sandbox/api/chats/${chat}/messages`);
  state.messages = new Map((json || []).map((m) => [m.id, m]));
  renderMessages();
}

function renderMessages() {
  const list = $("messages");
  const sorted = [...state.messages.values()].sort((a, b) => a.id - b.id);
  list.replaceChildren(...sorted.map(renderMessage));
  list.scrollTop = list.scrollHeight;
  renderKeyboard(sorted);
}

function renderMessage(message) {
  const li = document.createElement("li");
  const fromBot = message.from === BOT_ID || message.from === VERIFICATION_CODES_ID;
  li.className = `msg ${fromBot ? "bot" : "mine"}${message.deleted ? " deleted" : ""}`;
  li.dataset.id = message.id;
  const who = document.createElement("span");
  who.className = "who";
  const sender = state.users.find((u) => u.id === message.from);
  who.textContent = message.from === VERIFICATION_CODES_ID ? "Verification Codes" : fromBot ? "bot" : sender ? sender.first_name : `user ${message.from}`;
  if (message.edited) who.textContent += " · edited";
  const text = document.createElement("div");
  text.className = "text";
  if (message.parse_mode && message.parse_mode.toUpperCase() === "HTML") {
    renderHtml(message.text, text);
  } else {
    text.textContent = message.text;
  }
  li.append(who, text);
  const inline = message.reply_markup && message.reply_markup.inline_keyboard;
  if (inline && !message.deleted) {
    for (const row of inline) {
      const div = document.createElement("div");
      div.className = "inline";
      for (const button of row) {
        if (button.url) {
          const a = document.createElement("a");
          a.href = button.url;
          a.target = "_blank";
          a.rel = "noopener noreferrer";
          a.textContent = button.text;
          div.appendChild(a);
        } else {
          const b = document.createElement("button");
          b.type = "button";
          b.textContent = button.text;
          b.dataset.callback = button.callback_data || "";
          b.addEventListener("click", () => press(message, button.callback_data));
          div.appendChild(b);
        }
      }
      li.appendChild(div);
    }
  }
  return li;
}

// The reply keyboard is the latest one the bot sent in this chat, until it removes it.
function renderKeyboard(sorted) {
  const area = $("keyboard");
  area.replaceChildren();
  const last = [...sorted].reverse().find((m) => m.from === BOT_ID && m.reply_markup &&
    (m.reply_markup.keyboard || m.reply_markup.remove_keyboard));
  if (!last || !last.reply_markup.keyboard) return;
  const answered = sorted.some((m) => m.id > last.id && m.from === state.me);
  if (answered && last.reply_markup.one_time_keyboard) return;
  for (const row of last.reply_markup.keyboard) {
    const div = document.createElement("div");
    div.className = "row";
    for (const key of row) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = key.text;
      if (key.request_contact) {
        b.classList.add("kb-contact");
        b.addEventListener("click", shareContact);
      } else {
        b.addEventListener("click", () => say(key.text));
      }
      div.appendChild(b);
    }
    area.appendChild(div);
  }
}

// --- What a pretend user does -------------------------------------------------------------------

async function say(text) {
  if (state.me === null || state.chat === null || !text.trim()) return;
  const { ok, json } = await call("POST", `/sandbox/api/chats/${state.chat}/messages`, { from: state.me, text });
  if (!ok) return showChatError(json);
  upsert(json);
}

async function shareContact() {
  if (state.me === null) return;
  const { ok, json } = await call("POST", "/sandbox/api/contact", { from: state.me });
  if (!ok) return showChatError(json);
  upsert(json);
}

async function press(message, data) {
  const { ok, json } = await call("POST", `/sandbox/api/chats/${message.chat_id}/press`,
    { from: state.me, message_id: message.id, data });
  if (!ok) showChatError(json);
}

function showChatError(json) {
  $("chat-as").textContent = (json && json.message) || "That did not work.";
}

function upsert(message) {
  // A first code from "Verification Codes" opens a chat the list does not show yet.
  if (message.from === VERIFICATION_CODES_ID && !state.verificationChats.some((v) => v.chat === message.chat_id)) {
    loadWorld();
  }
  if (message.chat_id !== state.chat) return;
  state.messages.set(message.id, message);
  renderMessages();
}

// --- The shop's site ----------------------------------------------------------------------------

function siteStatus(text, error) {
  const status = $("site-status");
  status.textContent = text;
  status.classList.toggle("error", Boolean(error));
}

async function requestCode(event) {
  event.preventDefault();
  const { ok, json } = await call("POST", "/api/v1/otp/request", { phone: $("site-phone").value });
  if (ok) {
    // The customer's words come from the server (locales/, as on the hosted page); the rest
    // tells the developer what the API answered.
    const t = texts || {};
    siteStatus(`${t.sent} (The bot for a linked phone, “Verification Codes” for any other.) ` +
      `It lives ${json.expires_in} s; a new one after ${json.resend_after} s. ` +
      `${t.no_code} ${t.open_bot}.`);
    $("site-code").focus();
  } else {
    siteStatus((json && json.message) || "The request failed.", true);
  }
}

async function verify(event) {
  event.preventDefault();
  const { ok, json } = await call("POST", "/api/v1/otp/verify",
    { phone: $("site-phone").value, code: $("site-code").value.trim() });
  if (!ok) {
    siteStatus((json && json.message) || "Wrong code.", true);
    return;
  }
  await showLoggedIn(json);
}

async function showLoggedIn(json) {
  const me = await call("GET", "/api/v1/me");
  const user = (me.json && me.json.user) || json.user;
  siteStatus("Logged in: the session's cookies are set, and /api/v1/me answers.");
  $("site-user").textContent = `Logged in as ${user.full_name || user.phone} (${user.phone})`;
  $("site-json").textContent = JSON.stringify({ user, token_type: json.token_type, expires_in: json.expires_in }, null, 2);
  $("site-result").hidden = false;
}

// One tap: start a login, show its link and QR code, and wait (a long poll) for the answer the
// pretend user gives in the chat.
async function oneTap() {
  const { ok, json } = await call("POST", "/api/v1/login/telegram");
  if (!ok) return siteStatus((json && json.message) || "Could not start a login.", true);
  const login = json;
  const auth = { Authorization: `Bearer ${login.poll_token}` };
  $("one-tap-href").href = login.link;
  $("one-tap-href").textContent = login.link;
  $("one-tap-number").textContent = String(login.number);
  $("one-tap-link").hidden = false;
  $("one-tap-open").onclick = () => say(`/start ${login.link.split("?start=")[1]}`);
  const qr = await fetch(`/api/v1/login/telegram/${login.login_id}/qr.svg`, { headers: auth });
  // Our own SVG, drawn from the link: safe to show as markup.
  $("one-tap-qr").innerHTML = qr.ok ? await qr.text() : "";
  siteStatus(`Waiting for the answer in Telegram (the link works ${login.expires_in} s)…`);
  for (;;) {
    const response = await fetch(`/api/v1/login/telegram/${login.login_id}?wait=25`,
      { headers: auth, credentials: "same-origin" });
    const answer = await response.json().catch(() => null);
    if (!response.ok || !answer) return siteStatus((answer && answer.message) || "The wait failed.", true);
    if (answer.status === "pending") continue;
    $("one-tap-link").hidden = true;
    if (answer.status !== "approved") {
      return siteStatus(answer.status === "denied" ? "Refused in Telegram (“Not me”)." : "The link expired.", true);
    }
    return showLoggedIn(answer);
  }
}

// --- Forms and live updates ---------------------------------------------------------------------

async function createUser(event) {
  event.preventDefault();
  const id = $("user-id").value.trim();
  const body = {
    first_name: $("user-first-name").value,
    last_name: $("user-last-name").value,
    phone: $("user-phone").value,
    language: $("user-language").value,
  };
  if (id) body.id = Number(id);
  const { ok, json } = await call("POST", "/sandbox/api/users", body);
  if (!ok) {
    $("chat-as").textContent = (json && json.message) || "Could not create the user.";
    return;
  }
  await loadWorld();
  await openChat(json.id, json.id);
  $("composer-input").focus();
}

async function createGroup(event) {
  event.preventDefault();
  if (state.me === null) return;
  const { ok, json } = await call("POST", "/sandbox/api/groups", { title: $("group-title").value, admin: state.me });
  if (!ok) return showChatError(json);
  await loadWorld();
  await openChat(json.id, state.me);
}

async function joinGroup() {
  if (state.chat === null || state.chat > 0 || state.me === null) return;
  const { ok, json } = await call("POST", `/sandbox/api/groups/${state.chat}/members`, { user: state.me });
  if (!ok) return showChatError(json);
  await loadWorld();
  await openChat(state.chat, state.me);
}

function listen() {
  const events = new EventSource("/sandbox/api/events");
  events.addEventListener("message", (event) => upsert(JSON.parse(event.data)));
  events.addEventListener("reload", () => state.chat !== null && openChat(state.chat, state.me));
}

document.addEventListener("DOMContentLoaded", () => {
  $("new-user").addEventListener("submit", createUser);
  $("new-group").addEventListener("submit", createGroup);
  $("join-group").addEventListener("click", joinGroup);
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("composer-input");
    say(input.value);
    input.value = "";
  });
  for (const button of document.querySelectorAll(".quick button")) {
    button.addEventListener("click", () => say(button.dataset.command));
  }
  $("site-request-form").addEventListener("submit", requestCode);
  $("site-verify-form").addEventListener("submit", verify);
  $("site-one-tap").addEventListener("click", oneTap);
  if (!$("user-phone").value) {
    $("user-phone").value = "+99890" + String(Math.floor(1000000 + Math.random() * 8999999));
  }
  listen();
  loadWorld();
});
