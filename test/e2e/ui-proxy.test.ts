// --ui without a browser: the prefix is the API server's when --ui is off; with it, the page is
// served only to accepted Hosts, with strict headers, and its records never carry a credential.

import t from 'tap';
import { SECRETS, startTestCluster } from '../fixtures/cluster.js';
import { buildRawRequest, rawRequest, startKubegate } from '../fixtures/processes.js';

t.setTimeout(120_000);

t.test('without --ui, /-/ui/ is an API path: filtered, then forwarded, as before', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token'), '--port=0'], { env: { HOME: cluster.dir } });
  t.notMatch(proxy.stdout(), /request inspector/, 'no page is announced');
  const before = cluster.api.requests.received;
  const answer = await rawRequest(proxy.port, buildRawRequest('GET', '/-/ui/'));
  t.equal(answer.status, 404, "the API server's answer");
  t.ok(cluster.api.requests.all.slice(before).some((request) => request.path === '/-/ui/'), 'the API server received /-/ui/');
  const evil = await rawRequest(proxy.port, buildRawRequest('GET', '/-/ui/', { Host: 'evil.example.com' }));
  t.equal(evil.status, 403, 'and the filter applies to it as to any path');
});

t.test('with --ui: the page for accepted Hosts only, strict headers, records without credentials', async (t) => {
  const cluster = await startTestCluster(t);
  const proxy = await startKubegate(t, ['--kubeconfig', cluster.kubeconfig('token'), '--port=0', '--ui'], { env: { HOME: cluster.dir } });
  t.match(proxy.stdout(), `Serving the request inspector and API explorer at ${proxy.url}/-/ui/\n`);
  const before = cluster.api.requests.received;

  const page = await rawRequest(proxy.port, buildRawRequest('GET', '/-/ui/'));
  t.equal(page.status, 200);
  t.match(page.headers.get('content-security-policy')?.[0], /^default-src 'self'; .*frame-ancestors 'none'/);
  t.same(page.headers.get('x-content-type-options'), ['nosniff']);
  t.match(page.body.toString(), '<script src="app.js" defer></script>');
  const evil = await rawRequest(proxy.port, buildRawRequest('GET', '/-/ui/', { Host: 'evil.example.com' }));
  t.equal(evil.status, 403, 'a Host --accept-hosts refuses gets no page (DNS rebinding)');
  t.match(evil.body.toString(), /--accept-hosts/);
  t.equal((await rawRequest(proxy.port, buildRawRequest('GET', '/-/ui'))).headers.get('location')?.[0], '/-/ui/');
  t.equal((await rawRequest(proxy.port, buildRawRequest('POST', '/-/ui/events'))).status, 405);
  t.equal(cluster.api.requests.received, before, "none of the page's requests reached the API server");

  await rawRequest(proxy.port, buildRawRequest('GET', '/api/v1/namespaces/default/pods', { Authorization: `Bearer ${SECRETS.clientOwnToken}` }));
  await rawRequest(proxy.port, buildRawRequest('GET', '/api/v1/namespaces/default/configmaps'));
  const exec = await rawRequest(proxy.port, buildRawRequest('POST', '/api/v1/namespaces/default/pods/p/exec?command=ls', { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' }));
  t.equal(exec.status, 403, 'exec is refused by the default --reject-paths');
  const events = await rawRequest(proxy.port, buildRawRequest('GET', '/-/ui/requests/1'));
  const detail = JSON.parse(events.body.toString()) as { verb: string; status: number; requestHeaders: Record<string, string> };
  t.match(detail, { verb: 'list', status: 401, requestHeaders: { authorization: '[REDACTED]' } }, "the client's own token was sent (and refused), and is redacted");
  const second = (await rawRequest(proxy.port, buildRawRequest('GET', '/-/ui/requests/2'))).body.toString();
  t.match(JSON.parse(second), { status: 200, resource: 'configmaps' });
  const tunnel = JSON.parse((await rawRequest(proxy.port, buildRawRequest('GET', '/-/ui/requests/3'))).body.toString()) as Record<string, unknown>;
  t.match(tunnel, { stream: 'tunnel', status: 403, refusedBy: '--reject-paths', subresource: 'exec' }, 'an upgrade is recorded, refused and by which rule');
  for (const text of [events.body.toString(), second, JSON.stringify(tunnel)]) {
    t.notMatch(text, SECRETS.clientOwnToken);
    t.notMatch(text, SECRETS.userToken, 'the token kubegate adds upstream is never recorded');
  }
});

t.test('--demo turns the page on and prints its URL; --ui=false turns it off', async (t) => {
  const demo = await startKubegate(t, ['--demo', '--port=0']);
  t.match(demo.stdout(), `Serving the request inspector and API explorer at ${demo.url}/-/ui/\n`);
  t.equal((await rawRequest(demo.port, buildRawRequest('GET', '/-/ui/'))).status, 200);
  const off = await startKubegate(t, ['--demo', '--port=0', '--ui=false']);
  t.notMatch(off.stdout(), /request inspector/);
  t.equal((await rawRequest(off.port, buildRawRequest('GET', '/-/ui/'))).status, 404, 'proxied to the demo API server, which has no such path');
});
