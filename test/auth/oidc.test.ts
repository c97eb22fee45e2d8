import t from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOidcCredentialSource, idTokenState, OIDC_EXPIRY_DELTA_MS } from '../../src/auth/oidc.js';
import type { OidcAuthConfig } from '../../src/kubeconfig/rest-config.js';
import type { Teardown } from '../fixtures/teardown.js';

const NOW = Date.UTC(2030, 0, 1);
const jwt = (claims: Record<string, unknown>): string => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
const expiring = (msFromNow: number): string => jwt({ exp: (NOW + msFromNow) / 1000 });

interface Issuer {
  readonly url: string;
  readonly tokenRequests: URLSearchParams[];
}

/** A plain-HTTP issuer: discovery plus a token endpoint answering `answer(form)`. */
async function startIssuer(t: Teardown, answer: (form: URLSearchParams) => { status: number; body: unknown } | 'hang'): Promise<Issuer> {
  const tokenRequests: URLSearchParams[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      if (req.url === '/idp/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json').end(JSON.stringify({ issuer: `${base}/idp`, token_endpoint: `${base}/idp/token` }));
        return;
      }
      if (req.url === '/idp/token' && req.method === 'POST') {
        const form = new URLSearchParams(text);
        tokenRequests.push(form);
        const reply = answer(form);
        if (reply === 'hang') return;
        res.statusCode = reply.status;
        res.setHeader('content-type', 'application/json').end(JSON.stringify(reply.body));
        return;
      }
      res.statusCode = 404;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/idp`, tokenRequests };
}

function oidcAuth(config: Record<string, string>): OidcAuthConfig {
  return { kind: 'oidc', idToken: config['id-token'] ?? '', config: { 'client-id': 'kubegate', ...config }, user: 'alice' };
}

t.test('an id-token is valid until 10s before its exp; not a JWT is its own state', async (t) => {
  t.equal(idTokenState(expiring(OIDC_EXPIRY_DELTA_MS + 1000), NOW), 'valid');
  t.equal(idTokenState(expiring(OIDC_EXPIRY_DELTA_MS), NOW), 'expired', 'inside the 10s skew: expired (client-go expiryDelta)');
  t.equal(idTokenState(expiring(-1000), NOW), 'expired');
  t.equal(idTokenState(jwt({ sub: 'no-exp' }), NOW), 'expired', 'no exp is the zero time');
  t.equal(idTokenState('opaque-token', NOW), 'not-jwt');
  t.equal(idTokenState('a.!!!.c', NOW), 'not-jwt');
});

t.test('a valid id-token is served without asking the issuer', async (t) => {
  const token = expiring(3_600_000);
  const source = createOidcCredentialSource(oidcAuth({ 'id-token': token, 'idp-issuer-url': 'http://127.0.0.1:9/unreachable' }), { timeoutMs: 1000, now: () => NOW });
  t.equal(source.cached(), token);
  t.equal(await source.get(), token);
});

t.test('an expired id-token is refreshed once for concurrent callers, and the new values are persisted', async (t) => {
  const fresh = expiring(3_600_000);
  const issuer = await startIssuer(t, () => ({ status: 200, body: { access_token: 'unused', token_type: 'Bearer', id_token: fresh, refresh_token: 'rotated-refresh' } }));
  const persisted: Record<string, string>[] = [];
  const source = createOidcCredentialSource(
    oidcAuth({ 'id-token': expiring(-1000), 'refresh-token': 'old-refresh', 'client-secret': 'shh', 'idp-issuer-url': issuer.url }),
    { timeoutMs: 5000, now: () => NOW, persist: async (updates) => void persisted.push({ ...updates }) },
  );
  t.equal(source.cached(), undefined, 'an expired token is never served');
  const tokens = await Promise.all([source.get(), source.get(), source.get()]);
  t.same(tokens, [fresh, fresh, fresh]);
  t.equal(issuer.tokenRequests.length, 1, 'single-flight: one token request');
  t.same(Object.fromEntries(issuer.tokenRequests[0] ?? []), { grant_type: 'refresh_token', refresh_token: 'old-refresh', client_id: 'kubegate', client_secret: 'shh' });
  t.same(persisted, [{ 'id-token': fresh, 'refresh-token': 'rotated-refresh' }]);
  t.equal(source.cached(), fresh);
});

t.test('the rotated refresh-token is used next time; an unchanged one is not written back', async (t) => {
  let clock = NOW;
  let round = 0;
  const issuer = await startIssuer(t, () => {
    round += 1;
    return { status: 200, body: { id_token: expiring(round * 60_000 + 60_000), refresh_token: round === 1 ? 'second-refresh' : 'second-refresh' } };
  });
  const persisted: Record<string, string>[] = [];
  const source = createOidcCredentialSource(oidcAuth({ 'refresh-token': 'first-refresh', 'idp-issuer-url': issuer.url }), {
    timeoutMs: 5000,
    now: () => clock,
    persist: async (updates) => void persisted.push({ ...updates }),
  });
  await source.get();
  clock += 3 * 60_000;
  await source.get();
  t.same(issuer.tokenRequests.map((form) => form.get('refresh_token')), ['first-refresh', 'second-refresh']);
  t.same(persisted.map((updates) => Object.keys(updates)), [['id-token', 'refresh-token'], ['id-token']]);
});

t.test('failures name the issuer and never a token', async (t) => {
  const none = createOidcCredentialSource(oidcAuth({ 'id-token': expiring(-1000), 'idp-issuer-url': 'https://issuer.example' }), { timeoutMs: 1000, now: () => NOW });
  await t.rejects(none.get(), {
    code: 'KG_ERR_CREDENTIAL',
    message: 'the oidc auth-provider of user "alice" (issuer https://issuer.example): No valid id-token, and cannot refresh without refresh-token',
  });
  const opaque = createOidcCredentialSource(oidcAuth({ 'id-token': 'opaque', 'refresh-token': 'r', 'idp-issuer-url': 'https://issuer.example' }), { timeoutMs: 1000, now: () => NOW });
  await t.rejects(opaque.get(), { message: /: ID Token is not a valid JWT$/ });

  const refused = await startIssuer(t, () => ({ status: 400, body: { error: 'invalid_grant', error_description: 'refresh token super-secret-refresh revoked' } }));
  const source = createOidcCredentialSource(oidcAuth({ 'refresh-token': 'super-secret-refresh', 'idp-issuer-url': refused.url }), { timeoutMs: 5000, now: () => NOW });
  const error = await source.get().then(() => undefined, (e: unknown) => e as Error);
  t.equal(error?.message, `the oidc auth-provider of user "alice" (issuer ${refused.url}): failed to refresh token: the token endpoint answered HTTP 400 (invalid_grant)`);

  const noIdToken = await startIssuer(t, () => ({ status: 200, body: { access_token: 'a', token_type: 'Bearer' } }));
  await t.rejects(createOidcCredentialSource(oidcAuth({ 'refresh-token': 'r', 'idp-issuer-url': noIdToken.url }), { timeoutMs: 5000, now: () => NOW }).get(), {
    message: /token response did not contain an id_token/,
  });
  await t.rejects(createOidcCredentialSource(oidcAuth({ 'refresh-token': 'r', 'idp-issuer-url': `${noIdToken.url}/nothing-here` }), { timeoutMs: 5000, now: () => NOW }).get(), {
    message: /oidc: failed to query metadata endpoint: HTTP 404$/,
  });
});

t.test('a refresh that does not finish in time fails, and the next call tries again', async (t) => {
  let hang = true;
  const issuer = await startIssuer(t, () => (hang ? 'hang' : { status: 200, body: { id_token: expiring(3_600_000) } }));
  const source = createOidcCredentialSource(oidcAuth({ 'refresh-token': 'r', 'idp-issuer-url': issuer.url }), { timeoutMs: 300, now: () => NOW });
  await t.rejects(source.get(), { code: 'KG_ERR_CREDENTIAL', message: /failed to refresh token: did not answer within 0.3s$/ });
  hang = false;
  t.equal(await source.get(), expiring(3_600_000));
});

t.test('a failed write-back fails the refresh, as in client-go', async (t) => {
  const issuer = await startIssuer(t, () => ({ status: 200, body: { id_token: expiring(3_600_000) } }));
  const source = createOidcCredentialSource(oidcAuth({ 'refresh-token': 'r', 'idp-issuer-url': issuer.url }), {
    timeoutMs: 5000,
    now: () => NOW,
    persist: async () => {
      throw new Error('disk full');
    },
  });
  await t.rejects(source.get(), { message: /: could not persist new tokens: disk full$/ });
  t.equal(source.cached(), undefined);
});
