import t from 'tap';
import { kubeconfigError } from '../../src/errors.js';
import { compileContextTable, decideContextRequest, type ContextTable, type ServedContext } from '../../src/server/context-route.js';
import { decideRequest, type Decision, type DecisionContext } from '../../src/server/decide.js';
import { DEFAULT_FILTER_FLAGS, compileFilter, type FilterFlags } from '../../src/server/filter.js';
import { compilePolicy } from '../../src/server/policy.js';

const live = (name: string): ServedContext => ({ name, server: `https://${name}.example:6443`, credentialsReady: () => true });
const broken: ServedContext = { name: 'broken', server: undefined, unusable: kubeconfigError('context "broken" refers to cluster "gone", which is not defined'), credentialsReady: () => false };
const CONTEXTS = [live('dev'), live('prod'), live('a/b'), broken];

function table(filter: Partial<FilterFlags> = {}, extra: Partial<DecisionContext> = {}): { table: ContextTable; single: DecisionContext } {
  const single: DecisionContext = { route: { apiPrefix: '/' }, filter: compileFilter({ ...DEFAULT_FILTER_FLAGS, ...filter }), ...extra };
  return { table: compileContextTable(CONTEXTS, single), single };
}
const localhost = { host: 'localhost:8001' };
const decide = (built: ContextTable, method: string, target: string, facts = localhost): Decision => decideContextRequest(method, target, facts, built);

t.test('a served context: the rest of the raw path is decided as a single-context kubegate decides it, tagged with the context', async (t) => {
  const { table: built, single } = table();
  for (const rest of ['/api/v1/namespaces/default/pods', '/api/v1/x%2Fy?watch=1', '/apis/apps/v1/deployments?labelSelector=a%3Db', '/']) {
    const multi = decide(built, 'GET', `/clusters/dev${rest}`);
    t.same(multi, { ...decideRequest('GET', rest, localhost, single), context: 'dev' }, rest);
  }
  t.match(decide(built, 'GET', '/clusters/a%252Fb/api'), { kind: 'api', context: 'a/b', upstreamPath: '/api' });
  t.match(decide(built, 'GET', 'http://localhost/clusters/prod/api'), { kind: 'api', context: 'prod', upstreamPath: '/api' }, 'absolute-form');
});

t.test('the default reject-paths refuse exec and attach under every prefix, as without it', async (t) => {
  const { table: built, single } = table();
  for (const rest of ['/api/v1/namespaces/d/pods/p/exec', '/api/v1/namespaces/d/pods/p%2Fattach', '/api/v1/namespaces/d/pods/p/%65xec?command=id']) {
    const expected = decideRequest('POST', rest, localhost, single);
    t.match(expected, { kind: 'reply', status: 403, rejectedBy: '--reject-paths' }, `single: ${rest}`);
    t.same(decide(built, 'POST', `/clusters/dev${rest}`), { ...expected, context: 'dev' }, `multi: ${rest}, the same refusal, counted for its context`);
  }
});

t.test('a nested /clusters/ stays in the first context, judged as that context\'s path', async (t) => {
  const { table: built } = table();
  t.match(decide(built, 'GET', '/clusters/dev/clusters/prod/api/v1/pods'), { kind: 'api', context: 'dev', upstreamPath: '/clusters/prod/api/v1/pods' });
  t.match(decide(built, 'POST', '/clusters/dev/clusters/prod/api/v1/namespaces/d/pods/p/exec'), { kind: 'api', context: 'dev' }, 'not an exec path for dev: /clusters/... is no API path');
});

t.test('--accept-paths sees the prefix: one context only', async (t) => {
  const { table: built } = table({ acceptPaths: '^/clusters/dev/' });
  t.match(decide(built, 'GET', '/clusters/dev/api/v1/pods'), { kind: 'api', context: 'dev' });
  t.match(decide(built, 'GET', '/clusters/prod/api/v1/pods'), { kind: 'reply', status: 403, rejectedBy: '--accept-paths' });
  t.match(decide(built, 'GET', '/clusters/'), { kind: 'reply', status: 403, rejectedBy: '--accept-paths' }, 'the listing names other contexts');
  t.match(decide(built, 'GET', '/clusters/nope/api'), { kind: 'reply', status: 403, rejectedBy: '--accept-paths' });
  const { table: perNamespace } = table({ acceptPaths: '^/clusters/[^/]+/api/v1/namespaces/default/' });
  t.match(decide(perNamespace, 'GET', '/clusters/prod/api/v1/namespaces/default/pods'), { kind: 'api', context: 'prod' });
  t.match(decide(perNamespace, 'GET', '/clusters/prod/api/v1/namespaces/kube-system/pods'), { kind: 'reply', status: 403, rejectedBy: '--accept-paths' });
});

t.test('--reject-paths is checked on the stripped and on the whole path; hosts and methods as always', async (t) => {
  const { table: built } = table({ rejectPaths: '^/clusters/prod/,^/api/v1/secrets', rejectMethods: '^DELETE$' });
  t.match(decide(built, 'GET', '/clusters/prod/api/v1/pods'), { kind: 'reply', status: 403, rejectedBy: '--reject-paths' });
  t.match(decide(built, 'GET', '/clusters/dev/api/v1/secrets'), { kind: 'reply', status: 403, rejectedBy: '--reject-paths' });
  t.match(decide(built, 'GET', '/clusters/dev/api/v1/pods'), { kind: 'api', context: 'dev' });
  t.match(decide(built, 'DELETE', '/clusters/dev/api/v1/namespaces/x'), { kind: 'reply', status: 403, rejectedBy: '--reject-methods' });
  for (const target of ['/clusters/dev/api/v1/pods', '/clusters/', '/clusters/nope/api', '/api', '/clusters/broken/api']) {
    t.match(decide(built, 'GET', target, { host: 'evil.example' }), { kind: 'reply', status: 403, rejectedBy: '--accept-hosts' }, `a foreign Host learns nothing at ${target}`);
  }
});

t.test('presets judge the stripped path (kube-apiserver\'s reading of it)', async (t) => {
  const { table: built } = table({}, { policy: compilePolicy({ readOnly: true, denySecrets: true }) });
  t.match(decide(built, 'GET', '/clusters/dev/api/v1/namespaces/default/pods'), { kind: 'api', context: 'dev', info: { resource: 'pods', verb: 'list' } });
  t.match(decide(built, 'GET', '/clusters/dev/api/v1/namespaces/default/secrets/s'), { kind: 'reply', status: 403, refusedByPolicy: { rule: '--deny-secrets' }, context: 'dev' });
  t.match(decide(built, 'POST', '/clusters/dev/api/v1/namespaces/default/configmaps'), { kind: 'reply', status: 403, refusedByPolicy: { rule: '--read-only' }, context: 'dev' });
});

t.test('the mux: clean-path redirects on the whole path, prefix redirects kept under the context', async (t) => {
  const { table: built } = table({}, { route: { apiPrefix: '/custom/' } });
  t.match(decide(built, 'GET', '/clusters/dev/../prod/custom/api'), { kind: 'reply', status: 301, headers: { location: '/clusters/prod/custom/api' } });
  t.match(decide(built, 'GET', '/clusters/dev//custom/api'), { kind: 'reply', status: 301, headers: { location: '/clusters/dev/custom/api' } });
  t.match(decide(built, 'GET', '/clusters/dev/custom'), { kind: 'reply', status: 301, headers: { location: '/clusters/dev/custom/' } });
  t.match(decide(built, 'GET', '/clusters/dev/custom/api/v1/pods'), { kind: 'api', context: 'dev', upstreamPath: '/api/v1/pods' }, '--api-prefix inside the context');
  t.match(decide(built, 'GET', '/clusters/dev'), { kind: 'reply', status: 301, headers: { location: '/clusters/dev/' } });
  t.match(decide(built, 'GET', '/clusters?x=1'), { kind: 'reply', status: 301, headers: { location: '/clusters/?x=1' } });
});

t.test('not served: a 404 Status naming every served context and its path', async (t) => {
  const { table: built } = table();
  for (const target of ['/clusters/nope/api/v1/pods', '/clusters/DEV/api/v1/pods', '/clusters/d%65v/api/v1/pods', '/clusters/a%2Fb/api/v1/pods', '/api/v1/pods']) {
    const decision = decide(built, 'GET', target);
    t.match(decision, { kind: 'reply', status: 404 }, target);
    if (decision.kind !== 'reply') continue;
    const status = JSON.parse(decision.body) as { reason: string; message: string };
    t.equal(status.reason, 'NotFound');
    t.match(status.message, 'served: "dev" (/clusters/dev/), "prod" (/clusters/prod/), "a/b" (/clusters/a%252Fb/), "broken" (/clusters/broken/)');
  }
});

t.test('an unusable context answers its own requests with its cause, after the filter', async (t) => {
  const { table: built } = table();
  const decision = decide(built, 'GET', '/clusters/broken/api/v1/pods');
  t.match(decision, { kind: 'reply', status: 500 });
  if (decision.kind === 'reply') t.match(JSON.parse(decision.body) as unknown, { kind: 'Status', reason: 'InternalError', message: 'context "broken" cannot be served: context "broken" refers to cluster "gone", which is not defined' });
  t.match(decide(built, 'GET', '/clusters/broken/api'), { kind: 'reply', status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' } }, 'as text where kubectl reads the body raw');
  t.match(decide(built, 'POST', '/clusters/broken/api/v1/namespaces/d/pods/p/exec'), { kind: 'reply', status: 403, rejectedBy: '--reject-paths' });
});

t.test('GET /clusters/: name, path, server, credential readiness; never a secret; GET and HEAD only', async (t) => {
  const { table: built } = table();
  const decision = decide(built, 'GET', '/clusters/');
  t.match(decision, { kind: 'reply', status: 200, headers: { 'content-type': 'application/json' } });
  if (decision.kind !== 'reply') return;
  t.same(JSON.parse(decision.body), {
    kind: 'ClusterList',
    clusters: [
      { name: 'dev', path: '/clusters/dev/', server: 'https://dev.example:6443', credentialsReady: true },
      { name: 'prod', path: '/clusters/prod/', server: 'https://prod.example:6443', credentialsReady: true },
      { name: 'a/b', path: '/clusters/a%252Fb/', server: 'https://a/b.example:6443', credentialsReady: true },
      { name: 'broken', path: '/clusters/broken/', server: null, credentialsReady: false, error: 'context "broken" refers to cluster "gone", which is not defined' },
    ],
  });
  t.match(decide(built, 'POST', '/clusters/'), { kind: 'reply', status: 405, headers: { allow: 'GET, HEAD' } });
});
