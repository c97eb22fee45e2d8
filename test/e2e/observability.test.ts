import t from 'tap';
import { writeFileSync } from 'node:fs';
import { seedDemoCluster } from '../../src/demo-cluster/seed.js';
import { SECRETS, startTestCluster } from '../fixtures/cluster.js';
import { pastRecheckInterval } from '../fixtures/credentials.js';
import { buildRawRequest, freePort, rawRequest, startKubegate, waitUntil } from '../fixtures/processes.js';
import { echoOnce, openSpdyTunnel } from '../fixtures/tunnels.js';

// Metrics scraped after a known mix of traffic: every count exact.

/** Prometheus text → `name{labels}` → value (comments skipped). */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

t.test('metrics after a known traffic mix have exact counts', async (t) => {
  const cluster = await startTestCluster(t);
  const { podName } = seedDemoCluster(cluster.api.store);
  const adminPort = await freePort();
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('cert'), '--port=0', `--admin-address=127.0.0.1:${adminPort}`], {
    env: { HOME: cluster.dir, KUBECONFIG: undefined },
  });
  const get = (path: string, init?: RequestInit) => fetch(`${proxy.url}${path}`, init).then(async (answer) => ({ status: answer.status, body: await answer.text() }));

  for (let i = 0; i < 5; i++) t.equal((await get('/api/v1/namespaces/default/pods')).status, 200);
  for (let i = 0; i < 2; i++) t.equal((await get('/api/v1/namespaces/default/pods/missing')).status, 404);
  const manifest = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"metrics-cm"},"data":{"k":"v"}}';
  t.equal((await get('/api/v1/namespaces/default/configmaps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: manifest })).status, 201);
  t.equal((await get('/apis/apps/v1/namespaces/default/deployments')).status, 200);
  for (let i = 0; i < 3; i++) t.equal((await get(`/api/v1/namespaces/default/pods/${podName}/exec?command=ls`)).status, 403);
  t.equal((await rawRequest(proxy.port, buildRawRequest('GET', '/api', { Host: 'evil.example' }))).status, 403);
  t.equal((await get('/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1')).status, 200);
  const tunnel = await openSpdyTunnel(proxy.port, `/api/v1/namespaces/default/pods/${podName}/portforward`);
  await echoOnce(tunnel, Buffer.from('metrics'));

  const scrape = async (): Promise<Map<string, number>> => parseMetrics(await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text());
  let metrics = await scrape();
  t.equal(metrics.get('kubegate_open_tunnels'), 1, 'one tunnel open');
  tunnel.socket.destroy();
  await waitUntil(() => cluster.api.tunnels.open() === 0, 'the tunnel to close');
  metrics = await scrape();

  t.equal(metrics.get('kubegate_requests_total{method="GET",resource="pods",code="200"}'), 5);
  t.equal(metrics.get('kubegate_requests_total{method="GET",resource="pods",code="404"}'), 2);
  t.equal(metrics.get('kubegate_requests_total{method="POST",resource="configmaps",code="201"}'), 1);
  t.equal(metrics.get('kubegate_requests_total{method="GET",resource="apps/deployments",code="200"}'), 1);
  t.equal(metrics.get('kubegate_requests_total{method="GET",resource="configmaps",code="200"}'), 1, 'the watch, once it ended');
  t.equal(metrics.get('kubegate_filter_rejections_total{flag="--reject-paths"}'), 3);
  t.equal(metrics.get('kubegate_filter_rejections_total{flag="--accept-hosts"}'), 1);
  t.equal(metrics.get('kubegate_request_bytes_total'), Buffer.byteLength(manifest), 'request bytes: exactly the POST body');
  t.equal(metrics.get('kubegate_request_duration_seconds_count{method="GET",resource="pods"}'), 7, 'latency observed for every non-stream request');
  t.equal(metrics.get('kubegate_requests_in_flight'), 0);
  t.equal(metrics.get('kubegate_open_watches'), 0);
  t.equal(metrics.get('kubegate_open_tunnels'), 0);
  t.ok((metrics.get('kubegate_response_bytes_total') ?? 0) > 0, 'response bytes counted');
  const requestLines = [...metrics.keys()].filter((key) => key.startsWith('kubegate_requests_total{'));
  t.equal(requestLines.length, 5, 'no other request series: names and namespaces never become labels');
  t.ok((metrics.get('process_resident_memory_bytes') ?? 0) > 0, 'the standard process_* metrics, under their usual names');
  t.ok(metrics.has('nodejs_eventloop_lag_p99_seconds'), 'and the nodejs_* ones');
});

t.test('credential refresh metrics: a rotated token file, and a token the API server rejects', async (t) => {
  const cluster = await startTestCluster(t);
  const adminPort = await freePort();
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token-file'), '--port=0', `--admin-address=127.0.0.1:${adminPort}`], {
    env: { HOME: cluster.dir, KUBECONFIG: undefined },
  });
  const get = async (): Promise<number> => (await fetch(`${proxy.url}/api/v1/namespaces/default/pods`)).status;
  const scrape = async (): Promise<Map<string, number>> => parseMetrics(await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text());
  t.equal(await get(), 200);
  writeFileSync(cluster.clientTokenFile, `${SECRETS.rotatedToken}\n`);
  await pastRecheckInterval();
  t.equal(await get(), 200);
  let metrics = await scrape();
  t.equal(metrics.get('kubegate_credential_refreshes_total{source="token-file",outcome="success"}'), 1, 'one rotation seen');
  writeFileSync(cluster.clientTokenFile, 'a-token-the-server-does-not-know\n');
  await pastRecheckInterval();
  t.equal(await get(), 401);
  metrics = await scrape();
  t.equal(metrics.get('kubegate_credential_refreshes_total{source="token-file",outcome="success"}'), 2);
  t.equal(metrics.get('kubegate_credential_refreshes_total{source="api-401",outcome="failure"}'), 1, 'the rejected credential is counted');
});
