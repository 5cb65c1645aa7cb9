// otpgram's login widget: add
//   <script src="https://<otpgram>/widget.js"></script>
// to any page of the shop's site, then
//   const { code, codeVerifier, redirectUri } = await otpgram.login({ clientId, redirectUri });
// (options also: scope, locale, nonce, and prompt: "login" to ask even a logged-in customer)
// opens otpgram's login in a popup and resolves with an authorization code (and the PKCE
// verifier) for the shop's backend to trade at /oauth/token. The code reaches only pages of
// the redirect URI's origin, which the client registered.
(function () {
  "use strict";
  const script = document.currentScript;
  const base = new URL(script.src).origin;

  function random(bytes) {
    const a = new Uint8Array(bytes);
    crypto.getRandomValues(a);
    return base64url(a);
  }

  function base64url(bytes) {
    let s = "";
    bytes.forEach((b) => { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function challenge(verifier) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    return base64url(new Uint8Array(digest));
  }

  async function login(options) {
    const opts = options || {};
    if (!opts.clientId || !opts.redirectUri) throw new Error("otpgram.login needs clientId and redirectUri");
    const codeVerifier = random(32);
    const state = random(16);
    const nonce = opts.nonce || random(16);
    // Opened at once, inside the click, so that browsers allow the popup.
    const popup = window.open("about:blank", "otpgram-login", "width=420,height=640");
    if (!popup) throw new Error("the browser blocked otpgram's login popup");
    const params = new URLSearchParams({
      response_type: "code",
      response_mode: "web_message",
      client_id: opts.clientId,
      redirect_uri: opts.redirectUri,
      scope: opts.scope || "openid phone",
      state,
      nonce,
      code_challenge: await challenge(codeVerifier),
      code_challenge_method: "S256",
    });
    if (opts.locale) params.set("ui_locales", opts.locale);
    // "login": ask the customer again even when they are logged in to otpgram already.
    if (opts.prompt) params.set("prompt", opts.prompt);
    popup.location.href = `${base}/login?${params}`;
    return new Promise((resolve, reject) => {
      const closed = setInterval(() => {
        if (popup.closed) { cleanup(); reject(new Error("the login window was closed")); }
      }, 500);
      function cleanup() {
        clearInterval(closed);
        window.removeEventListener("message", onMessage);
      }
      function onMessage(event) {
        if (event.origin !== base || !event.data || event.data.type !== "otpgram:login") return;
        if (event.data.state !== state) return;
        cleanup();
        resolve({ code: event.data.code, codeVerifier, nonce, redirectUri: opts.redirectUri });
      }
      window.addEventListener("message", onMessage);
    });
  }

  window.otpgram = { login };
})();
