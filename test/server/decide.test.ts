import t from 'tap';
import { DEFAULT_FILTER_FLAGS, compileFilter } from '../../src/server/filter.js';
import { absoluteTargetHost, decideRequest, type DecisionContext } from '../../src/server/decide.js';
import { isStreamingRequest } from '../../src/server/decide.js';
import { compilePolicy } from '../../src/server/policy.js';

const context: DecisionContext = { route: { apiPrefix: '/', wwwPrefix: '/static/' }, filter: compileFilter(DEFAULT_FILTER_FLAGS) };

t.test('mux replies come first, with Go bodies', async (t) => {
  t.match(decideRequest('GET', '/api//v1', { host: 'localhost' }, context), { kind: 'reply', status: 301, headers: { location: '/api/v1' }, body: '<a href="/api/v1">Moved Permanently</a>.\n\n' });
  t.match(decideRequest('DELETE', '/api//v1', { host: 'localhost' }, context), { kind: 'reply', status: 301, body: '' });
  t.match(decideRequest('GET', '/api/x%zz', { host: 'localhost' }, context), { kind: 'refuse', statusLine: '400 Bad Request', body: '400 Bad Request' });
  t.match(decideRequest('GET', '/static/a.txt', { host: 'evil' }, context), { kind: 'static', path: '/a.txt' }, 'static files are not filtered');
});

t.test('filter rejections are 403 Status bodies naming the flag', async (t) => {
  const decision = decideRequest('GET', '/api/v1/namespaces/a/pods/b/exec', { host: 'localhost:8001' }, context);
  t.match(decision, { kind: 'reply', status: 403, rejectedBy: '--reject-paths', headers: { 'content-type': 'application/json' } });
  if (decision.kind === 'reply') t.match(JSON.parse(decision.body) as unknown, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403 });
  t.match(decideRequest('GET', '/api', { host: 'evil.com' }, context), { kind: 'reply', status: 403, rejectedBy: '--accept-hosts' });
});

t.test('a rejected discovery document is the message as text, which kubectl prints (client-go reads it raw)', async (t) => {
  const onlyPods: DecisionContext = { ...context, filter: compileFilter({ ...DEFAULT_FILTER_FLAGS, acceptPaths: '^/api/v1/namespaces/default/pods' }) };
  for (const target of ['/api', '/apis', '/version', '/openapi/v3', '/openapi/v3/apis/apps/v1', '/openapi/v2?timeout=32s']) {
    const decision = decideRequest('GET', target, { host: 'localhost' }, onlyPods);
    t.match(decision, { kind: 'reply', status: 403, rejectedBy: '--accept-paths', headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } }, target);
    if (decision.kind === 'reply') t.match(decision.body, /^request rejected by kubegate's filter: path ".*" matches no --accept-paths rule.*\n$/, `${target}: the rule, as text`);
  }
  const list = decideRequest('GET', '/api/v1/namespaces/other/pods', { host: 'localhost' }, onlyPods);
  t.match(list, { kind: 'reply', status: 403, headers: { 'content-type': 'application/json' } }, 'anything else stays a Status');
  const deleted = decideRequest('DELETE', '/api', { host: 'localhost' }, { ...context, filter: compileFilter({ ...DEFAULT_FILTER_FLAGS, rejectMethods: 'DELETE' }) });
  t.match(deleted, { kind: 'reply', status: 403, headers: { 'content-type': 'application/json' } }, 'only GET and HEAD are raw reads');
});

t.test('accepted requests carry the upstream path and raw query', async (t) => {
  t.same(decideRequest('GET', '/api/v1/pods?watch=1', { host: 'localhost' }, context), { kind: 'api', upstreamPath: '/api/v1/pods', query: 'watch=1', filterPath: '/api/v1/pods', streaming: true });
  t.same(decideRequest('GET', '/api/v1/pods', { host: 'localhost' }, context), { kind: 'api', upstreamPath: '/api/v1/pods', query: undefined, filterPath: '/api/v1/pods', streaming: false });
});

t.test('--disable-filter lets everything through', async (t) => {
  t.match(decideRequest('GET', '/api/v1/namespaces/a/pods/b/exec', { host: 'evil' }, { ...context, filter: undefined }), { kind: 'api' });
});

t.test('absolute-form targets name the host the filter checks', async (t) => {
  t.equal(absoluteTargetHost('http://evil:80/api'), 'evil:80');
  t.equal(absoluteTargetHost('http://user@localhost:1/api'), 'localhost:1');
  t.equal(absoluteTargetHost('/api'), undefined);
  t.match(decideRequest('GET', 'http://evil/api', { host: 'localhost' }, context), { kind: 'reply', status: 403 });
});

t.test('watches and follows are recognised as streams', async (t) => {
  t.ok(isStreamingRequest('/api/v1/pods', 'watch=true'));
  t.ok(isStreamingRequest('/api/v1/pods', 'a=b&watch=1'));
  t.ok(isStreamingRequest('/api/v1/watch/pods', ''));
  t.ok(isStreamingRequest('/api/v1/namespaces/d/pods/p/log', 'follow=true'));
  t.notOk(isStreamingRequest('/api/v1/pods', 'watch=false'));
  t.notOk(isStreamingRequest('/api/v1/pods', 'nowatch=true'));
});

t.test("what Go's server refuses before routing is refused in its words, in its order", async (t) => {
  const host = { host: 'localhost', hostCount: 1, httpVersion: '1.1' };
  const refuse = (statusLine: string, body = statusLine) => ({ kind: 'refuse', statusLine, body });
  const rows: [string, string, Parameters<typeof decideRequest>[2], ReturnType<typeof refuse>][] = [
    ['no Host on HTTP/1.1', '/api', { hostCount: 0, httpVersion: '1.1' }, refuse('400 Bad Request: missing required Host header')],
    ['a Host with a space', '/api', { ...host, host: 'local host' }, refuse('400 Bad Request: malformed Host header')],
    ['a Host with user info', '/api', { ...host, host: 'user@localhost' }, refuse('400 Bad Request: malformed Host header')],
    ['a Host with a non-ASCII byte', '/api', { ...host, host: 'caf\xe9' }, refuse('400 Bad Request: malformed Host header')],
    ['two Hosts', '/api', { ...host, hostCount: 2 }, refuse('400 Bad Request')],
    ['gzip coding', '/api', { ...host, transferEncodings: ['gzip'] }, refuse('501 Not Implemented', 'Unsupported transfer encoding')],
    ['gzip before chunked', '/api', { ...host, transferEncodings: ['gzip, chunked'] }, refuse('501 Not Implemented', 'Unsupported transfer encoding')],
    ['chunked twice', '/api', { ...host, transferEncodings: ['chunked', 'chunked'] }, refuse('501 Not Implemented', 'Unsupported transfer encoding')],
    ['a bad escape comes before everything', '/api/%zz', { hostCount: 0, httpVersion: '1.1' }, refuse('400 Bad Request')],
    ['two Hosts come before the coding', '/api', { ...host, hostCount: 2, transferEncodings: ['gzip'] }, refuse('400 Bad Request')],
    ['the coding comes before the missing Host', '/api', { hostCount: 0, httpVersion: '1.1', transferEncodings: ['gzip'] }, refuse('501 Not Implemented', 'Unsupported transfer encoding')],
  ];
  for (const [name, target, facts, expected] of rows) t.same(decideRequest('GET', target, facts, context), expected, name);

  t.match(decideRequest('GET', '/api', { hostCount: 0, httpVersion: '1.0' }, context), { kind: 'reply', status: 403 }, 'HTTP/1.0 needs no Host (the filter then sees none)');
  t.match(decideRequest('GET', '/api', { ...host, transferEncodings: [' Chunked '] }, context), { kind: 'api' }, 'one chunked, any case');
  t.match(decideRequest('GET', '/api', { hostCount: 0, httpVersion: '1.0', transferEncodings: ['gzip'] }, context), { kind: 'reply' }, 'Go ignores Transfer-Encoding on HTTP/1.0');
  t.match(decideRequest('GET', '/api', { ...host, host: "[::1]:8001" }, context), { kind: 'api' }, 'IPv6 literals are well formed');
  t.match(decideRequest('GET', '/api', { ...host, host: 'localhost:abc' }, context), { kind: 'reply', status: 403 }, 'a bad port is the filter’s business');
});

t.test('the * target: OPTIONS is a 200 with nothing; any other method an empty 400 that closes', async (t) => {
  t.same(decideRequest('OPTIONS', '*', { host: 'localhost' }, context), { kind: 'reply', status: 200, headers: {}, body: '' });
  t.same(decideRequest('GET', '*', { host: 'localhost' }, context), { kind: 'reply', status: 400, headers: { connection: 'close' }, body: '' });
  t.match(decideRequest('OPTIONS', '*', { hostCount: 0, httpVersion: '1.1' }, context), { kind: 'refuse' }, 'a Host is still required');
});

t.test('a policy refusal: the RBAC-shaped Status, and the rule that refused it for the log and the metric', async (t) => {
  const policy = compilePolicy({ denySecrets: true });
  const decision = decideRequest('GET', '/api/v1/namespaces/default/secrets/db', { host: 'localhost' }, { ...context, policy });
  const message = 'secrets "db" is forbidden: kubegate policy (--deny-secrets) does not allow get on resource "secrets" in API group "" in the namespace "default"';
  t.match(decision, { kind: 'reply', status: 403, refusedByPolicy: { rule: '--deny-secrets', message } });
  t.equal(decision.kind === 'reply' ? decision.rejectedBy : 'not a reply', undefined, 'not counted as a filter rejection');
  t.match(JSON.parse(decision.kind === 'reply' ? decision.body : '{}'), { kind: 'Status', code: 403, reason: 'Forbidden', message, details: { name: 'db', kind: 'secrets' } });
  t.match(decideRequest('GET', '/api/v1/namespaces/default/configmaps', { host: 'localhost' }, { ...context, policy }), { kind: 'api', info: { resource: 'configmaps', verb: 'list' } });
});
