import t from 'tap';
import { startTestCluster, SECRETS, type TestCluster } from '../fixtures/cluster.js';
import { writeTestPlugin } from '../fixtures/exec-plugins.js';
import { startFaultUpstream, startRawUpstream } from '../fixtures/fault-upstream.js';
import { buildRawRequest, freePort, rawRequest, startKubectlProxy, startKubegate, type RunningProxy } from '../fixtures/processes.js';
import type { Teardown } from '../fixtures/teardown.js';

// Ordinary requests through kubegate and the real `kubectl proxy`, judged by what the API server
// received: who a request ran as when the client sends empty identity headers, a keep-alive
// connection the server closed, interim 1xx answers, and what a credential failure is counted as.

const FINAL = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';

const env = (cluster: TestCluster): Record<string, string | undefined> => ({ HOME: cluster.dir, KUBECONFIG: undefined });

async function bothProxies(t: Teardown, cluster: TestCluster, kubeconfig: string): Promise<readonly { readonly name: string; readonly proxy: RunningProxy }[]> {
  const args = ['--kubeconfig', kubeconfig, '--port=0'];
  const [kubegate, kubectl] = await Promise.all([startKubegate(t, args, { env: env(cluster) }), startKubectlProxy(t, args, { env: env(cluster) })]);
  return [
    { name: 'kubegate', proxy: kubegate },
    { name: 'kubectl proxy', proxy: kubectl },
  ];
}

/** Sends raw header lines and returns the request the API server recorded for it (found by a unique query). */
async function sendAndRecord(cluster: TestCluster, proxy: RunningProxy, probe: string, headerLines: readonly string[]) {
  const head = [`GET /api/v1/namespaces?probe=${probe} HTTP/1.1`, 'Host: localhost', 'Connection: close', ...headerLines].join('\r\n');
  const answer = await rawRequest(proxy.port, `${head}\r\n\r\n`);
  const recorded = await cluster.api.requests.waitFor((entry) => entry.query === `probe=${probe}`);
  return { answer, recorded };
}

t.test('an empty Impersonate-User does not cancel the kubeconfig `as:`, in kubegate as in kubectl proxy', async (t) => {
  const cluster = await startTestCluster(t);
  const kubeconfig = cluster.kubeconfig('cert', { name: 'as-alice', extraUser: { as: 'alice' } });
  const cases = [
    { name: 'one empty line', lines: ['Impersonate-User:'] },
    { name: 'an empty line, then bob (Header.Get reads the first)', lines: ['Impersonate-User: ', 'Impersonate-User: bob'] },
    { name: 'whitespace only', lines: ['Impersonate-User: \t '] },
  ];
  for (const { name: proxyName, proxy } of await bothProxies(t, cluster, kubeconfig)) {
    for (const [index, row] of cases.entries()) {
      const { recorded } = await sendAndRecord(cluster, proxy, `user-${proxyName.replace(/\W/g, '')}-${index}`, row.lines);
      t.equal(recorded.user?.name, 'alice', `${proxyName}, ${row.name}: the request runs as alice`);
      t.equal(recorded.impersonatedBy?.name, 'alice-admin', `${proxyName}, ${row.name}: impersonated by the kubeconfig's certificate user`);
    }
  }
});

t.test('an empty Authorization gets the kubeconfig token, in kubegate as in kubectl proxy', async (t) => {
  const cluster = await startTestCluster(t);
  const kubeconfig = cluster.kubeconfig('token');
  for (const { name, proxy } of await bothProxies(t, cluster, kubeconfig)) {
    const tag = name.replace(/\W/g, '');
    const empty = await sendAndRecord(cluster, proxy, `auth-${tag}-empty`, ['Authorization:']);
    t.equal(empty.answer.status, 200, `${name}: an empty Authorization is answered`);
    t.equal(empty.recorded.user?.name, 'alice', `${name}: as the token's user, not anonymously`);
    const twice = await sendAndRecord(cluster, proxy, `auth-${tag}-twice`, ['Authorization: ', `Authorization: Bearer ${SECRETS.flagToken}`]);
    t.equal(twice.recorded.user?.name, 'alice', `${name}: an empty first line makes the header absent; the second line does not count`);
    const own = await sendAndRecord(cluster, proxy, `auth-${tag}-own`, [`Authorization: Bearer ${SECRETS.flagToken}`]);
    t.equal(own.recorded.user?.name, 'carol', `${name}: a client's own non-empty Authorization wins`);
  }
});

t.test('identity headers a client names in Connection are dropped before the kubeconfig identity is added, as in kubectl proxy', async (t) => {
  const cluster = await startTestCluster(t);
  const kubeconfig = cluster.kubeconfig('token', { name: 'as-alice-token', extraUser: { as: 'alice' } });
  for (const { name, proxy } of await bothProxies(t, cluster, kubeconfig)) {
    const tag = name.replace(/\W/g, '');
    const user = await sendAndRecord(cluster, proxy, `conn-user-${tag}`, ['Connection: close, Impersonate-User', 'Impersonate-User: mallory']);
    t.equal(user.recorded.user?.name, 'alice', `${name}: the listed Impersonate-User is hop-by-hop; the request runs as the kubeconfig's alice`);
    const auth = await sendAndRecord(cluster, proxy, `conn-auth-${tag}`, ['Connection: close, Authorization', `Authorization: Bearer ${SECRETS.flagToken}`]);
    t.equal(auth.recorded.impersonatedBy?.name, 'alice', `${name}: the listed Authorization is hop-by-hop; the kubeconfig token is used`);
  }
});

t.test('a request with both Transfer-Encoding and Content-Length: kubegate refuses it, kubectl proxy lets chunked win', async (t) => {
  const cluster = await startTestCluster(t);
  const kubeconfig = cluster.kubeconfig('token');
  const [kubegate, kubectl] = await bothProxies(t, cluster, kubeconfig);
  const smuggled =
    'POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' +
    'GET /api/v1/namespaces/default/secrets?probe=after-smuggle HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n';
  const before = cluster.api.requests.received;
  const refused = await rawRequest(kubegate?.proxy.port ?? 0, smuggled);
  t.equal(refused.status, 400, 'kubegate: 400 Bad Request (Node\'s parser, RFC 9112 6.3)');
  t.equal(cluster.api.requests.received, before, 'kubegate: the API server received nothing, not even the second request');

  // Go deletes Content-Length and reads the body as chunked; the bytes after it are the client's next request,
  // which goes through kubectl's filter like any other. Neither proxy lets framing reach the API server: each
  // writes its own Content-Length or chunking upstream.
  cluster.api.requests.clear();
  await rawRequest(kubectl?.proxy.port ?? 0, smuggled);
  const seen = cluster.api.requests.all.map((entry) => `${entry.method} ${entry.path}`);
  t.same(seen, ['POST /api/v1/namespaces/default/configmaps', 'GET /api/v1/namespaces/default/secrets'], 'kubectl proxy: two separate requests');
});

t.test('an empty User-Agent gets the proxy\'s own, in kubegate as in kubectl proxy', async (t) => {
  const cluster = await startTestCluster(t);
  const kubeconfig = cluster.kubeconfig('cert');
  for (const { name, proxy } of await bothProxies(t, cluster, kubeconfig)) {
    const { recorded } = await sendAndRecord(cluster, proxy, `ua-${name.replace(/\W/g, '')}`, ['User-Agent:']);
    const agent = recorded.headers['user-agent'];
    t.match(agent, /^(kubegate|kubectl)\//, `${name}: the proxy's User-Agent, not an empty one (${String(agent)})`);
  }
});

t.test("a client's own Authorization asks no exec plugin; kubectl proxy still runs it for the TLS handshake", async (t) => {
  const cluster = await startTestCluster(t);
  const plugin = writeTestPlugin(t, { exitCode: 3 });
  const kubeconfig = cluster.kubeconfig('none', {
    name: 'failing-exec',
    extraUser: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin.command, interactiveMode: 'Never' } },
  });
  const args = ['--kubeconfig', kubeconfig, '--port=0'];
  const kubegate = await startKubegate(t, args, { env: env(cluster) });
  const { answer, recorded } = await sendAndRecord(cluster, kubegate, 'exec-kubegate', [`Authorization: Bearer ${SECRETS.userToken}`]);
  t.equal(answer.status, 200, "kubegate: answered with the client's token");
  t.equal(recorded.user?.name, 'alice', "kubegate: as the client's token user");
  t.equal(plugin.runs(), 0, 'kubegate: the failing plugin never ran (client-go exec roundTripper skips a request with Authorization)');

  // client-go's exec authenticator also supplies the TLS client certificate, so kubectl runs the
  // plugin for the handshake and a failing plugin fails even a request that brings its own token.
  const kubectl = await startKubectlProxy(t, args, { env: env(cluster) });
  const viaKubectl = await rawRequest(kubectl.port, buildRawRequest('GET', '/api/v1/namespaces?probe=exec-kubectl', { Authorization: `Bearer ${SECRETS.userToken}` }));
  t.equal(viaKubectl.status, 500, 'kubectl proxy: 500');
  t.match(viaKubectl.body.toString('utf8'), /exec: executable .* failed with exit code 3/, 'kubectl proxy: the plugin failure');
  t.ok(plugin.runs() > 0, 'kubectl proxy ran the plugin');
});

t.test('a keep-alive connection the server closes as it is reused costs a replay of a GET, never of a POST', async (t) => {
  const cluster = await startTestCluster(t);
  const upstream = await startFaultUpstream(t, cluster.api.pki);
  const kubeconfig = cluster.kubeconfig('token', { server: upstream.url, name: 'stale' });
  const proxy = await startKubegate(t, ['--kubeconfig', kubeconfig, '--port=0'], { env: env(cluster) });

  const get = (): Promise<number> => rawRequest(proxy.port, buildRawRequest('GET', '/close-when-reused')).then((answer) => answer.status);
  t.equal(await get(), 200, 'the first GET opens the pooled connection');
  t.equal(await get(), 200, 'the second GET meets the closed connection and is replayed on a new one: 200, not 502');
  t.equal(upstream.arrivals('/close-when-reused'), 3, 'the upstream saw the lost request and its one replay');

  t.equal(upstream.dropped('GET'), 1, 'exactly one GET met the closed connection');

  const post = (): Promise<number> => rawRequest(proxy.port, buildRawRequest('POST', '/close-when-reused', { 'Content-Type': 'application/json' }, '{}')).then((answer) => answer.status);
  // A POST reaches a reused connection when one is idle in the pool; a GET before it makes sure one
  // is (undici retires a client whose connection was lost, so a replay's connection may not stay).
  const postStatuses: number[] = [];
  for (let attempt = 0; attempt < 3 && upstream.dropped('POST') === 0; attempt++) {
    t.equal(await get(), 200, 'a GET, on a fresh or a replayed connection');
    postStatuses.push(await post());
  }
  t.equal(upstream.dropped('POST'), 1, 'a POST met a connection the server closed');
  t.equal(postStatuses.at(-1), 502, 'that POST is not replayed: the client gets the error');
  t.equal(postStatuses.filter((status) => status === 502).length, 1, 'every other POST was answered');
  t.equal(upstream.arrivals('/close-when-reused', 'POST'), postStatuses.length, 'the upstream saw each POST exactly once');
  t.equal(await get(), 200, 'kubegate keeps serving');
});

/** Past the 30 s kubegate once kept an idle upstream connection; short of kube-apiserver's 90 s. */
const IDLE_PAUSE_MS = 33_000;

t.test('after half a minute without requests the next one reuses the connection to the API server, as in kubectl proxy', async (t) => {
  const cluster = await startTestCluster(t);
  const upstream = await startRawUpstream(t, cluster.api.pki, FINAL);
  const kubeconfig = cluster.kubeconfig('token', { server: upstream.url, name: 'idle' });
  const proxies = await bothProxies(t, cluster, kubeconfig);
  for (const { name, proxy } of proxies) t.equal((await rawRequest(proxy.port, buildRawRequest('GET', '/api/v1/namespaces'))).status, 200, `${name}: the first request`);
  t.equal(upstream.connections(), 2, 'one upstream connection per proxy');
  // A pause in a script or a person reading the output: across a slow link a new connection costs
  // a TCP and a TLS handshake before the request can even leave.
  await new Promise((resolve) => setTimeout(resolve, IDLE_PAUSE_MS));
  for (const { name, proxy } of proxies) t.equal((await rawRequest(proxy.port, buildRawRequest('GET', '/api/v1/namespaces'))).status, 200, `${name}: the request after the pause`);
  t.equal(upstream.heads.filter((head) => head.startsWith('GET /api/v1/namespaces ')).length, 4, 'the four requests arrived');
  t.equal(upstream.connections(), 2, 'on the same two connections: neither proxy dialled again');
});

t.test('interim 103 answers before the final one are relayed, as kubectl proxy relays them', async (t) => {
  const cluster = await startTestCluster(t);
  const early = await startRawUpstream(t, cluster.api.pki, `HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n${FINAL}`);
  const kubeconfig = cluster.kubeconfig('token', { server: early.url, name: 'early-hints' });
  for (const { name, proxy } of await bothProxies(t, cluster, kubeconfig)) {
    const answer = await rawRequest(proxy.port, buildRawRequest('GET', '/api/v1/namespaces'));
    t.equal(answer.status, 103, `${name}: the 103 is relayed first`);
    t.match(answer.raw, /^link: <\/style\.css>; rel=preload$/im, `${name}: with its Link`);
    t.match(answer.body.toString('latin1'), /HTTP\/1\.1 200 OK[\s\S]*\r\n\r\n\{\}$/, `${name}: then the final 200 and its body`);
  }
});

t.test('an interim 100 nobody asked for is skipped: the final answer arrives (kubectl proxy relays the 100)', async (t) => {
  const cluster = await startTestCluster(t);
  const upstream = await startRawUpstream(t, cluster.api.pki, `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n${FINAL}`);
  const kubeconfig = cluster.kubeconfig('token', { server: upstream.url, name: 'continue' });
  const [kubegate, kubectl] = await bothProxies(t, cluster, kubeconfig);
  const before = upstream.heads.length;
  const viaKubegate = await rawRequest(kubegate?.proxy.port ?? 0, buildRawRequest('GET', '/api/v1/namespaces'));
  const whole = `${viaKubegate.raw}\r\n\r\n${viaKubegate.body.toString('latin1')}`;
  t.notMatch(whole, /HTTP\/1\.1 (100|50\d)/, 'kubegate: no 100 and no 5xx');
  t.match(whole, /^HTTP\/1\.1 103 Early Hints\r\n[\s\S]*HTTP\/1\.1 200 OK[\s\S]*\r\n\r\n\{\}$/, 'kubegate: the 103, then the final 200 and its body');
  t.equal(upstream.heads.length - before, 2, 'undici refused the first answer; the one replay read it (kubectl asked /version at start-up)');
  const viaKubectl = await rawRequest(kubectl?.proxy.port ?? 0, buildRawRequest('GET', '/api/v1/namespaces'));
  t.equal(viaKubectl.status, 100, 'kubectl proxy relays the 100 (Go ReverseProxy relays 1xx)');
  t.match(viaKubectl.body.toString('latin1'), /HTTP\/1\.1 200 OK[\s\S]*\{\}$/, 'kubectl proxy: then the final 200');

  const post = await rawRequest(kubegate?.proxy.port ?? 0, buildRawRequest('POST', '/api/v1/namespaces', { 'Content-Type': 'application/json' }, '{}'));
  t.equal(post.status, 502, 'a POST is not replayed: a clear 502, not a reset');
  t.match(post.body.toString('utf8'), /"code":502/, 'as a Status body');
});

t.test('a credential failure is counted with the status the client got', async (t) => {
  const cluster = await startTestCluster(t);
  const plugin = writeTestPlugin(t, { exitCode: 3 });
  const kubeconfig = cluster.kubeconfig('none', {
    name: 'failing-exec-metrics',
    extraUser: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin.command, interactiveMode: 'Never' } },
  });
  const adminPort = await freePort();
  const proxy = await startKubegate(t, ['--kubeconfig', kubeconfig, '--port=0', `--admin-address=127.0.0.1:${adminPort}`], { env: env(cluster) });
  const answer = await fetch(`${proxy.url}/api/v1/namespaces/default/pods`);
  await answer.arrayBuffer();
  const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  t.match(metrics, new RegExp(`^kubegate_requests_total\\{method="GET",resource="pods",code="${answer.status}"\\} 1$`, 'm'), `counted as ${answer.status}`);
  t.notMatch(metrics, /kubegate_requests_total\{[^}]*code="0"\}/, 'never as code 0');
});
