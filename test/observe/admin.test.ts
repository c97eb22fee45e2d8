import t from 'tap';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import type { Credentials } from '../../src/auth/credentials.js';
import { noCredentials } from '../fixtures/credentials.js';
import { buildAdminServer, createReadinessCheck } from '../../src/observe/admin.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { credentialError } from '../../src/errors.js';
import { DEFAULT_FILTER_FLAGS, compileRules } from '../../src/server/filter.js';

const credentials: Credentials = noCredentials;
const DEFAULT_HOSTS = compileRules('--accept-hosts', DEFAULT_FILTER_FLAGS.acceptHosts);
const alwaysReady = async (): Promise<{ ready: true; reasons: never[]; details: never[] }> => ({ ready: true, reasons: [], details: [] });

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
  const admin = buildAdminServer({ metrics: createMetrics({ defaultMetrics: false }), readiness, acceptHosts: DEFAULT_HOSTS });
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
  const admin = buildAdminServer({ metrics, readiness: async () => ({ ready: true, reasons: [], details: [] }), acceptHosts: DEFAULT_HOSTS });
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
  const admin = buildAdminServer({ metrics: createMetrics({ defaultMetrics: false }), readiness, acceptHosts: DEFAULT_HOSTS });
  t.teardown(() => admin.close());
  const ready = await admin.inject({ url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.equal(ready.body, 'ok\ncredential expires in 1h0m (2026-11-23T11:00:00.000Z)\n');
  clock = Date.parse('2026-11-23T11:00:05Z');
  const expired = await admin.inject({ url: '/readyz' });
  t.equal(expired.statusCode, 503);
  t.match(expired.body, /- the credential expired 5s ago \(2026-11-23T11:00:00.000Z\)/);
});

t.test('/readyz answers 503 naming the cause when no credential can be produced, and asks nothing more of a failing source', async (t) => {
  const upstream = createServer((_req, res) => res.end('ok'));
  const port = await listen(upstream);
  t.teardown(() => upstream.close());
  const agent = new Agent();
  t.teardown(() => agent.close());
  let expiresAtCalls = 0;
  const failing: Credentials = {
    ...credentials,
    authorization: () => Promise.reject(credentialError("exec plugin corp-login (users[name=u].user.exec) exited with code 1; what it printed on stderr is in kubegate's log")),
    expiresAt: () => {
      expiresAtCalls++;
      return undefined;
    },
  };
  const readiness = createReadinessCheck({
    agent,
    target: { origin: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, basePath: '', tls: true },
    credentials: failing,
  });
  const admin = buildAdminServer({ metrics: createMetrics({ defaultMetrics: false }), readiness, acceptHosts: DEFAULT_HOSTS });
  t.teardown(() => admin.close());
  const answers = await Promise.all(Array.from({ length: 5 }, () => admin.inject({ url: '/readyz' })));
  for (const answer of answers) {
    t.equal(answer.statusCode, 503);
    t.match(answer.body, /- credentials are not usable: exec plugin corp-login \(users\[name=u\]\.user\.exec\) exited with code 1/);
  }
  t.equal(expiresAtCalls, 5);
});

t.test('/readyz does not wait out a slow credential: it answers 503 and the fetch goes on', async (t) => {
  let settle: (value: string) => void = () => {};
  const pending = new Promise<string>((resolve) => (settle = resolve));
  const agent = new Agent();
  t.teardown(() => agent.close());
  const readiness = createReadinessCheck({
    agent,
    target: { origin: 'http://127.0.0.1:9', host: '127.0.0.1:9', basePath: '', tls: true },
    credentials: { ...credentials, authorization: () => pending },
    credentialWaitMs: 50,
  });
  const answer = await readiness();
  t.equal(answer.ready, false);
  t.match(answer.reasons[0], /no credential yet: it is still being fetched after 0\.05s/);
  settle('Bearer later');
});

t.test('the admin listener applies the --accept-hosts rule (DNS rebinding) and accepts IP literals (kubelet probes)', async (t) => {
  const admin = buildAdminServer({ metrics: createMetrics({ defaultMetrics: false }), readiness: alwaysReady, acceptHosts: DEFAULT_HOSTS, acceptHostsFlag: DEFAULT_FILTER_FLAGS.acceptHosts });
  t.teardown(() => admin.close());
  const get = (url: string, host: string) => admin.inject({ url, headers: { host } });
  for (const host of ['localhost:9101', '127.0.0.1:9101', '[::1]:9101', '10.244.1.17:9101', '10.244.1.17', '[fd00::17]:9101']) {
    t.equal((await get('/readyz', host)).statusCode, 200, `Host ${host}`);
  }
  for (const host of ['attacker.example:9101', 'localhost.attacker.example', '127.0.0.1.nip.io:9101', '10.0.0.1:9101@evil.example', '[fd00::17']) {
    for (const url of ['/readyz', '/metrics', '/healthz', '/nope']) {
      const answer = await get(url, host);
      t.equal(answer.statusCode, 403, `Host ${host} ${url}`);
      t.notMatch(answer.body, /kubegate_|^ok/);
    }
  }
  const rejected = await get('/metrics', 'attacker.example:9101');
  t.match(rejected.body, /Host "attacker\.example" is not accepted on kubegate's admin listener: it is not an IP address and matches no --accept-hosts rule/);
});

t.test('the admin listener follows a widened --accept-hosts, and has no Host check with --disable-filter', async (t) => {
  const widened = buildAdminServer({ metrics: createMetrics({ defaultMetrics: false }), readiness: alwaysReady, acceptHosts: compileRules('--accept-hosts', '^kubegate\\.default\\.svc$') });
  t.teardown(() => widened.close());
  t.equal((await widened.inject({ url: '/readyz', headers: { host: 'kubegate.default.svc:9101' } })).statusCode, 200);
  t.equal((await widened.inject({ url: '/readyz', headers: { host: 'localhost:9101' } })).statusCode, 403, 'the flag replaces the default, as on the API port');
  const open = buildAdminServer({ metrics: createMetrics({ defaultMetrics: false }), readiness: alwaysReady, acceptHosts: undefined });
  t.teardown(() => open.close());
  t.equal((await open.inject({ url: '/readyz', headers: { host: 'anything.example' } })).statusCode, 200);
});

t.test('/readyz says when a credential file went bad while the last good material keeps serving', async (t) => {
  const upstream = createServer((_req, res) => res.end('ok'));
  const port = await listen(upstream);
  t.teardown(() => upstream.close());
  const agent = new Agent();
  t.teardown(() => agent.close());
  let problems: string[] = [];
  const readiness = createReadinessCheck({
    agent,
    target: { origin: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, basePath: '', tls: false },
    credentials,
    problems: () => problems,
  });
  const admin = buildAdminServer({ metrics: createMetrics({ defaultMetrics: false }), readiness, acceptHosts: DEFAULT_HOSTS });
  t.teardown(() => admin.close());
  t.equal((await admin.inject({ url: '/readyz' })).body, 'ok\n', 'nothing to say while the files are good');
  problems = ['client certificate file /x/admin.crt is not usable (no PEM certificate in it); still using the one loaded at 2026-12-01T00:00:00.000Z'];
  const answer = await admin.inject({ url: '/readyz' });
  t.equal(answer.statusCode, 200, 'still ready: requests are served with the last good certificate');
  t.match(answer.body, /^ok\nwarning: client certificate file \/x\/admin\.crt is not usable .*still using the one loaded at/);
});
