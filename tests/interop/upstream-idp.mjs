// A real upstream OpenID provider for Latchkey's single sign-on tests: node `oidc-provider` (a certified OP) on
// loopback, with one confidential client and the users given on the command line. Its development login form accepts
// any password; the login name picks the account. Prints "ready <issuer>" once listening.
//
//   node upstream-idp.mjs --port 4100 --client-id latchkey --client-secret S --redirect-uri http://127.0.0.1:5080/account/sso/callback/corp \
//        --users '{"alice":{"email":"alice@corp.example","email_verified":true}}'
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    users: { type: 'string' },
  },
});

const users = JSON.parse(values.users ?? '{}');
const issuer = `http://127.0.0.1:${values.port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: values['client-id'],
    client_secret: values['client-secret'],
    redirect_uris: values['redirect-uri'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  // Latchkey reads the identity from the id_token alone (OIDC Core §5.4 allows claims there when asked for by scope).
  conformIdTokenClaims: false,
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['latchkey-test-upstream-cookie-key'] },
  async findAccount(ctx, id) {
    const user = users[id];
    if (!user) {
      return undefined;
    }

    return { accountId: id, async claims() { return { sub: id, ...user }; } };
  },
});

provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.listen(Number(values.port), '127.0.0.1', () => console.log(`ready ${issuer}`));
