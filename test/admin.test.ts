import t from 'tap';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import type { Credentials } from '../src/auth/credentials.js';
import { noCredentials } from './fixtures/credentials.js';
import { buildAdminServer, createReadinessCheck } from '../src/admin.js';
import { createMetrics } from '../src/metrics.js';

const credentials: Credentials = noCredentials;

async function listen(server: Server, port = 0): Promise<number> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

t.test('/readyz turns unready when the API server goes away and ready again when it returns', async (t) => {
  let upstream = createServer((_req, res) => res.end('ok'));
  const port = await listen(upstream);
  let clock = 1_000_000;
  const agent = new Agent();
  t.teardown(() => agent.close());
  const readiness = createReadinessCheck({
    agent,
    target: { origin: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, basePath: '', tls: false },
    credentials,
    now: () => clock,
  });
  const admin = buildAdminServer({ metrics: createMetrics({ defaultMetrics: false }), readiness });
  t.teardown(() => admin.close());

  t.equal((await admin.inject({ url: '/readyz' })).statusCode, 200);
  upstream.closeAllConnections();
  upstream.close();
  await once(upstream, 'close');
  clock += 60_000;
  const down = await admin.inject({ url: '/readyz' });
  t.equal(down.statusCode, 503);
  t.match(down.body, /did not answer/);
  upstream = createServer((_req, res) => res.end('ok'));
  await listen(upstream, port);
  t.teardown(() => upstream.close());
  clock += 60_000;
  t.equal((await admin.inject({ url: '/readyz' })).statusCode, 200, 'ready again');
});

t.test('/healthz is alive and /metrics is Prometheus text', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.requestStarted();
  metrics.requestFinished('GET', 'pods', 200, 0.002, 0, 10);
  const admin = buildAdminServer({ metrics, readiness: async () => ({ ready: true, reasons: [], details: [] }) });
  t.teardown(() => admin.close());
  const health = await admin.inject({ url: '/healthz' });
  t.equal(health.statusCode, 200);
  t.equal(health.body, 'ok\n');
  const scraped = await admin.inject({ url: '/metrics' });
  t.match(scraped.headers['content-type'], /text\/plain/);
  t.match(scraped.body, /kubegate_requests_total\{method="GET",resource="pods",code="200"\} 1/);
});

t.test('/readyz shows the time to credential expiry, and an expired credential is not ready', async (t) => {
  const upstream = createServer((_req, res) => res.end('ok'));
  const port = await listen(upstream);
  t.teardown(() => upstream.close());
  const agent = new Agent();
  t.teardown(() => agent.close());
  let clock = Date.parse('2026-11-23T10:00:00Z');
  const expiresAt = Date.parse('2026-11-23T11:00:00Z');
  const readiness = createReadinessCheck({
    agent,
    target: { origin: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, basePath: '', tls: false },
    credentials: { ...credentials, expiresAt: () => expiresAt },
    now: () => clock,
  });
  const admin = buildAdminServer({ metrics: createMetrics({ defaultMetrics: false }), readiness });
  t.teardown(() => admin.close());
  const ready = await admin.inject({ url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.equal(ready.body, 'ok\ncredential expires in 1h0m (2026-11-23T11:00:00.000Z)\n');
  clock = Date.parse('2026-11-23T11:00:05Z');
  const expired = await admin.inject({ url: '/readyz' });
  t.equal(expired.statusCode, 503);
  t.match(expired.body, /- the credential expired 5s ago \(2026-11-23T11:00:00.000Z\)/);
});
