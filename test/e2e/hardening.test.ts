import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECRETS, startTestCluster } from '../fixtures/cluster.js';
import { freePort, runKubegate, startKubegate, type RunningProxy } from '../fixtures/processes.js';

// kubegate issue 13, item 6: what a local attacker or a broken file on disk could do to a running kubegate.

const isolated = (dir: string): Record<string, string | undefined> => ({ HOME: dir, KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined });

async function get(proxy: RunningProxy, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${proxy.url}${path}`, { signal: AbortSignal.timeout(15_000) });
  return { status: response.status, body: await response.text() };
}

/** Whether anything accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

t.test('SIGUSR1 opens no inspector: nothing listens on 127.0.0.1:9229 and kubegate still serves', async (t) => {
  const cluster = await startTestCluster(t);
  const busyBefore = await accepts(9229);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0'], { env: isolated(cluster.dir) });
  proxy.child.kill('SIGUSR1');
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.equal(proxy.child.exitCode, null, 'the signal does not stop kubegate either');
  t.notMatch(proxy.stderr(), /Debugger listening/);
  if (busyBefore) {
    t.comment('something else already listens on 9229: only the stderr check applies');
  } else {
    t.notOk(await accepts(9229), 'no TCP listener on 127.0.0.1:9229');
    const list = await fetch('http://127.0.0.1:9229/json/list', { signal: AbortSignal.timeout(2000) }).then(
      (answer) => `answered ${answer.status}`,
      () => 'refused',
    );
    t.equal(list, 'refused', 'GET /json/list finds no inspector');
  }
  t.equal((await get(proxy, '/api/v1/namespaces/default/pods')).status, 200);
});

t.test('-v=9 never logs the values of a Secret created and read through kubegate, whatever the key names', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', '-v=9'], { env: isolated(cluster.dir) });
  const plain = { 'tls.key': 'hardening-tls-key-material-1', 'api-key': 'hardening-api-key-2', aws_secret_access_key: 'hardening-aws-secret-3', x: 'hardening-x-4' };
  const data = Object.fromEntries(Object.entries(plain).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hardening', namespace: 'default' }, data, stringData: { note: 'hardening-string-data-5' } };
  const created = await fetch(`${proxy.url}/api/v1/namespaces/default/secrets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(secret) });
  const createdBody = await created.text();
  t.equal(created.status, 201, createdBody.slice(0, 200));
  t.equal((await get(proxy, '/api/v1/namespaces/default/secrets/hardening')).status, 200);
  t.equal((await get(proxy, '/api/v1/namespaces/default/secrets')).status, 200);
  const yaml = await fetch(`${proxy.url}/api/v1/namespaces/default/secrets/hardening`, { headers: { accept: 'application/yaml' } });
  await yaml.text();
  const stderr = proxy.stderr();
  t.match(stderr, /Response body/, 'bodies are logged at -v=9');
  const values = [...Object.values(plain), ...Object.values(data), 'hardening-string-data-5'];
  t.same(values.filter((value) => stderr.includes(value)), [], 'no value, base64 or decoded');
});

t.test('a client certificate file overwritten with garbage: requests keep succeeding with the loaded one', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0'], { env: isolated(cluster.dir) });
  t.equal((await get(proxy, '/api/v1/namespaces/default/pods')).status, 200);
  writeFileSync(cluster.admin.certFile, 'garbage where the certificate was');
  await new Promise((resolve) => setTimeout(resolve, 300));
  // New connections too: Connection: close makes the next request dial again with the kept pair.
  for (let i = 0; i < 3; i++) {
    const answer = await fetch(`${proxy.url}/api/v1/namespaces/default/pods`, { headers: { connection: 'close' } });
    await answer.text();
    t.equal(answer.status, 200, `request ${i} after the file broke`);
  }
  t.equal(cluster.api.requests.last()?.user?.name, 'alice-admin', 'the API server still sees the certificate user');
  const warnings = proxy.stderr().split('\n').filter((line) => line.includes('is not usable'));
  t.equal(warnings.length, 1, 'said once for the change');
  t.match(warnings[0], `client certificate file ${cluster.admin.certFile} is not usable`);
});

/** Puts a FIFO where the token file is (issue 13: a synchronous read of it hung every request and /healthz). */
function replaceWithFifo(path: string): void {
  rmSync(path);
  const made = spawnSync('mkfifo', [path]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr.toString()}`);
}

t.test('a tokenFile replaced by a FIFO blocks nothing: a clear Status, /healthz answers, and restoring the file works again', async (t) => {
  const cluster = await startTestCluster(t);
  const adminPort = await freePort();
  const path = cluster.clientTokenFile;
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token-file'), '--port=0', `--admin-address=127.0.0.1:${adminPort}`], { env: isolated(cluster.dir) });
  // Replaced before the first request: no good token was ever read.
  replaceWithFifo(path);
  const failed = await get(proxy, '/api/v1/namespaces/default/pods');
  t.equal(failed.status, 500);
  t.match(JSON.parse(failed.body) as unknown, { kind: 'Status', message: new RegExp(`token file ${path}.*not a regular file \\(a FIFO\\)`) });
  t.notMatch(failed.body, SECRETS.userToken);
  const health = await fetch(`http://127.0.0.1:${adminPort}/healthz`, { signal: AbortSignal.timeout(5000) });
  t.equal(health.status, 200, '/healthz still answers');
  t.equal((await get(proxy, '/api/v1/namespaces/default/pods')).status, 500, 'the next request looks again (and fails again)');
  rmSync(path);
  writeFileSync(path, `${SECRETS.userToken}\n`);
  t.equal((await get(proxy, '/api/v1/namespaces/default/pods')).status, 200, 'the file is back: requests work');
  // With a good token loaded, a FIFO again keeps the last good token (client-go's rule for a failed re-read).
  replaceWithFifo(path);
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.equal((await get(proxy, '/api/v1/namespaces/default/pods')).status, 200, 'the last good token is kept');
  t.equal(cluster.api.requests.last()?.user?.name, 'alice');
  t.equal((await fetch(`http://127.0.0.1:${adminPort}/healthz`, { signal: AbortSignal.timeout(5000) })).status, 200);
});

t.test('unix socket: a second kubegate on a live socket is refused; the first keeps serving; stopping it removes the file', async (t) => {
  const dir = t.testdir({});
  const socketDir = mkdtempSync(join(tmpdir(), 'kg-'));
  t.teardown(() => rmSync(socketDir, { recursive: true, force: true }));
  const socketPath = join(socketDir, 'kubegate.sock');
  const server = ['-s', 'http://127.0.0.1:1'];
  const first = await startKubegate(t, [...server, '-u', socketPath], { env: isolated(dir) });
  const second = runKubegate([...server, '-u', socketPath], { env: isolated(dir) });
  t.equal(second.status, 1);
  t.equal(second.stderr, `error: listen unix ${socketPath}: bind: address already in use (another process is serving on unix socket ${socketPath}; stop it or pick another --unix-socket)\n`);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ socketPath, path: '/api', headers: { host: 'localhost' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(status, 502, 'the first still serves (port 1 refuses: 502 Status)');
  t.equal(await first.stop('SIGTERM'), 0);
  t.notOk(existsSync(socketPath), 'stopping the first removes the socket file');
  // A SIGKILLed kubegate leaves a stale socket: the next start replaces it.
  const killed = await startKubegate(t, [...server, '-u', socketPath], { env: isolated(dir) });
  await killed.stop('SIGKILL');
  t.ok(lstatSync(socketPath).isSocket(), 'a stale socket is left');
  const replaced = await startKubegate(t, [...server, '-u', socketPath], { env: isolated(dir) });
  t.equal(await replaced.stop('SIGTERM'), 0);
  t.notOk(existsSync(socketPath));
});

t.test('a server URL with user:password@ shows the password in no output', async (t) => {
  const cluster = await startTestCluster(t);
  const server = `https://user:${SECRETS.serverUrlPassword}@127.0.0.1:${cluster.api.port}`;
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert', { server }), '--port=0', '--ready-json', '-v=9'], {
    env: { ...isolated(cluster.dir), HTTPS_PROXY: 'http://proxy.invalid:3128' },
  });
  const answer = await get(proxy, '/api/v1/namespaces/default/pods');
  const missing = await get(proxy, '/api/v1/namespaces/default/pods/nope');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const ready = JSON.parse(proxy.stdout().split('\n')[1] ?? '{}') as { server?: string };
  t.equal(ready.server, `https://user:xxxxx@127.0.0.1:${cluster.api.port}`);
  t.match(proxy.stderr(), /HTTPS_PROXY is set, but connecting to the API server at https:\/\/user:xxxxx@127\.0\.0\.1:\d+ directly/);
  for (const [name, text] of [['stdout', proxy.stdout()], ['stderr', proxy.stderr()], ['response', answer.body + missing.body]] as const) {
    t.notMatch(text, SECRETS.serverUrlPassword, `no password in ${name}`);
  }
});
