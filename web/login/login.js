// otpgram's hosted login page: one tap in Telegram, or a phone and a code; then back to the
// shop's site with an authorization code. No framework: this file and the page are all.
"use strict";

const TEXTS = {
  en: {
    title: (site) => `Log in to ${site}`,
    lead: "With your Telegram account: no password.",
    tap: "Log in with Telegram",
    open: "Open Telegram",
    tapHint: "On a computer, scan the code with your phone.",
    pick: "Pick this number in Telegram:",
    or: "or with a code",
    phone: "Phone number",
    send: "Send me a code",
    code: "Code from Telegram",
    verify: "Log in",
    resendIn: (s) => `New code in ${s} s`,
    resend: "Send a new code",
    sent: "The code is on its way to Telegram.",
    sentFrom: (bot) => `The code is on its way to Telegram: from @${bot}, or from “Verification Codes”.`,
    noCode: "No code?",
    openBot: (bot) => `Open @${bot}`,
    waiting: "Waiting for you in Telegram…",
    denied: "Refused in Telegram. Start again if it was you.",
    expired: "The link expired. Press the button again.",
    done: "Logged in. Taking you back…",
    footer: "Login by otpgram",
    errors: {
      invalid_phone: "That phone number doesn't look right.",
      invalid_code: "That code is wrong or expired.",
      too_many_attempts: "Too many wrong codes. Ask for a new code.",
      rate_limited: "Too many attempts. Try again in a minute.",
      forbidden_origin: "This page cannot log you in from here.",
      unavailable: "Something went wrong on our side. Try again in a minute.",
      network: "No connection. Check your internet and try again.",
    },
  },
  ru: {
    title: (site) => `Вход на ${site}`,
    lead: "Через ваш аккаунт Telegram, без пароля.",
    tap: "Войти через Telegram",
    open: "Открыть Telegram",
    tapHint: "На компьютере отсканируйте код телефоном.",
    pick: "Выберите это число в Telegram:",
    or: "или по коду",
    phone: "Номер телефона",
    send: "Прислать код",
    code: "Код из Telegram",
    verify: "Войти",
    resendIn: (s) => `Новый код через ${s} с`,
    resend: "Прислать новый код",
    sent: "Код отправлен в Telegram.",
    sentFrom: (bot) => `Код отправлен в Telegram: от @${bot} или от «Verification Codes».`,
    noCode: "Нет кода?",
    openBot: (bot) => `Откройте @${bot}`,
    waiting: "Ждём вас в Telegram…",
    denied: "Вход отклонён в Telegram. Если это были вы, начните заново.",
    expired: "Ссылка устарела. Нажмите кнопку ещё раз.",
    done: "Вы вошли. Возвращаем вас на сайт…",
    footer: "Вход через otpgram",
    errors: {
      invalid_phone: "Номер телефона указан неверно.",
      invalid_code: "Код неверный или устарел.",
      too_many_attempts: "Слишком много неверных кодов. Запросите новый код.",
      rate_limited: "Слишком много попыток. Попробуйте через минуту.",
      forbidden_origin: "С этой страницы войти нельзя.",
      unavailable: "Что-то пошло не так. Попробуйте через минуту.",
      network: "Нет соединения. Проверьте интернет и попробуйте снова.",
    },
  },
  uz: {
    title: (site) => `${site} saytiga kirish`,
    lead: "Telegram akkauntingiz orqali, parolsiz.",
    tap: "Telegram orqali kirish",
    open: "Telegramni ochish",
    tapHint: "Kompyuterda kodni telefoningiz bilan skanerlang.",
    pick: "Telegramda shu raqamni tanlang:",
    or: "yoki kod bilan",
    phone: "Telefon raqami",
    send: "Kod yuborish",
    code: "Telegramdagi kod",
    verify: "Kirish",
    resendIn: (s) => `Yangi kod ${s} soniyadan so‘ng`,
    resend: "Yangi kod yuborish",
    sent: "Kod Telegramga yuborildi.",
    sentFrom: (bot) => `Kod Telegramga yuborildi: @${bot} yoki “Verification Codes” dan.`,
    noCode: "Kod kelmadimi?",
    openBot: (bot) => `@${bot} ni oching`,
    waiting: "Sizni Telegramda kutyapmiz…",
    denied: "Telegramda rad etildi. Bu siz bo‘lsangiz, qaytadan boshlang.",
    expired: "Havola muddati tugadi. Tugmani yana bosing.",
    done: "Kirdingiz. Saytga qaytaryapmiz…",
    footer: "otpgram orqali kirish",
    errors: {
      invalid_phone: "Telefon raqami noto‘g‘ri.",
      invalid_code: "Kod noto‘g‘ri yoki muddati tugagan.",
      too_many_attempts: "Juda ko‘p noto‘g‘ri kod. Yangi kod so‘rang.",
      rate_limited: "Juda ko‘p urinish. Bir daqiqadan so‘ng qayta urinib ko‘ring.",
      forbidden_origin: "Bu sahifadan kirib bo‘lmaydi.",
      unavailable: "Nimadir xato ketdi. Bir daqiqadan so‘ng qayta urinib ko‘ring.",
      network: "Aloqa yo‘q. Internetni tekshirib, qayta urinib ko‘ring.",
    },
  },
};

const $ = (id) => document.getElementById(id);
const config = JSON.parse($("config").textContent);
const t = TEXTS[config.lang] || TEXTS.en;
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
    resend.textContent = t.resendIn(left);
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
  status(config.bot ? t.sentFrom(config.bot) : t.sent);
  // The same for every phone: the page never knows (or shows) which channel carries the code.
  clearTimeout(hintTimer);
  $("no-code").hidden = true;
  if (config.bot) hintTimer = setTimeout(noCodeHint, config.no_code_hint_after * 1000);
}

// "No code? Open @bot": sharing the number with the bot brings the code there.
function noCodeHint() {
  $("no-code-text").textContent = t.noCode;
  const link = $("no-code-link");
  link.href = `https://t.me/${config.bot}`;
  link.textContent = t.openBot(config.bot);
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
  document.title = t.title(config.site);
  $("title").textContent = t.title(config.site);
  $("lead").textContent = t.lead;
  $("tap").textContent = t.tap;
  $("tap-open").textContent = t.open;
  $("tap-hint").textContent = t.tapHint;
  $("tap-pick").textContent = t.pick;
  $("tap-qr").setAttribute("aria-label", t.tapHint);
  $("or").textContent = t.or;
  $("phone-label").textContent = t.phone;
  $("send").textContent = t.send;
  $("code-label").textContent = t.code;
  $("verify").textContent = t.verify;
  $("resend").textContent = t.resend;
  $("footer").textContent = t.footer;
  $("tap").addEventListener("click", oneTap);
  $("phone-form").addEventListener("submit", sendCode);
  $("code-form").addEventListener("submit", verify);
  $("code").addEventListener("input", codeInput);
  $("resend").addEventListener("click", () => sendCode());
  // The widget's popup, for a customer already logged in here: straight back.
  if (config.signed_in) complete();
}

init();
