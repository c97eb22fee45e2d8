import t, { type Test } from 'tap';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { seedDemoCluster } from '../../src/demo-cluster/seed.js';
import { PROXY_USER, SECRETS, startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { startKubegate, waitUntil, type RunningProxy } from '../fixtures/processes.js';
import { startConnectProxy, startSocksProxy, type RecordingProxy } from '../fixtures/proxies.js';
import { echoOnce, openSpdyTunnel } from '../fixtures/tunnels.js';
import type { Teardown } from '../fixtures/teardown.js';

// proxy-url and HTTPS_PROXY (issue 15 item 3): ordinary requests, HTTP/2 watches and upgrade tunnels
// all go through the proxy the kubeconfig or environment names, judged by what the proxy saw.

const USER = PROXY_USER;
const PASSWORD = SECRETS.proxyPassword;
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface Setup {
  readonly cluster: TestCluster;
  readonly podName: string;
  readonly env: Record<string, string | undefined>;
}

async function cluster(t: Teardown): Promise<Setup> {
  const started = await startTestCluster(t);
  const { podName } = seedDemoCluster(started.api.store);
  return { cluster: started, podName, env: { HOME: started.dir, KUBECONFIG: undefined, HTTPS_PROXY: undefined, https_proxy: undefined, NO_PROXY: undefined, no_proxy: undefined } };
}

async function startWithProxyUrl(t: Teardown, s: Setup, proxyUrl: string, name: string): Promise<RunningProxy> {
  const kubeconfig = s.cluster.kubeconfig('cert', { proxyUrl, name });
  return startKubegate(t, ['--kubeconfig', kubeconfig, '--port=0', '--reject-paths=^$', '-v=9'], { env: s.env });
}

/** An ordinary GET, a watch (HTTP/2 when the server speaks it) and a port-forward tunnel; returns every response text. */
async function exercise(t: Test, s: Setup, proxy: RunningProxy): Promise<string> {
  const list = await fetch(`${proxy.url}/api/v1/namespaces/default/pods`);
  const listBody = await list.text();
  t.equal(list.status, 200, 'an ordinary GET went through');

  const watching = new AbortController();
  const watch = await fetch(`${proxy.url}/api/v1/namespaces/default/pods?watch=true`, { signal: watching.signal });
  t.equal(watch.status, 200, 'a watch went through');
  await waitUntil(() => s.cluster.api.requests.all.some((r) => r.query.includes('watch=true')), 'the watch to reach the API server');
  const upstreamWatch = s.cluster.api.requests.all.find((r) => r.query.includes('watch=true'));
  t.equal(upstreamWatch?.alpnProtocol, 'h2', 'the watch rode the HTTP/2 path');
  watching.abort();

  const tunnel = await openSpdyTunnel(proxy.port, `/api/v1/namespaces/default/pods/${s.podName}/portforward`);
  t.equal(tunnel.status, 101, 'the port-forward tunnel switched protocols');
  const hello = Buffer.from('through the proxy');
  t.same(await echoOnce(tunnel, hello), hello, 'bytes flow through the tunnel');
  tunnel.socket.destroy();
  return listBody + tunnel.head;
}

/** What follows the head on a socket kubegate answers and closes. */
async function restOf(socket: Socket, first: Buffer): Promise<string> {
  const chunks = [first];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  if (!socket.destroyed) await Promise.race([once(socket, 'close'), new Promise((resolve) => setTimeout(resolve, 5_000))]);
  return Buffer.concat(chunks).toString();
}

function assertAllThroughProxy(t: Test, s: Setup, recording: RecordingProxy, credentials: string): void {
  const target = `127.0.0.1:${s.cluster.api.port}`;
  t.ok(recording.records.length >= 3, `one tunnel each for the pool, the HTTP/2 session and the port-forward (${recording.records.length})`);
  t.same(new Set(recording.records.map((record) => record.target)), new Set([target]), 'every tunnel went to the API server');
  t.same(new Set(recording.records.map((record) => record.credentials)), new Set([credentials]), 'with the credentials from the proxy URL');
}

t.test('proxy-url http://user:password@: GET, watch and tunnel all CONNECT through it; the password is never printed', async (t) => {
  const s = await cluster(t);
  const recording = await startConnectProxy(t, { require: basic(USER, PASSWORD) });
  const proxy = await startWithProxyUrl(t, s, `http://${USER}:${PASSWORD}@127.0.0.1:${recording.port}`, 'via-http');
  const answers = await exercise(t, s, proxy);
  assertAllThroughProxy(t, s, recording, basic(USER, PASSWORD));
  t.match(proxy.stderr(), `through the http proxy http://${USER}:xxxxx@127.0.0.1:${recording.port} (from the proxy-url of cluster`);
  for (const [where, text] of [['stderr', proxy.stderr()], ['stdout', proxy.stdout()], ['responses', answers]] as const) {
    t.notMatch(text, PASSWORD, `no proxy password in ${where}`);
    t.notMatch(text, basic(USER, PASSWORD).slice(6), `no Proxy-Authorization value in ${where}`);
  }
});

t.test('proxy-url socks5://user:password@: GET, watch and tunnel all go through the SOCKS5 proxy', async (t) => {
  const s = await cluster(t);
  const recording = await startSocksProxy(t, { require: `${USER}:${PASSWORD}` });
  const proxy = await startWithProxyUrl(t, s, `socks5://${USER}:${PASSWORD}@127.0.0.1:${recording.port}`, 'via-socks');
  const answers = await exercise(t, s, proxy);
  assertAllThroughProxy(t, s, recording, `${USER}:${PASSWORD}`);
  t.match(proxy.stderr(), `through the socks5 proxy socks5://${USER}:xxxxx@127.0.0.1:${recording.port}`);
  t.notMatch(proxy.stderr() + proxy.stdout() + answers, PASSWORD, 'no proxy password in logs or responses');
});

t.test('a proxy that answers 407 gives the client a Status naming the proxy, not its password', async (t) => {
  const s = await cluster(t);
  const recording = await startConnectProxy(t, { require: basic(USER, 'the-right-one') });
  const proxy = await startWithProxyUrl(t, s, `http://${USER}:${PASSWORD}@127.0.0.1:${recording.port}`, 'refused');
  const answer = await fetch(`${proxy.url}/api/v1/namespaces/default/pods`);
  const status = (await answer.json()) as { kind?: string; code?: number; message?: string };
  t.equal(answer.status, 502);
  t.equal(status.kind, 'Status');
  t.match(status.message, `through the proxy http://127.0.0.1:${recording.port} (from proxy-url): the proxy answered 407 Proxy Authentication Required`);
  const tunnel = await openSpdyTunnel(proxy.port, `/api/v1/namespaces/default/pods/${s.podName}/portforward`);
  t.equal(tunnel.status, 502, 'a tunnel gets the same answer');
  const tunnelBody = await restOf(tunnel.socket, tunnel.rest);
  t.match(tunnelBody, /the proxy answered 407/);
  t.equal(s.cluster.api.requests.all.length, 0, 'nothing reached the API server');
  t.notMatch(proxy.stderr() + JSON.stringify(status) + tunnelBody, PASSWORD);
  tunnel.socket.destroy();
});

t.test('HTTPS_PROXY is not used for a loopback API server (httpproxy\'s rule), and the start-up line says why', async (t) => {
  const s = await cluster(t);
  const recording = await startConnectProxy(t);
  const proxy = await startKubegate(t, ['--kubeconfig', s.cluster.kubeconfig('cert'), '--port=0', '-v=3'], {
    env: { ...s.env, HTTPS_PROXY: `http://127.0.0.1:${recording.port}` },
  });
  t.equal((await fetch(`${proxy.url}/api/v1/namespaces/default/pods`)).status, 200);
  t.same(recording.records, [], 'the proxy saw nothing');
  t.match(proxy.stderr(), /HTTPS_PROXY is set, but connecting to the API server at https:\/\/127\.0\.0\.1:\d+ directly: requests to localhost and loopback addresses are never proxied/);
});

t.test('HTTPS_PROXY carries a non-loopback server; NO_PROXY matching it sends it direct', async (t) => {
  const s = await cluster(t);
  // The proxy resolves the made-up name (kubegate never looks it up): here it leads to the test API server.
  const recording = await startConnectProxy(t, { redirectTo: { host: '127.0.0.1', port: s.cluster.api.port } });
  const kubeconfig = s.cluster.kubeconfig('cert', { server: `https://kube-api.proxy-test.invalid:${s.cluster.api.port}`, name: 'named' });
  const args = ['--kubeconfig', kubeconfig, '--port=0', '--tls-server-name=localhost', '-v=3'];
  const proxied = await startKubegate(t, args, { env: { ...s.env, https_proxy: `127.0.0.1:${recording.port}` } });
  const through = await fetch(`${proxied.url}/api/v1/namespaces/default/pods`);
  const body = await through.text();
  t.equal(through.status, 200, body.slice(0, 300));
  t.same(recording.records.map((record) => record.target), [`kube-api.proxy-test.invalid:${s.cluster.api.port}`], 'CONNECT named the server, not an address');
  t.match(proxied.stderr(), `through the http proxy http://127.0.0.1:${recording.port} (from https_proxy)`);

  const bypassed = await startKubegate(t, args, { env: { ...s.env, HTTPS_PROXY: `http://127.0.0.1:${recording.port}`, NO_PROXY: 'example.com,.proxy-test.invalid' } });
  t.equal((await fetch(`${bypassed.url}/api/v1/namespaces/default/pods`)).status, 502, 'direct: the made-up name does not resolve');
  t.equal(recording.records.length, 1, 'the proxy saw nothing more');
  t.match(bypassed.stderr(), /NO_PROXY entry \\?".proxy-test.invalid\\?" matches kube-api.proxy-test.invalid/);
});
