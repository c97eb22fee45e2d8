import t from 'tap';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findResourceType } from '../../src/demo-cluster/resources.js';
import { startTestCluster } from '../fixtures/cluster.js';
import { runCommand, startCommand, startKubegate, waitUntil } from '../fixtures/processes.js';

// curl is the learner's client: list, create from YAML, watch, and reach a service through the API server.

t.test('curl: list pods, POST a YAML manifest, watch, and a service /proxy/ page', async (t) => {
  const page = '<h1>hello from the backend</h1>\n';
  const backend = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html', 'x-backend-path': request.url ?? '' });
    response.end(page);
  });
  backend.listen(0, '127.0.0.1');
  await once(backend, 'listening');
  t.teardown(() => backend.close());
  const cluster = await startTestCluster(t, {
    proxyBackends: { 'default/web': `http://127.0.0.1:${(backend.address() as AddressInfo).port}` },
  });
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token'), '--port=0'], { env });
  const base = `http://localhost:${proxy.port}`;

  const list = await runCommand('curl', ['-s', '-w', '\\n%{http_code}', `${base}/api/v1/namespaces/default/pods`]);
  t.equal(list.status, 0, list.stderr);
  // kube-apiserver indents JSON for curl: the status code is the last line, the body all before it.
  const listCode = list.stdout.slice(list.stdout.lastIndexOf('\n') + 1);
  t.equal(listCode, '200');
  t.equal((JSON.parse(list.stdout.slice(0, list.stdout.lastIndexOf('\n'))) as { kind: string }).kind, 'PodList');

  const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-curl\ndata:\n  greeting: hi\n';
  const created = await runCommand(
    'curl',
    ['-s', '-X', 'POST', '-H', 'Content-Type: application/yaml', '--data-binary', '@-', '-w', '\n%{http_code}', `${base}/api/v1/namespaces/default/configmaps`],
    { input: yaml },
  );
  const lines = created.stdout.split('\n');
  t.equal(lines[lines.length - 1], '201');
  t.same(cluster.api.store.get(findResourceType('', 'v1', 'configmaps')!, 'default', 'from-curl')?.data, { greeting: 'hi' });
  t.equal(cluster.api.requests.last()?.body.toString(), yaml, 'the YAML body reached the API server byte for byte');

  const watch = startCommand(t, 'curl', ['-s', '-N', `${base}/api/v1/namespaces/default/configmaps?watch=true`]);
  await waitUntil(() => watch.output().includes('"from-curl"'), 'the ADDED event for the existing configmap');
  cluster.api.store.create(findResourceType('', 'v1', 'configmaps')!, { metadata: { name: 'live-event', namespace: 'default' } });
  await waitUntil(() => watch.output().includes('"live-event"'), 'a live watch event');
  t.match(watch.output(), /\{"type":"ADDED","object":\{.*"name":"live-event"/);
  watch.stop();

  const proxied = await runCommand('curl', ['-s', '-D', '-', `${base}/api/v1/namespaces/default/services/web/proxy/some/page?x=1`]);
  t.match(proxied.stdout, /^HTTP\/1\.1 200/);
  t.match(proxied.stdout, /x-backend-path: \/some\/page\?x=1/i);
  t.ok(proxied.stdout.endsWith(page), 'the backend page came back');
});

t.test('gzip: a client that asks gets gzip, a client that does not gets plain bytes', async (t) => {
  const cluster = await startTestCluster(t, { largeList: { namespace: 'big', items: 400, itemBytes: 1024 } });
  const env = { HOME: cluster.dir, KUBECONFIG: undefined };
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0'], { env });
  const url = `http://127.0.0.1:${proxy.port}/api/v1/namespaces/big/configmaps`;
  const gzip = await runCommand('curl', ['-s', '-D', '-', '-o', '/dev/null', '-H', 'Accept-Encoding: gzip', url]);
  t.match(gzip.stdout, /content-encoding: gzip/i);
  const plain = await runCommand('curl', ['-s', '-D', '-', url]);
  t.notMatch(plain.stdout, /content-encoding/i);
  const plainBody = JSON.parse(plain.stdout.slice(plain.stdout.indexOf('\r\n\r\n') + 4)) as { kind: string; items: unknown[] };
  t.equal(plainBody.kind, 'ConfigMapList', 'the plain body is the whole list');
  t.equal(plainBody.items.length, 400);
  t.equal(cluster.api.requests.last()?.headers['accept-encoding'], 'gzip', 'kubegate asks for gzip on the client\'s behalf (as kubectl) and inflates it');
});
