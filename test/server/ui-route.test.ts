import t from 'tap';
import { decideRequest, type DecisionContext } from '../../src/server/decide.js';
import { DEFAULT_FILTER_FLAGS, compileFilter } from '../../src/server/filter.js';
import { UI_PREFIX, isUiTarget, resolveUiRoute } from '../../src/server/ui-route.js';

const filter = compileFilter(DEFAULT_FILTER_FLAGS);
const withUi: DecisionContext = { route: { apiPrefix: '/' }, filter, ui: true };
const withoutUi: DecisionContext = { route: { apiPrefix: '/' }, filter };

t.test('the prefix is /-/ui/, which no Kubernetes path can start with', async (t) => {
  t.equal(UI_PREFIX, '/-/ui/');
  for (const target of ['/-/ui', '/-/ui/', '/-/ui/app.js', '/-/ui?x=1']) t.ok(isUiTarget(target), target);
  for (const target of ['/-/uix', '/api/-/ui/', '/-/', '/', '/api']) t.notOk(isUiTarget(target), target);
});

t.test('the page, for Hosts the filter accepts', async (t) => {
  t.same(resolveUiRoute('GET', '/-/ui/', 'localhost', filter), { kind: 'page', path: '' });
  t.same(resolveUiRoute('GET', '/-/ui/requests/4?x', '127.0.0.1', filter), { kind: 'page', path: 'requests/4' });
  t.same(resolveUiRoute('HEAD', '/-/ui/app.js', '[::1]', filter), { kind: 'page', path: 'app.js' });
  t.match(resolveUiRoute('GET', '/-/ui/', 'evil.example.com', filter), { kind: 'reject', message: /Host "evil.example.com" matches no --accept-hosts rule/ });
  t.same(resolveUiRoute('GET', '/-/ui/', 'evil.example.com', undefined), { kind: 'page', path: '' }, '--disable-filter: no Host rule at all');
  t.same(resolveUiRoute('POST', '/-/ui/events', 'localhost', filter), { kind: 'method-not-allowed' });
  t.same(resolveUiRoute('GET', '/-/ui', 'localhost', filter), { kind: 'redirect', location: '/-/ui/' });
  t.equal(resolveUiRoute('GET', '/-/ui/../api', 'localhost', filter), undefined, 'an unclean path takes the ordinary route');
  t.equal(resolveUiRoute('GET', '/-/ui/%2e%2e/api', 'localhost', filter), undefined);
});

t.test('decideRequest: the page decided once, filtered like the API', async (t) => {
  t.same(decideRequest('GET', '/-/ui/', { host: 'localhost:8001' }, withUi), { kind: 'ui', path: '' });
  t.match(decideRequest('GET', '/-/ui/', { host: 'evil.example.com:8001' }, withUi), { kind: 'reply', status: 403, rejectedBy: '--accept-hosts' });
  t.match(decideRequest('GET', '/-/ui', { host: 'localhost' }, withUi), { kind: 'reply', status: 301, headers: { location: '/-/ui/' } });
  t.match(decideRequest('DELETE', '/-/ui/', { host: 'localhost' }, withUi), { kind: 'reply', status: 405, headers: { allow: 'GET, HEAD' } });
  t.match(decideRequest('GET', '/-/ui/../api', { host: 'localhost' }, withUi), { kind: 'reply', status: 301, headers: { location: '/api' } }, "Go's clean-path redirect, as for any path");
  t.match(decideRequest('GET', '/-/ui/', { host: 'localhost', hostCount: 2 }, withUi), { kind: 'refuse' }, "what Go's server refuses is refused first");
  t.match(decideRequest('GET', '/api/v1/pods', { host: 'localhost' }, withUi), { kind: 'api' }, 'everything else as before');
});

t.test('without --ui the prefix is an ordinary API path: forwarded, or filtered, as before', async (t) => {
  t.match(decideRequest('GET', '/-/ui/', { host: 'localhost' }, withoutUi), { kind: 'api', upstreamPath: '/-/ui/', filterPath: '/-/ui/' });
  t.match(decideRequest('GET', '/-/ui/', { host: 'evil.example.com' }, withoutUi), { kind: 'reply', status: 403, rejectedBy: '--accept-hosts' });
  t.match(decideRequest('GET', '/-/ui', { host: 'localhost' }, withoutUi), { kind: 'api', upstreamPath: '/-/ui' }, 'no redirect of its own');
});
