import t from 'tap';
import { request } from 'node:https';
import { startApiServer, type RunningApiServer } from '../../src/demo-cluster/api-server.js';
import { seedDemoCluster } from '../../src/demo-cluster/seed.js';
import type { Teardown } from '../fixtures/teardown.js';

// The demo server's JSON, byte for byte as kube-apiserver writes it, so what works against the demo
// works against a real cluster: indented for curl (and ?pretty=true), compact for kubectl.

const TOKEN = 'tok-json-test';

async function started(t: Teardown): Promise<RunningApiServer> {
  const api = await startApiServer({ tokens: { [TOKEN]: { name: 'admin', groups: ['system:masters', 'system:authenticated'] } } });
  t.teardown(() => api.close());
  seedDemoCluster(api.store);
  return api;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

function get(api: RunningApiServer, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${api.url}${path}`, { ca: api.caPem, headers: { authorization: `Bearer ${TOKEN}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const PODS = '/api/v1/namespaces/default/pods';

t.test('a pod LIST for curl is indented, kind first; list items carry no kind', async (t) => {
  const api = await started(t);
  const { status, body } = await get(api, PODS, { 'user-agent': 'curl/8.5.0' });
  t.equal(status, 200);
  t.match(body, /^\{\n {2}"kind": "PodList",\n {2}"apiVersion": "v1",\n {2}"metadata": \{\n {4}"resourceVersion": "\d+"\n {2}\},\n {2}"items": \[\n {4}\{\n {6}"metadata": \{\n {8}"name": "nginx-/);
  t.notOk(body.endsWith('\n'), 'MarshalIndent writes no final newline');
  const list = JSON.parse(body) as { items: Record<string, unknown>[] };
  t.equal(list.items.length, 1);
  t.same(Object.keys(list.items[0] ?? {}), ['metadata', 'spec', 'status'], 'no kind or apiVersion on an item');
  t.equal(body, `${JSON.stringify(list, null, 2)}`, 'exactly two-space indentation');
  t.equal((body.match(/"kind": "Pod"/g) ?? []).length, 0, 'the count a grep for "kind":"Pod" would make on a real cluster');
});

t.test('kubectl and clients without a User-Agent get compact JSON ending in a newline; ?pretty decides alone', async (t) => {
  const api = await started(t);
  const compact = await get(api, PODS, { 'user-agent': 'kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd' });
  t.match(compact.body, /^\{"kind":"PodList","apiVersion":"v1","metadata":\{"resourceVersion":"\d+"\},"items":\[\{"metadata":\{"name":"nginx-/);
  t.ok(compact.body.endsWith('}\n'), "json.Encoder's final newline");
  t.match((await get(api, PODS)).body, /^\{"kind":"PodList"/, 'no User-Agent: compact');
  t.match((await get(api, `${PODS}?pretty=true`, { 'user-agent': 'kubectl/v1.32' })).body, /^\{\n {2}"kind": "PodList"/, '?pretty=true');
  t.match((await get(api, `${PODS}?pretty=false`, { 'user-agent': 'curl/8' })).body, /^\{"kind":"PodList"/, '?pretty=false wins over curl');
});

t.test('one object: kind, apiVersion, metadata, spec, status, metadata in ObjectMeta order', async (t) => {
  const api = await started(t);
  const { body } = await get(api, '/apis/apps/v1/namespaces/default/deployments/nginx', { 'user-agent': 'kubectl/v1.32' });
  const deployment = JSON.parse(body) as { metadata: Record<string, unknown> };
  t.same(Object.keys(deployment), ['kind', 'apiVersion', 'metadata', 'spec', 'status']);
  t.same(Object.keys(deployment.metadata), ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'labels']);
});

t.test('Status errors and discovery are negotiated too; /version is indented for everyone', async (t) => {
  const api = await started(t);
  const missing = await get(api, `${PODS}/no-such-pod`, { 'user-agent': 'curl/8' });
  t.equal(missing.status, 404);
  t.equal(
    missing.body,
    '{\n  "kind": "Status",\n  "apiVersion": "v1",\n  "metadata": {},\n  "status": "Failure",\n  "message": "pods \\"no-such-pod\\" not found",\n  "reason": "NotFound",\n  "details": {\n    "name": "no-such-pod",\n    "kind": "pods"\n  },\n  "code": 404\n}',
  );
  t.match((await get(api, '/api', { 'user-agent': 'curl/8' })).body, /^\{\n {2}"kind": "APIVersions"/);
  t.match((await get(api, '/api', { 'user-agent': 'kubectl/v1.32' })).body, /^\{"kind":"APIVersions"/);
  t.match((await get(api, '/version', { 'user-agent': 'kubectl/v1.32' })).body, /^\{\n {2}"major": "1",\n {2}"minor": "32",/);
  t.match((await get(api, '/openapi/v3', { 'user-agent': 'curl/8' })).body, /^\{"paths":/, 'OpenAPI is served as marshalled');
});

t.test('a watch for curl stays one compact line per event, each object with its kind', async (t) => {
  const api = await started(t);
  const { body } = await get(api, `${PODS}?watch=true&timeoutSeconds=1`, { 'user-agent': 'curl/8' });
  const lines = body.split('\n');
  t.equal(lines.pop(), '', 'every event ends in a newline');
  t.equal(lines.length, 1);
  t.match(lines[0], /^\{"type":"ADDED","object":\{"kind":"Pod","apiVersion":"v1","metadata":\{"name":"nginx-/);
});
