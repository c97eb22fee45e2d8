import t, { type Test } from 'tap';
import fc from 'fast-check';
import { connect } from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordedRequest } from '../../src/demo-cluster/request-log.js';
import { findResourceType } from '../../src/demo-cluster/resources.js';
import { seedDemoCluster } from '../../src/demo-cluster/seed.js';
import { startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { requireKubectl, runCommand, startKubegate, type RunningProxy } from '../fixtures/processes.js';
import type { Teardown } from '../fixtures/teardown.js';

// The presets through a real kubegate, with the real kubectl as the client, judged by what the test
// API server itself parsed (its own request-info reading, not kubegate's).
const kubectl = requireKubectl();
// Four sweeps of 825 conversations and four of 400 generated ones: more than the default per-file limit.
t.setTimeout(600_000);

async function setup(t: Teardown, flags: readonly string[]): Promise<{ cluster: TestCluster; proxy: RunningProxy; podName: string; k: (...args: string[]) => ReturnType<typeof runCommand> }> {
  const cluster = await startTestCluster(t, { namespaces: ['default', 'kube-system', 'team-a'] });
  const { podName } = seedDemoCluster(cluster.api.store);
  const secrets = findResourceType('', 'v1', 'secrets');
  if (secrets) cluster.api.store.create(secrets, { metadata: { name: 'db-password', namespace: 'default' }, data: { password: Buffer.from('hunter2').toString('base64') } });
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', ...flags], { env });
  const k = (...args: string[]) => runCommand(kubectl, ['-s', `http://127.0.0.1:${proxy.port}`, ...args], { env });
  return { cluster, proxy, podName, k };
}

t.test('--read-only: kubectl reads work; a refused kubectl delete prints kubegate\'s Forbidden message', async (t) => {
  const { cluster, k } = await setup(t, ['--read-only']);
  const pods = await k('get', 'pods');
  t.equal(pods.status, 0, pods.stderr);
  const deleted = await k('delete', 'configmap', 'kube-root-ca', '--wait=false');
  t.not(deleted.status, 0);
  t.match(deleted.stderr, /Error from server \(Forbidden\): configmaps "kube-root-ca" is forbidden: kubegate policy \(--read-only\) does not allow delete on resource "configmaps" in API group "" in the namespace "default"/);
  const arrivedWrites = cluster.api.requests.all.filter((r) => r.requestInfo.verb === 'delete');
  t.same(arrivedWrites.map((r) => r.path), [], 'the delete never reached the API server');
});

t.test('--deny-secrets: kubectl get secrets is refused with the RBAC-shaped message; other reads work', async (t) => {
  const { k } = await setup(t, ['--deny-secrets']);
  const one = await k('get', 'secret', 'db-password');
  t.match(one.stderr, /Error from server \(Forbidden\): secrets "db-password" is forbidden: kubegate policy \(--deny-secrets\) does not allow get on resource "secrets"/);
  const all = await k('get', 'secrets', '-A');
  t.match(all.stderr, /secrets is forbidden: kubegate policy \(--deny-secrets\) does not allow list on resource "secrets" in API group "" at the cluster scope/);
  t.equal((await k('get', 'configmaps')).status, 0);
});

t.test('--namespaces: only the listed namespaces; -A and other namespaces refused; nodes readable', async (t) => {
  const { k } = await setup(t, ['--namespaces=default']);
  t.equal((await k('get', 'pods', '-n', 'default')).status, 0);
  t.match((await k('get', 'pods', '-n', 'kube-system')).stderr, /pods is forbidden: kubegate policy \(--namespaces\) does not allow list on resource "pods" in API group "" in the namespace "kube-system"/);
  t.match((await k('get', 'pods', '-A')).stderr, /at the cluster scope/);
  t.equal((await k('get', 'nodes')).status, 0, 'a cluster-scoped read');
});

// ---------------------------------------------------------------- no bypass, judged by the API server

const TARGETS = ['/api/v1/namespaces/default/secrets', '/api/v1/namespaces/default/secrets/db-password', '/api/v1/secrets', '/api/v1/namespaces/kube-system/configmaps', '/api/v1/namespaces/default/configmaps/c'];

/** Spellings of one path that a naive reading might not recognise; the API server reads each its own way. */
function spellings(path: string): string[] {
  const parts = path.split('/');
  const last = parts.at(-1) ?? '';
  return [
    path,
    `${path}/`,
    path.replace('/api/', '//api/'),
    path.replace('/v1/', '/v1//'),
    path.replace('/v1/', '/./v1/'),
    `${parts.slice(0, -1).join('/')}/%${last.charCodeAt(0).toString(16)}${last.slice(1)}`,
    path.replace('/namespaces/', '/namespaces%2F'),
    path.replace('/api/v1/', '/api/v1/watch/'),
    `${path}?watch=1`,
    `${path}?fieldSelector=metadata.name%3Ddb-password`,
    path.replace('/api/v1/', '/api/v1/x/../'),
  ];
}

async function send(port: number, raw: string): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.end(raw);
  // kubegate may hold a half-closed connection open after its answers: 300 ms after the first byte of them is
  // enough to have the rest. A socket with no answer yet waits for one up to 3 s: cut early, a forbidden
  // request could be dropped before kubegate forwarded it, and the sweep would pass without having tried it.
  await new Promise<void>((resolve) => {
    const cut = (): void => {
      socket.destroy();
      resolve();
    };
    let timer = setTimeout(cut, 3_000).unref();
    socket.once('data', () => {
      clearTimeout(timer);
      timer = setTimeout(cut, 300).unref();
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

interface Preset {
  readonly flags: readonly string[];
  readonly violation: (request: RecordedRequest) => boolean;
}

// A policy file for the sweep: a Role reading pods and configmaps in "default" only, and /version.
const policyDir = mkdtempSync(join(tmpdir(), 'kubegate-policy-'));
t.teardown(() => rmSync(policyDir, { recursive: true, force: true }));
const POLICY_FILE = join(policyDir, 'read-default.yaml');
writeFileSync(
  POLICY_FILE,
  `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read-default, namespace: default}
rules:
  - apiGroups: [""]
    resources: [pods, configmaps]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: version}
rules:
  - nonResourceURLs: [/version]
    verbs: [get]
`,
);
/** What the policy file allows, read from what the API server itself parsed. */
function policyFileAllows(r: RecordedRequest): boolean {
  const info = r.requestInfo;
  if (!info.isResourceRequest) return info.verb === 'get' && info.path === '/version';
  return info.namespace === 'default' && info.apiGroup === '' && ['pods', 'configmaps'].includes(info.resource) && info.subresource === '' && ['get', 'list', 'watch'].includes(info.verb);
}

const PRESETS: Readonly<Record<string, Preset>> = {
  '--read-only': { flags: ['--read-only'], violation: (r) => r.requestInfo.isResourceRequest ? !['get', 'list', 'watch'].includes(r.requestInfo.verb) || ['exec', 'attach', 'portforward', 'proxy'].includes(r.requestInfo.subresource) : !['get', 'head'].includes(r.requestInfo.verb) },
  '--deny-secrets': { flags: ['--deny-secrets'], violation: (r) => r.requestInfo.isResourceRequest && r.requestInfo.resource === 'secrets' && r.requestInfo.apiGroup === '' },
  '--namespaces=default': { flags: ['--namespaces=default'], violation: (r) => r.requestInfo.isResourceRequest && r.requestInfo.namespace !== 'default' && r.requestInfo.resource !== 'nodes' },
  '--policy (a Role: read pods and configmaps in default)': { flags: ['--policy', POLICY_FILE], violation: (r) => !policyFileAllows(r) },
};

/** Sends every conversation, forty-eight connections at a time (most wait out the 300 ms close timer, so the wall time is the count over this), then waits until the API server has recorded all it got. */
async function sendAll(port: number, cluster: TestCluster, conversations: readonly string[]): Promise<void> {
  const queue = [...conversations];
  const workers = Array.from({ length: 48 }, async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await send(port, next);
  });
  await Promise.all(workers);
  for (let last = -1; last !== cluster.api.requests.received; ) {
    last = cluster.api.requests.received;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** What arrived, judged by the API server's own reading; kubegate's own start-up read of discovery (--policy) is not client traffic. */
function judgeArrivals(t: Test, cluster: TestCluster, name: string, preset: Preset, sent: number): void {
  const fromClients = cluster.api.requests.all.filter((r) => !(/ policy-check$/.test(String(r.headers['user-agent'])) && r.method === 'GET' && ['/api', '/apis', '/api/v1'].includes(r.path)));
  const violations = fromClients.filter(preset.violation).map((r) => `${r.method} ${r.url} (${r.requestInfo.verb} ${r.requestInfo.resource} in "${r.requestInfo.namespace}")`);
  t.ok(fromClients.some((r) => r.requestInfo.isResourceRequest && !preset.violation(r)), 'requests the preset allows did arrive: the witness sees the traffic');
  t.same(violations, [], `${name}: 0 of ${sent} requests the preset forbids reached the API server`);
}

/** One request as raw bytes: alone, pipelined behind an allowed one, or behind an upgrade. */
function conversation(method: string, target: string, form: 'alone' | 'behind-allowed' | 'behind-upgrade', upgrade = ''): string {
  const body = method === 'GET' || method === 'HEAD' ? '' : '{}';
  const framing = body ? `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` : '';
  const request = `${method} ${target} HTTP/1.1\r\nHost: localhost\r\n${framing}${upgrade}${form === 'behind-upgrade' ? '' : 'Connection: close\r\n'}\r\n${body}`;
  if (form === 'alone') return request;
  if (form === 'behind-allowed') return `GET /version HTTP/1.1\r\nHost: localhost\r\n\r\n${request}`;
  return `GET /version HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n${request}`;
}

for (const [name, preset] of Object.entries(PRESETS)) {
  t.test(`no bypass of ${name}: every spelling, method and pipelining, judged by the API server's own reading`, { timeout: 300_000 }, async (t) => {
    const { cluster, proxy } = await setup(t, [...preset.flags, '--reject-paths=^$']);
    const conversations: string[] = [];
    for (const target of TARGETS) {
      for (const spelled of spellings(target)) {
        for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
          for (const form of ['alone', 'behind-allowed', 'behind-upgrade'] as const) conversations.push(conversation(method, spelled, form));
        }
      }
    }
    await sendAll(proxy.port, cluster, conversations);
    judgeArrivals(t, cluster, name, preset, conversations.length);
  });
}

// ---------------------------------------------------------------- property-based: generated paths, same oracle

const segment = fc.oneof(
  fc.constantFrom('namespaces', 'default', 'kube-system', 'team-a', 'pods', 'configmaps', 'secrets', 'nodes', 'p', 'c', 'db-password', 'exec', 'log', 'proxy', 'status', 'watch'),
  fc.constantFrom('.', '..', '', '%2f', '%2F', '%2e%2e', '%73ecrets', 'SECRETS', 'secrets;x', '%00', 'x'),
);
const generatedRequest = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
  lead: fc.constantFrom('', '/', '//'),
  root: fc.constantFrom('/api/v1', '/api/v1/watch', '/api/v1/proxy', '/apis/apps/v1', '/api', '/apis', '/api/v1/namespaces/default', '/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/configmaps'),
  segments: fc.array(segment, { minLength: 0, maxLength: 5 }),
  query: fc.constantFrom('', '?watch=1', '?watch=true', '?watch=0', '?fieldSelector=metadata.name%3Ddb-password', '?watch=1&fieldSelector=metadata.name=db-password'),
  form: fc.constantFrom('alone' as const, 'behind-allowed' as const, 'behind-upgrade' as const),
  upgrade: fc.constantFrom('', 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n', 'Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n'),
});

for (const [name, preset] of Object.entries(PRESETS)) {
  t.test(`property: ${name} holds for 400 generated paths, methods, pipelinings and upgrades`, { timeout: 300_000 }, async (t) => {
    const { cluster, proxy } = await setup(t, [...preset.flags, '--reject-paths=^$']);
    const samples = fc.sample(generatedRequest, { numRuns: 400, seed: Number(process.env.KUBEGATE_FC_SEED ?? 20261202) });
    const conversations = samples.map((r) => conversation(r.method, `${r.lead}${r.root}${r.segments.length ? `/${r.segments.join('/')}` : ''}${r.query}`, r.form, r.upgrade));
    await sendAll(proxy.port, cluster, conversations);
    judgeArrivals(t, cluster, name, preset, conversations.length);
  });
}
