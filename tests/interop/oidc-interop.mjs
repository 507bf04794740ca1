// Interop check of a Latchkey server with independent implementations: openid-client (OAuth 2.0 / OIDC client,
// built on oauth4webapi) and jose (JWT/JWKS). The C# test that starts this script plays the user's browser:
// it receives {"step":"authorize"|"device"} lines on stdout and answers on stdin.
import * as client from 'openid-client';
import * as jose from 'jose';
import * as readline from 'node:readline';

const issuer = new URL(process.env.ISSUER);
const rsId = process.env.RS_CLIENT_ID;
const rsSecret = process.env.RS_CLIENT_SECRET;
const http = { execute: [client.allowInsecureRequests] }; // loopback test server speaks http
const lines = readline.createInterface({ input: process.stdin });
const pending = [];
lines.on('line', (l) => pending.shift()?.(l));
const ask = (obj) => new Promise((resolve) => { pending.push(resolve); console.log(JSON.stringify(obj)); });
const results = {};
const check = (name, ok, detail) => { results[name] = ok ? 'ok' : `FAILED ${detail ?? ''}`; };

const cli = await client.discovery(issuer, 'latchkey-cli', undefined, client.None(), http);
const rs = await client.discovery(issuer, rsId, rsSecret, client.ClientSecretBasic(rsSecret), http);
const meta = cli.serverMetadata();
check('discovery', meta.issuer === issuer.href.replace(/\/$/, '') && meta.code_challenge_methods_supported.includes('S256'));
const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));

// Authorization code flow with PKCE (RFC 7636), state and nonce.
const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const redirect_uri = 'http://127.0.0.1:' + (40000 + Math.floor(Math.random() * 20000)) + '/auth/callback';
const authUrl = client.buildAuthorizationUrl(cli, {
  redirect_uri, scope: 'openid email offline_access', state, nonce,
  code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
});
const callback = await ask({ step: 'authorize', url: authUrl.href });
const tokens = await client.authorizationCodeGrant(cli, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
check('code_flow', !!tokens.access_token && !!tokens.refresh_token && !!tokens.id_token);

const id = await jose.jwtVerify(tokens.id_token, jwks, { issuer: meta.issuer, audience: 'latchkey-cli', algorithms: ['ES256'] });
check('jose_id_token', id.payload.nonce === nonce && id.protectedHeader.alg === 'ES256' && !!id.payload['https://api.openai.com/auth']?.chatgpt_account_id);
const at = await jose.jwtVerify(tokens.access_token, jwks, { issuer: meta.issuer, audience: meta.issuer, algorithms: ['ES256'], typ: 'at+jwt' });
check('jose_access_token', at.payload.sub === id.payload.sub && typeof at.payload.sid === 'string');

const info = await client.fetchUserInfo(cli, tokens.access_token, id.payload.sub);
check('userinfo', info.email === id.payload.email);

// Refresh with rotation.
const refreshed = await client.refreshTokenGrant(cli, tokens.refresh_token);
check('refresh_rotates', !!refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token);

// Introspection (RFC 7662) as a confidential resource server.
const live = await client.tokenIntrospection(rs, refreshed.access_token);
check('introspect_active', live.active === true && live.sub === id.payload.sub && live.client_id === 'latchkey-cli');

// Revocation (RFC 7009), then the whole grant is dead.
await client.tokenRevocation(cli, refreshed.refresh_token);
const dead = await client.tokenIntrospection(rs, refreshed.access_token);
check('revoke_then_inactive', dead.active === false);
let refreshAfterRevoke = 'accepted';
try { await client.refreshTokenGrant(cli, refreshed.refresh_token); } catch (e) { refreshAfterRevoke = e.error ?? String(e); }
check('refresh_after_revoke_refused', refreshAfterRevoke === 'invalid_grant', refreshAfterRevoke);

// Device authorization grant (RFC 8628).
const device = await client.initiateDeviceAuthorization(cli, { scope: 'openid offline_access' });
await ask({ step: 'device', user_code: device.user_code, verification_uri_complete: device.verification_uri_complete });
const deviceTokens = await client.pollDeviceAuthorizationGrant(cli, device);
const dt = await jose.jwtVerify(deviceTokens.access_token, jwks, { issuer: meta.issuer, algorithms: ['ES256'] });
check('device_flow', dt.payload.sub === id.payload.sub && !!deviceTokens.refresh_token);

console.log(JSON.stringify({ step: 'done', results }));
lines.close();
process.exit(Object.values(results).every((r) => r === 'ok') ? 0 : 1);
