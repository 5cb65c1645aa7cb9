// A shop's backend as panva's openid-client (v6) writes it, unmodified, driven by the Rust
// test `relying_parties` over stdin/stdout: one JSON command per line in, one JSON answer per
// line out. The library runs in its strict defaults: it checks `iss` on the callback (discovery
// says otpgram sends it), state, nonce, PKCE, the ID token's signature and claims, and
// auth_time against max_age.
//
// OPENID_CLIENT_DIR names the folder holding node_modules/openid-client (scripts/test installs
// it from the npm registry).
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const dir = process.env.OPENID_CLIENT_DIR;
const client = await import(
  pathToFileURL(join(dir, "node_modules/openid-client/build/index.js")).href
);

const configs = new Map(); // client_id -> Configuration
const pending = new Map(); // name -> { verifier, state, nonce, maxAge }

async function run(cmd) {
  switch (cmd.cmd) {
    case "discover": {
      const auth = cmd.client_secret ? client.ClientSecretPost(cmd.client_secret) : client.None();
      const config = await client.discovery(new URL(cmd.issuer), cmd.client_id,
        undefined, auth, { execute: [client.allowInsecureRequests] });
      configs.set(cmd.client_id, config);
      const meta = config.serverMetadata();
      return { issuer: meta.issuer, iss_supported: meta.authorization_response_iss_parameter_supported };
    }
    case "authorize": {
      const config = configs.get(cmd.client_id);
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const params = {
        redirect_uri: cmd.redirect_uri,
        scope: cmd.scope || "openid phone",
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
        state,
        nonce,
        ...(cmd.extra || {}),
      };
      pending.set(cmd.name, { verifier, state, nonce, maxAge: cmd.extra && cmd.extra.max_age });
      return { url: client.buildAuthorizationUrl(config, params).href };
    }
    case "callback": {
      const config = configs.get(cmd.client_id);
      const flow = pending.get(cmd.name);
      const checks = {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
      };
      if (flow.maxAge !== undefined) checks.maxAge = Number(flow.maxAge);
      const tokens = await client.authorizationCodeGrant(config, new URL(cmd.url), checks);
      return {
        claims: tokens.claims(),
        access_token: tokens.access_token,
        id_token: tokens.id_token,
        refresh_token: tokens.refresh_token,
      };
    }
    case "refresh": {
      const tokens = await client.refreshTokenGrant(configs.get(cmd.client_id), cmd.refresh_token);
      return { access_token: tokens.access_token, refresh_token: tokens.refresh_token,
        claims: tokens.claims() };
    }
    case "userinfo": {
      const info = await client.fetchUserInfo(configs.get(cmd.client_id), cmd.access_token, cmd.sub);
      return { userinfo: info };
    }
    case "revoke": {
      await client.tokenRevocation(configs.get(cmd.client_id), cmd.token);
      return { revoked: true };
    }
    case "end_session": {
      const url = client.buildEndSessionUrl(configs.get(cmd.client_id), {
        id_token_hint: cmd.id_token_hint,
        post_logout_redirect_uri: cmd.post_logout_redirect_uri,
        state: cmd.state,
      });
      return { url: url.href };
    }
    default:
      throw new Error(`unknown command ${cmd.cmd}`);
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  let answer;
  try {
    answer = await run(JSON.parse(line));
  } catch (err) {
    // openid-client wraps the check that failed (oauth4webapi's) as the cause.
    const cause = err && err.cause;
    answer = {
      error: String(err && err.message || err),
      code: err && err.code,
      cause: cause && (cause.message || JSON.stringify(cause)),
    };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
