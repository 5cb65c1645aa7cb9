// otpgram's hosted login page: one tap in Telegram, or a phone and a code; then back to the
// shop's site with an authorization code. No framework: this file and the page are all.
// The server draws the page in the customer's language and every step works as a plain form;
// this script takes the same steps in place (a long poll for the tap, a code that submits
// itself, a countdown), saying what it says in the texts the server put in the page.
"use strict";

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("config").textContent);
const t = config.texts;
let resendTimer = null;
let hintTimer = null;

function status(text, error) {
  const el = $("status");
  el.textContent = text || "";
  el.classList.toggle("error", Boolean(error));
}

function errorText(json, fallback) {
  const code = json && json.error;
  return (code && t.errors[code]) || (json && json.message) || fallback || t.errors.unavailable;
}

async function call(method, path, body, headers) {
  try {
    const response = await fetch(path, {
      method,
      headers: Object.assign(body ? { "Content-Type": "application/json" } : {}, headers || {}),
      body: body ? JSON.stringify(body) : undefined,
      credentials: "same-origin",
    });
    const json = await response.json().catch(() => null);
    return { ok: response.ok, status: response.status, json, response };
  } catch (_) {
    return { ok: false, status: 0, json: { error: "network" } };
  }
}

// Back to the shop's site with a code (or, in the widget's popup, to the page that opened it),
// from the login session the sign-in just opened (its cookie).
async function complete() {
  status(t.done);
  const { ok, json } = await call("POST", "/login/authorize", config.request);
  if (!ok) return status(errorText(json), true);
  if (json.web_message && window.opener) {
    window.opener.postMessage({ type: "otpgram:login", code: json.code, state: json.state },
      json.target_origin);
    window.close();
    return;
  }
  window.location.assign(json.redirect_to);
}

// --- One tap -----------------------------------------------------------------------------------

async function oneTap() {
  $("tap").disabled = true;
  // Begun for this client, so the confirmation in Telegram names the shop that asks.
  const { ok, json } = await call("POST", "/login/telegram", config.request);
  if (!ok) {
    $("tap").disabled = false;
    return status(errorText(json), true);
  }
  const auth = { Authorization: `Bearer ${json.poll_token}` };
  $("tap-open").href = json.link;
  $("tap-number").textContent = String(json.number);
  $("tap-waiting").hidden = false;
  status(t.waiting);
  fetch(`/api/v1/login/telegram/${json.login_id}/qr.svg`, { headers: auth })
    .then((r) => (r.ok ? r.text() : ""))
    // otpgram's own SVG, drawn from the link.
    .then((svg) => { $("tap-qr").innerHTML = svg; })
    .catch(() => {});
  for (;;) {
    const wait = await call("GET", `/login/telegram/${json.login_id}?wait=25`, null, auth);
    if (!wait.ok) {
      if (wait.status === 0) { await new Promise((r) => setTimeout(r, 2000)); continue; }
      break;
    }
    if (wait.json.status === "pending") continue;
    $("tap-waiting").hidden = true;
    $("tap").disabled = false;
    if (wait.json.status === "signed_in") return complete();
    return status(wait.json.status === "denied" ? t.denied : t.expired, true);
  }
  $("tap").disabled = false;
  $("tap-waiting").hidden = true;
  status(t.errors.unavailable, true);
}

// --- Phone and code ----------------------------------------------------------------------------

function countdown(seconds) {
  clearInterval(resendTimer);
  let left = seconds;
  const resend = $("resend");
  const tick = () => {
    if (left <= 0) {
      clearInterval(resendTimer);
      resend.disabled = false;
      resend.textContent = t.resend;
      return;
    }
    resend.disabled = true;
    resend.hidden = false;
    resend.textContent = t.resend_in.replace("{s}", String(left));
    left -= 1;
  };
  tick();
  resendTimer = setInterval(tick, 1000);
}

async function sendCode(event) {
  if (event) event.preventDefault();
  const phone = $("phone").value.trim();
  if (!phone) return status(t.errors.invalid_phone, true);
  $("send").disabled = true;
  // For this client, so the code message names the shop that asks.
  const { ok, json, response } = await call("POST", "/login/code", { phone, request: config.request });
  $("send").disabled = false;
  if (!ok) {
    const wait = response && Number(response.headers.get("Retry-After"));
    if (json && json.error === "rate_limited" && wait) countdown(wait);
    return status(errorText(json), true);
  }
  $("code-form").hidden = false;
  $("code").focus();
  countdown(json.resend_after);
  status(t.sent);
  // The same for every phone: the page never knows (or shows) which channel carries the code.
  clearTimeout(hintTimer);
  $("no-code").hidden = true;
  if (config.bot) hintTimer = setTimeout(noCodeHint, config.no_code_hint_after * 1000);
}

// "No code? Open @bot": sharing the number with the bot brings the code there.
function noCodeHint() {
  $("no-code-link").href = `https://t.me/${config.bot}`;
  $("no-code").hidden = false;
}

async function verify(event) {
  event.preventDefault();
  const code = $("code").value.replace(/\D/g, "");
  if (!code) return status(t.errors.invalid_code, true);
  $("verify").disabled = true;
  const { ok, json } = await call("POST", "/login/verify",
    { phone: $("phone").value.trim(), code });
  $("verify").disabled = false;
  if (!ok) return status(errorText(json), true);
  return complete();
}

// A pasted code (or one the phone fills in) logs in at once when it is whole.
function codeInput() {
  const input = $("code");
  const digits = input.value.replace(/\D/g, "");
  if (digits !== input.value) input.value = digits;
  if (digits.length === config.code_length) $("code-form").requestSubmit();
}

function init() {
  $("tap-form").addEventListener("submit", (event) => { event.preventDefault(); oneTap(); });
  $("phone-form").addEventListener("submit", sendCode);
  $("code-form").addEventListener("submit", verify);
  $("code").addEventListener("input", codeInput);
  $("resend").addEventListener("click", () => sendCode());
  // The widget's popup, for a customer already logged in here: straight back.
  if (config.signed_in) complete();
}

init();
