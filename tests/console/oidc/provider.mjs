// A real OpenID provider for the console's sign-in tests: panva's certified oidc-provider
// (https://github.com/panva/node-oidc-provider, pinned in package.json), on plain HTTP at
// 127.0.0.1, with a minimal login page of its own (a username, no password).
//
// It issues what Jalin's services verify: RS256 JWT access tokens (RFC 9068) for the
// resource OIDC_RESOURCE (RFC 8707), audience OIDC_AUDIENCE, carrying the account's tenant,
// roles, unit and name. PKCE (S256) is required. Two confidential clients: the console
// (authorization code, client_secret_basic, redirect OIDC_REDIRECT_URI) and, when
// OIDC_OPERATOR_CLIENT_ID is set, an operator's machine client (client credentials) whose
// tokens are the platform operator's (tenant "platform", role platform_admin).
//
// Environment: OIDC_PORT (required), OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI,
// OIDC_POST_LOGOUT_REDIRECT_URI (where the provider sends the browser after signing out),
// OIDC_RESOURCE (default urn:jalin:api), OIDC_AUDIENCE (default jalin),
// OIDC_OPERATOR_CLIENT_ID, OIDC_OPERATOR_CLIENT_SECRET.

import crypto from 'node:crypto';
import http from 'node:http';

import Provider, { errors } from 'oidc-provider';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) {
    console.error(`provider.mjs: set ${name}`);
    process.exit(2);
  }
  return value;
};

const PORT = Number(env('OIDC_PORT'));
const ISSUER = `http://127.0.0.1:${PORT}`;
const RESOURCE = env('OIDC_RESOURCE', 'urn:jalin:api');
const AUDIENCE = env('OIDC_AUDIENCE', 'jalin');
const OPERATOR = process.env.OIDC_OPERATOR_CLIENT_ID;

// The people who may sign in (sub -> claims); the services read tenant, roles, unit, name.
const ACCOUNTS = {
  'budi.ks': { tenant: 'sumbar', roles: ['kerja_sama'], name: 'Budi (Biro Kerja Sama)' },
  'ani.opd': { tenant: 'sumbar', roles: ['opd_staff'], unit: 'dinkes', name: 'Ani (Dinas Kesehatan)' },
  'dedi.ks': { tenant: 'kukar', roles: ['kerja_sama'], name: 'Dedi (Bagian Kerja Sama)' },
};
const OPERATOR_CLAIMS = { tenant: 'platform', roles: ['platform_admin'], name: 'Platform operator (machine)' };

const signingKey = {
  ...crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: crypto.randomUUID(), use: 'sig', alg: 'RS256',
};

const clients = [{
  client_id: env('OIDC_CLIENT_ID'),
  client_secret: env('OIDC_CLIENT_SECRET'),
  redirect_uris: [env('OIDC_REDIRECT_URI')],
  post_logout_redirect_uris: process.env.OIDC_POST_LOGOUT_REDIRECT_URI ? [process.env.OIDC_POST_LOGOUT_REDIRECT_URI] : [],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
}];
if (OPERATOR) {
  clients.push({
    client_id: OPERATOR,
    client_secret: env('OIDC_OPERATOR_CLIENT_SECRET'),
    redirect_uris: [],
    grant_types: ['client_credentials'],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
  });
}

const provider = new Provider(ISSUER, {
  clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  claims: { openid: ['sub'], profile: ['name'] },
  pkce: { methods: ['S256'], required: () => true },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: Boolean(OPERATOR) },
    // Signing out at the provider (RP-initiated logout): its confirmation page, in Indonesian.
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.type = 'html';
        ctx.body = `<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Keluar</title></head><body>
<h1>Keluar dari penyedia identitas?</h1>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Ya, keluar</button></body></html>`;
      },
    },
    resourceIndicators: {
      enabled: true,
      // The operator's client asks for no resource: it gets the API's.
      defaultResource: (ctx, client, oneOf) => oneOf ?? (client.clientId === OPERATOR ? RESOURCE : undefined),
      getResourceServerInfo: (ctx, indicator) => {
        if (indicator !== RESOURCE) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
        return {
          scope: 'jalin', audience: AUDIENCE, accessTokenTTL: 15 * 60, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  async findAccount(ctx, sub) {
    const account = ACCOUNTS[sub];
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, name: account.name }) };
  },
  async extraTokenClaims(ctx, token) {
    const claims = token.accountId ? ACCOUNTS[token.accountId] : token.clientId === OPERATOR && OPERATOR_CLAIMS;
    return claims ? { ...claims } : undefined;
  },
  ttl: {
    AccessToken: 15 * 60, AuthorizationCode: 60, ClientCredentials: 15 * 60, IdToken: 15 * 60,
    Interaction: 10 * 60, Session: 60 * 60, Grant: 60 * 60,
  },
});

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html lang="id"><head><meta charset="utf-8"><title>Masuk</title></head><body>${body}</body></html>`);
}

function loginForm(res, uid, problem) {
  page(res, problem ? 401 : 200, `<h1>Masuk ke penyedia identitas</h1>${problem ? `<p role="alert">${escape(problem)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Nama pengguna <input name="username" autocomplete="username" required></label>
<button type="submit">Masuk</button></form>`);
}

async function formBody(req) {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(text);
}

// The console is the platform's own application: consent is implied, given here at once.
async function consent(req, res, details) {
  const { prompt, params, session, grantId } = details;
  const grant = grantId ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const saved = await grant.save();
  await provider.interactionFinished(req, res, { consent: grantId ? {} : { grantId: saved } },
    { mergeWithLastSubmission: true });
}

async function interaction(req, res) {
  const url = new URL(req.url, ISSUER);
  const [, , uid, action] = url.pathname.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return page(res, 400, '<p>Interaksi tidak dikenal.</p>');
  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'login') return loginForm(res, uid);
    if (details.prompt.name === 'consent') return consent(req, res, details);
  }
  if (req.method === 'POST' && action === 'login' && details.prompt.name === 'login') {
    const username = (await formBody(req)).get('username') ?? '';
    if (!Object.hasOwn(ACCOUNTS, username)) return loginForm(res, uid, 'Nama pengguna tidak dikenal.');
    return provider.interactionFinished(req, res, { login: { accountId: username } },
      { mergeWithLastSubmission: false });
  }
  return page(res, 404, '<p>Tidak ditemukan.</p>');
}

const oidc = provider.callback();
const server = http.createServer((req, res) => {
  if (!req.url.startsWith('/interaction/')) return oidc(req, res);
  return interaction(req, res).catch((err) => {
    console.error('interaction failed:', err);
    if (!res.headersSent) page(res, err instanceof errors.SessionNotFound ? 400 : 500, `<p>${escape(err.message)}</p>`);
  });
});
server.listen(PORT, '127.0.0.1', () => console.log(`oidc-provider ${ISSUER}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
