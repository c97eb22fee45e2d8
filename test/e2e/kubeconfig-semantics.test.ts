import t from 'tap';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createPki } from '../../src/demo-cluster/pki.js';
import { RequestLog } from '../../src/demo-cluster/request-log.js';
import { SECRETS, startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { scenarioFile } from '../fixtures/kubeconfig/env.js';
import { KUBEGATE_BIN, requireKubectl, runCommand, startKubegate, throwOnCredentials } from '../fixtures/processes.js';
import type { Teardown } from '../fixtures/teardown.js';

// kubectl's kubeconfig semantics, judged by the exit code and what the test API server received.

const env = (dir: string): Record<string, string | undefined> => ({ HOME: dir, KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined });

async function exitOf(command: string, args: readonly string[], dir: string): Promise<{ status: number | null; stderr: string }> {
  const result = await runCommand(command, args, { env: env(dir), timeoutMs: 10_000 });
  return { status: result.status, stderr: result.stderr };
}
const kubegate = async (args: readonly string[], dir: string): Promise<{ status: number | null; stderr: string }> => {
  const result = await exitOf(process.execPath, [KUBEGATE_BIN, ...args], dir);
  throwOnCredentials(`kubegate ${args.join(' ')}`, result.stderr);
  return result;
};

t.test('a name defined twice in one file: kubegate and kubectl proxy both refuse to start; kubegate never prints the tokens', async (t) => {
  const file = await scenarioFile(t, 'dupe-user.yaml');
  const ours = await kubegate(['--kubeconfig', file, '--port=0'], join(file, '..'));
  t.equal(ours.status, 1);
  t.match(ours.stderr, `error loading config file "${file}": duplicate name "u" in users (users[0] and users[1])`);
  t.notMatch(ours.stderr, /secret-token/);
  const theirs = await exitOf(requireKubectl(), ['proxy', '--kubeconfig', file, '--port=0'], join(file, '..'));
  t.equal(theirs.status, 1);
  t.match(theirs.stderr, /duplicate name "u" in list/);
});

t.test('a certificate given both as a file and inline: both refuse to start with the same sentence', async (t) => {
  const file = await scenarioFile(t, 'file-and-data.yaml');
  const ours = await kubegate(['--kubeconfig', file, '--port=0'], join(file, '..'));
  const theirs = await exitOf(requireKubectl(), ['proxy', '--kubeconfig', file, '--port=0'], join(file, '..'));
  t.equal(ours.status, 1);
  t.equal(theirs.status, 1);
  for (const sentence of ['client-cert-data and client-cert are both specified for u. client-cert-data will override.', 'certificate-authority-data and certificate-authority are both specified for c.']) {
    t.match(ours.stderr, sentence);
    t.match(theirs.stderr, sentence);
  }
});

t.test('a cluster written as !!omap: both refuse the file, naming the cluster (a list where a map belongs)', async (t) => {
  const file = await scenarioFile(t, 'omap-cluster.yaml');
  const ours = await kubegate(['--kubeconfig', file, '--port=0'], join(file, '..'));
  const theirs = await exitOf(requireKubectl(), ['proxy', '--kubeconfig', file, '--port=0'], join(file, '..'));
  t.equal(theirs.status, 1);
  t.match(theirs.stderr, /cannot unmarshal array into Go struct field NamedCluster\.clusters\.cluster/);
  t.equal(ours.status, 1);
  t.match(ours.stderr, `error loading config file "${file}": clusters[0].cluster: expected a map, got a list`);
});

t.test('YAML 1.1 booleans and CRLF line breaks: the API server gets the exact token', async (t) => {
  const cluster = await startTestCluster(t);
  const text = readFileSync(cluster.kubeconfig('token'), 'utf8')
    .replace(/\n\s+certificate-authority: .*/, '\n      insecure-skip-tls-verify: yes')
    .replaceAll('\n', '\r\n')
    .replace(/\r\n$/, '\r');
  const file = join(cluster.dir, 'crlf-yes.yaml');
  writeFileSync(file, text);
  const proxy = await startKubegate(t, ['--kubeconfig', file, '--port=0'], { env: env(cluster.dir) });
  t.equal((await fetch(`${proxy.url}/api/v1/namespaces/default/pods`)).status, 200);
  t.equal(RequestLog.header(cluster.api.requests.last()!, 'authorization'), `Bearer ${SECRETS.userToken}`);
});

const jwt = (claims: Record<string, unknown>): string =>
  `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJl`;

interface Issuer {
  readonly url: string;
  readonly caFile: string;
  readonly minted: string[];
}

/** An HTTPS OIDC issuer: discovery and a refresh_token grant that mints JWTs the test API server accepts. */
async function startIssuer(t: Teardown, cluster: TestCluster): Promise<Issuer> {
  const pki = await createPki();
  const caFile = join(cluster.dir, 'issuer-ca.crt');
  writeFileSync(caFile, pki.ca.certPem);
  const minted: string[] = [];
  const server: Server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      if (req.url === '/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json').end(JSON.stringify({ issuer: base, token_endpoint: `${base}/token` }));
        return;
      }
      const form = new URLSearchParams(body);
      const ok = req.url === '/token' && form.get('grant_type') === 'refresh_token' && form.get('client_id') === 'kubegate-cli' && form.get('client_secret') === SECRETS.oidcClientSecret && form.get('refresh_token') === SECRETS.oidcRefreshToken;
      if (!ok) {
        res.statusCode = 400;
        res.setHeader('content-type', 'application/json').end('{"error":"invalid_grant"}');
        return;
      }
      const idToken = jwt({ iss: base, sub: 'oidc-dana', exp: Math.floor(Date.now() / 1000) + 3600, n: minted.length });
      minted.push(idToken);
      appendFileSync(cluster.serverTokenFile, `\n${idToken},dana,uid-dana,"system:masters"`);
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ access_token: 'at', token_type: 'Bearer', id_token: idToken, refresh_token: SECRETS.oidcRotatedRefreshToken }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caFile, minted };
}

t.test('auth-provider oidc: an expired id-token is refreshed, sent, and written back to the kubeconfig file', async (t) => {
  const cluster = await startTestCluster(t);
  const issuer = await startIssuer(t, cluster);
  const expired = jwt({ sub: 'oidc-dana', exp: Math.floor(Date.now() / 1000) - 60 });
  const file = join(cluster.dir, 'oidc.yaml');
  const original = `# kept: a comment the refresh must not lose
apiVersion: v1
kind: Config
current-context: test
clusters:
- name: test
  cluster: {server: "${cluster.api.url}", certificate-authority: "${cluster.caFile}"}
contexts:
- name: test
  context: {cluster: test, user: dana}
users:
- name: dana
  user:
    auth-provider:
      name: oidc
      config:
        idp-issuer-url: ${issuer.url}
        client-id: kubegate-cli
        client-secret: ${SECRETS.oidcClientSecret}
        idp-certificate-authority: ${issuer.caFile}
        id-token: ${expired}
        refresh-token: ${SECRETS.oidcRefreshToken}   # rotated by the issuer
`;
  writeFileSync(file, original);
  const proxy = await startKubegate(t, ['--kubeconfig', file, '--port=0'], { env: env(cluster.dir) });
  const answers = await Promise.all([1, 2, 3].map(() => fetch(`${proxy.url}/api/v1/namespaces/default/pods`).then((r) => r.status)));
  t.same(answers, [200, 200, 200]);
  t.equal(issuer.minted.length, 1, 'one refresh for concurrent requests');
  const seen = cluster.api.requests.last();
  t.equal(RequestLog.header(seen!, 'authorization'), `Bearer ${issuer.minted[0]}`);
  t.equal(seen?.user?.name, 'dana');
  t.equal(readFileSync(file, 'utf8'), original.replace(expired, issuer.minted[0] ?? '').replace(`${SECRETS.oidcRefreshToken}   #`, `${SECRETS.oidcRotatedRefreshToken}   #`), 'only the two values changed');
  t.notMatch(proxy.stderr(), new RegExp(`${SECRETS.oidcClientSecret}|${SECRETS.oidcRefreshToken}|${SECRETS.oidcRotatedRefreshToken}|eyJ`), 'no secret in the log');
});

t.test('auth-provider oidc with an expired id-token and no refresh-token: a start-up warning, and requests fail as with kubectl', async (t) => {
  const cluster = await startTestCluster(t);
  const expired = jwt({ sub: 'x', exp: Math.floor(Date.now() / 1000) - 60 });
  const file = cluster.kubeconfig('none', { name: 'oidc-stale' });
  writeFileSync(file, readFileSync(file, 'utf8').replace('username: ""', `auth-provider: {name: oidc, config: {idp-issuer-url: "https://issuer.example", client-id: k, id-token: "${expired}"}}`));
  const proxy = await startKubegate(t, ['--kubeconfig', file, '--port=0'], { env: env(cluster.dir) });
  t.match(proxy.stderr(), /No valid id-token, and cannot refresh without refresh-token/);
  const before = cluster.api.requests.received;
  const answer = await fetch(`${proxy.url}/api/v1/namespaces/default/pods`);
  t.not(answer.status, 200);
  t.match(await answer.text(), /No valid id-token, and cannot refresh without refresh-token/);
  t.equal(cluster.api.requests.received, before, 'nothing reached the API server');
});
