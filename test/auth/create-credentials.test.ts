import t from 'tap';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCredentials } from '../../src/auth/create-credentials.js';
import type { AuthConfig } from '../../src/kubeconfig/rest-config.js';
import { b64, restConfig } from '../fixtures/kubeconfig/env.js';
import { writeTestPlugin } from '../fixtures/exec-plugins.js';

const HTTPS = 'https://127.0.0.1:6443';
// Files are statted on every read here: these tests are about rotation itself (material.test.ts covers the interval).
const options = { execTimeoutMs: 5000, stdinIsTerminal: false, env: process.env, fileChecks: { recheckMs: 0 } };

function tempFile(t: { teardown(fn: () => void): void }, name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-creds-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

const authorizationFor = async (auth: AuthConfig, server = HTTPS): Promise<string | undefined> =>
  createCredentials(restConfig(server, auth), options).authorization();

t.test('each credential kind becomes its Authorization header', async (t) => {
  t.equal(await authorizationFor({ kind: 'none' }), undefined);
  t.equal(await authorizationFor({ kind: 'token', token: 'abc' }), 'Bearer abc');
  t.equal(await authorizationFor({ kind: 'basic', username: 'bob', password: 'pw:x' }), `Basic ${b64('bob:pw:x')}`);
  const idToken = `e30.${Buffer.from(JSON.stringify({ exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url')}.sig`;
  t.equal(await authorizationFor({ kind: 'oidc', idToken, config: { 'id-token': idToken } }), `Bearer ${idToken}`);
  t.equal(await authorizationFor({ kind: 'token-file', path: tempFile(t, 'token', 'from-file\n') }), 'Bearer from-file');
  const plugin = writeTestPlugin(t, { tokens: ['from-plugin'] });
  t.equal(await authorizationFor({ kind: 'exec', exec: plugin.config() }), 'Bearer from-plugin');
});

t.test('nothing secret is loaded for an http:// server (client-go rule)', async (t) => {
  t.equal(await authorizationFor({ kind: 'token', token: 'abc' }, 'http://127.0.0.1:8080'), undefined);
  const plugin = writeTestPlugin(t, { tokens: ['x'] });
  t.equal(await authorizationFor({ kind: 'exec', exec: plugin.config() }, 'http://127.0.0.1:8080'), undefined);
  t.equal(plugin.runs(), 0, 'the plugin is not even run');
});

t.test('a token file is re-read after it rotates; the hot path is synchronous', async (t) => {
  const path = tempFile(t, 'token', 'one');
  const credentials = createCredentials(restConfig(HTTPS, { kind: 'token-file', path }), options);
  t.equal(await credentials.authorization(), 'Bearer one');
  writeFileSync(`${path}.new`, 'two');
  renameSync(`${path}.new`, path);
  t.equal(await credentials.authorization(), 'Bearer two');
});

t.test('exec: first call is async, then cached synchronously; invalidate re-runs', async (t) => {
  const plugin = writeTestPlugin(t, { tokens: ['p1', 'p2'] });
  const credentials = createCredentials(restConfig(HTTPS, { kind: 'exec', exec: plugin.config() }), options);
  const first = credentials.authorization();
  t.type(first, Promise);
  t.equal(await first, 'Bearer p1');
  t.equal(credentials.authorization(), 'Bearer p1');
  credentials.invalidate();
  t.equal(await credentials.authorization(), 'Bearer p2');
});

t.test('exec: a client certificate from the plugin is used for TLS', async (t) => {
  const plugin = writeTestPlugin(t, { clientCertificate: { cert: 'PLUGIN CERT', key: 'PLUGIN KEY' } });
  const credentials = createCredentials(restConfig(HTTPS, { kind: 'exec', exec: plugin.config() }), options);
  t.equal(await credentials.authorization(), undefined, 'no bearer token');
  t.equal(credentials.clientCertificate()?.cert.toString(), 'PLUGIN CERT');
});

t.test('a 401 to the client certificate: a plugin\'s is dropped and the plugin runs again; certificate files are kept', async (t) => {
  const plugin = writeTestPlugin(t, { clientCertificates: [{ cert: 'OLD CERT', key: 'OLD KEY' }, { cert: 'NEW CERT', key: 'NEW KEY' }] });
  const fromPlugin = createCredentials(restConfig(HTTPS, { kind: 'exec', exec: plugin.config() }), options);
  await fromPlugin.authorization();
  t.equal(fromPlugin.clientCertificate()?.cert.toString(), 'OLD CERT');
  t.equal(fromPlugin.certificateRejected(), true);
  await fromPlugin.authorization();
  t.equal(plugin.runs(), 2);
  t.equal(fromPlugin.clientCertificate()?.cert.toString(), 'NEW CERT');

  const cert = tempFile(t, 'c.crt', 'CERT');
  const key = tempFile(t, 'c.key', 'KEY');
  const fromFiles = createCredentials(restConfig(HTTPS, { kind: 'none' }, { clientCertificate: { cert: { kind: 'file', path: cert }, key: { kind: 'file', path: key } } }), options);
  const first = fromFiles.clientCertificate();
  t.equal(fromFiles.certificateRejected(), false, 'nothing of a plugin\'s to drop');
  t.equal(fromFiles.clientCertificate(), first, 'the same object: the pool and its connections are kept');
});

t.test('client certificate and CA come from their sources, the same object while unchanged', async (t) => {
  const cert = tempFile(t, 'c.crt', 'CERT');
  const key = tempFile(t, 'c.key', 'KEY');
  const credentials = createCredentials(
    restConfig(HTTPS, { kind: 'none' }, { ca: { kind: 'data', data: Buffer.from('CA'), origin: 'x' }, clientCertificate: { cert: { kind: 'file', path: cert }, key: { kind: 'file', path: key } } }),
    options,
  );
  const first = credentials.clientCertificate();
  t.equal(first?.cert.toString(), 'CERT');
  t.equal(credentials.clientCertificate(), first, 'unchanged files: same object, so the connector is reused');
  t.equal(credentials.certificateAuthority()?.toString(), 'CA');
  writeFileSync(`${cert}.new`, 'CERT2');
  renameSync(`${cert}.new`, cert);
  t.equal(credentials.clientCertificate()?.cert.toString(), 'CERT2');
});

t.test('exec: a start-up login only when the plugin may prompt on a terminal', async (t) => {
  const plugin = writeTestPlugin(t, { tokens: ['from-login'] });
  const withTerminal = { ...options, stdinIsTerminal: true };
  const interactive = createCredentials(restConfig(HTTPS, { kind: 'exec', exec: plugin.config({ interactiveMode: 'IfAvailable' }) }), withTerminal);
  t.type(interactive.login, 'function', 'IfAvailable with a terminal');
  await interactive.login?.();
  t.equal(plugin.runs(), 1, 'the login ran the plugin');
  t.equal(await interactive.authorization(), 'Bearer from-login', 'and its credential serves what follows');
  t.equal(plugin.runs(), 1);
  t.type(createCredentials(restConfig(HTTPS, { kind: 'exec', exec: plugin.config({ interactiveMode: 'Always' }) }), withTerminal).login, 'function', 'Always with a terminal');
  t.equal(createCredentials(restConfig(HTTPS, { kind: 'exec', exec: plugin.config({ interactiveMode: 'Never' }) }), withTerminal).login, undefined, 'Never');
  t.equal(createCredentials(restConfig(HTTPS, { kind: 'exec', exec: plugin.config({ interactiveMode: 'IfAvailable' }) }), options).login, undefined, 'no terminal');
  t.equal(createCredentials(restConfig('http://127.0.0.1:8080', { kind: 'exec', exec: plugin.config({ interactiveMode: 'Always' }) }), withTerminal).login, undefined, 'plain http: no credential at all');
  t.equal(createCredentials(restConfig(HTTPS, { kind: 'token', token: 'abc' }), withTerminal).login, undefined, 'not a plugin');
});

t.test('recheck() makes the due file checks now, so the next request finds them made', async (t) => {
  let clock = 0;
  const checks = { recheckMs: 100, now: () => clock };
  const cert = tempFile(t, 'c.crt', 'CERT');
  const key = tempFile(t, 'c.key', 'KEY');
  const ca = tempFile(t, 'ca.crt', 'CA');
  const token = tempFile(t, 'token', 'one\n');
  let rotated: () => void = () => {};
  const tokenRotated = new Promise<void>((resolve) => (rotated = resolve));
  const credentials = createCredentials(
    restConfig(HTTPS, { kind: 'token-file', path: token }, { ca: { kind: 'file', path: ca }, clientCertificate: { cert: { kind: 'file', path: cert }, key: { kind: 'file', path: key } } }),
    { ...options, fileChecks: checks, onRefresh: (_source, outcome) => outcome === 'success' && rotated() },
  );
  t.equal(await credentials.authorization(), 'Bearer one');
  t.equal(credentials.clientCertificate()?.cert.toString(), 'CERT');
  t.equal(credentials.certificateAuthority()?.toString(), 'CA');

  const replace = (path: string, text: string): void => {
    writeFileSync(`${path}.new`, text);
    renameSync(`${path}.new`, path);
  };
  replace(cert, 'CERT2');
  replace(ca, 'CA2');
  clock += 100;
  credentials.recheck();
  // Rotated again with no time passing: what recheck() saw is what a request now gets, with no stat of its own.
  replace(cert, 'CERT3');
  replace(ca, 'CA3');
  t.equal(credentials.clientCertificate()?.cert.toString(), 'CERT2', 'the certificate recheck() read');
  t.equal(credentials.certificateAuthority()?.toString(), 'CA2', 'the CA recheck() read');

  clock += 99;
  credentials.recheck();
  t.equal(credentials.clientCertificate()?.cert.toString(), 'CERT2', 'nothing is due before the interval: no extra checks');
  clock += 1;
  t.equal(credentials.clientCertificate()?.cert.toString(), 'CERT3', 'and a request still checks once it is due');

  replace(token, 'two\n');
  clock += 100;
  credentials.recheck();
  // Nothing else asks for the token until recheck()'s look has read the new one.
  await tokenRotated;
  t.equal(credentials.authorization(), 'Bearer two', 'the token recheck() read is in hand at once, no look of its own');
});

t.test('recheck() leaves alone what no connection would use: the CA with verification off, files an exec plugin overrides', async (t) => {
  const problems: string[] = [];
  const ca = tempFile(t, 'ca.crt', 'not a certificate');
  const insecure = createCredentials(restConfig(HTTPS, { kind: 'none' }, { insecureSkipTlsVerify: true, ca: { kind: 'file', path: ca } }), {
    ...options,
    onMaterialProblem: (message) => problems.push(message),
  });
  insecure.recheck();
  t.same(problems, [], 'the unused CA file is not read, so its problem is not reported');
  insecure.certificateAuthority();
  t.equal(problems.length, 1, 'while asking for it does read it (the check above can fail)');

  const plugin = writeTestPlugin(t, { tokens: ['from-plugin'] });
  const cert = tempFile(t, 'c.crt', 'garbage');
  const key = tempFile(t, 'c.key', 'garbage');
  const viaPlugin = createCredentials(restConfig(HTTPS, { kind: 'exec', exec: plugin.config() }, { clientCertificate: { cert: { kind: 'file', path: cert }, key: { kind: 'file', path: key } } }), {
    ...options,
    onMaterialProblem: (message) => problems.push(message),
  });
  viaPlugin.recheck();
  t.equal(problems.length, 1, 'with an exec plugin the certificate files are left to the request path');
  t.equal(plugin.runs(), 0, 'and the plugin is not run');
});
