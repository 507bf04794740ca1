// The peer in bench/run.sh: node oidc-provider configured like Latchkey (one public native client, PKCE S256,
// refresh tokens rotated on every use, ES256 id_tokens), with its default in-memory adapter (its LRU lifted from 1,000 to 10 million entries, so codes made ahead and grants under load are not evicted).
// Usage: node bench/oidc-provider.mjs <port> <control-port>
// The control port (loopback) stands in for the sign-in pages the bench does not drive: it mints authorization codes
// for a signed-in account and approves device codes, exactly as oidc-provider's own interaction finish would.
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';
// Its own in-memory adapter, kept, with only the size of its LRU lifted: the default 1,000 entries (a quick-start
// limit) would evict codes made ahead of the timed part, and grants under load.
import MemoryAdapter from './node_modules/oidc-provider/lib/adapters/memory_adapter.js';
import LRU from './node_modules/oidc-provider/lib/helpers/lru.js';

const store = new LRU({ maxSize: 10_000_000 });

const [port, controlPort] = process.argv.slice(2).map(Number);
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = 'http://127.0.0.1:1455/auth/callback';
const clientId = 'bench-cli';
const accountId = 'bench-user';

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
  }],
  adapter: (model) => new MemoryAdapter(model, store),
  jwks: { keys: [{ ...key, alg: 'ES256', use: 'sig', kid: 'bench' }] },
  pkce: { required: () => true },
  rotateRefreshToken: true,
  issueRefreshToken: async () => true,
  features: { devInteractions: { enabled: false }, deviceFlow: { enabled: true }, userinfo: { enabled: true } },
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  claims: { email: ['email', 'email_verified'], profile: ['name'] },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: `${id}@example.com`, email_verified: true, name: 'Bench User' }),
  }),
  ttl: { AuthorizationCode: 600, AccessToken: 3600, IdToken: 3600, RefreshToken: 30 * 24 * 3600, DeviceCode: 900, Grant: 30 * 24 * 3600 },
});
provider.proxy = false;

async function newGrant() {
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope('openid offline_access email profile');
  return grant.save();
}

async function mintCode(challenge) {
  const client = await provider.Client.find(clientId);
  const code = new provider.AuthorizationCode({
    accountId,
    grantId: await newGrant(),
    client,
    redirectUri,
    scope: 'openid offline_access email profile',
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    authTime: Math.floor(Date.now() / 1000),
  });
  return code.save();
}

async function approveDevice(userCode) {
  // As the verification page does (helpers/user_codes.js normalize): the stored form has no separators.
  const code = await provider.DeviceCode.findByUserCode(userCode.replace(/[^A-Za-z0-9]/g, '').toUpperCase());
  if (!code) throw new Error('unknown user code');
  code.accountId = accountId;
  code.grantId = await newGrant();
  code.authTime = Math.floor(Date.now() / 1000);
  code.scope = 'openid offline_access email profile';
  await code.save();
}

provider.listen(port, '127.0.0.1');

// POST /codes {challenges:[...]} -> {codes:[...]}; POST /device {user_code}
http.createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  try {
    const input = JSON.parse(body || '{}');
    let out = {};
    if (req.url === '/codes') out = { codes: await Promise.all(input.challenges.map(mintCode)) };
    else if (req.url === '/device') await approveDevice(input.user_code);
    else throw new Error('not found');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
  } catch (e) {
    res.writeHead(400).end(String(e?.stack ?? e));
  }
}).listen(controlPort, '127.0.0.1', () => console.log(`oidc-provider listening on ${issuer}`));
