import t from 'tap';
import { DEFAULT_FILTER_FLAGS, acceptRequest, compileFilter, hostForFilter, splitHostPort, type FilterFlags } from '../src/filter.js';
import { resolveRoute } from '../src/route.js';

const defaults = compileFilter(DEFAULT_FILTER_FLAGS);

/** The filter as kubegate applies it: to the decoded, prefix-stripped path that route.ts produces. */
function decide(target: string, method = 'GET', host = 'localhost') {
  const route = resolveRoute(target, { apiPrefix: '/' });
  if (route.kind !== 'api') throw new Error(`${target} did not route to the API (${route.kind})`);
  return acceptRequest(defaults, method, route.filterPath, host);
}

t.test('default filter: exec and attach are rejected however the path is spelled', async (t) => {
  const rejected = [
    '/api/v1/namespaces/default/pods/foo/exec',
    '/api/v1/namespaces/default/pods/foo/exec/',
    '/api/v1/namespaces/default/pods/foo/exec?command=ls',
    '/api/v1/namespaces/default/pods/foo/exec;x',
    '/api/v1/namespaces/default/pods/foo/exec%3Fx',
    '/api/v1/namespaces/default/pods/foo/execfoo',
    '/api/v1/namespaces/default/pods/foo/%65xec',
    '/api/v1/namespaces/default/pods/foo%2Fexec',
    '/%61pi/v1/namespaces/default/pods/foo/exec',
    '/api/v1/namespaces/default/pods/foo/%2e/exec',
    '/api/v1/namespaces/default/pods/foo/%2E/exec',
    '/api/v1/namespaces/default/pods/foo/attach',
    '/api/v1/namespaces/default/pods/foo/%61ttach',
  ];
  for (const target of rejected) {
    const decision = decide(target);
    t.equal(decision.accepted, false, target);
    if (!decision.accepted) t.equal(decision.flag, '--reject-paths', `${target}: names the flag`);
  }
  t.equal(decide('/api/v1/namespaces/d/pods/foo/exec', 'POST').accepted, false, 'any method');
});

t.test('default filter: what kubectl proxy lets through', async (t) => {
  const accepted = [
    '/api/v1/namespaces/default/pods/foo/portforward',
    '/api/v1/namespaces/default/pods/foo/proxy',
    '/API/v1/namespaces/default/pods/foo/exec',
    '/apis/v1/namespaces/default/pods/foo/exec',
    '/api/pods/x/exec',
    '/api/v1/pods/exec',
    '/api',
    '/',
  ];
  for (const target of accepted) t.same(decide(target), { accepted: true }, target);
});

t.test('the rejection message names the flag and the rule, and how to allow exec', async (t) => {
  const decision = decide('/api/v1/namespaces/a/pods/b/exec');
  t.match(decision, {
    accepted: false,
    flag: '--reject-paths',
    rule: '^/api/.*/pods/.*/exec',
    message: /matches --reject-paths rule "\^\/api\/\.\*\/pods\/\.\*\/exec".*--reject-paths='\^\$'/,
  });
});

t.test('order: reject-paths, then reject-methods, then accept-paths AND accept-hosts', async (t) => {
  const filter = compileFilter({ acceptHosts: '^ok$', acceptPaths: '^/api', rejectPaths: '/secret', rejectMethods: 'DELETE' });
  t.match(acceptRequest(filter, 'DELETE', '/api/secret', 'ok'), { accepted: false, flag: '--reject-paths' });
  t.match(acceptRequest(filter, 'DELETE', '/api/x', 'ok'), { accepted: false, flag: '--reject-methods' });
  t.match(acceptRequest(filter, 'GET', '/other', 'ok'), { accepted: false, flag: '--accept-paths' });
  t.match(acceptRequest(filter, 'GET', '/api/x', 'evil'), { accepted: false, flag: '--accept-hosts' });
  t.same(acceptRequest(filter, 'GET', '/api/x', 'ok'), { accepted: true });
});

t.test('regexes are unanchored and methods case-sensitive', async (t) => {
  const filter = compileFilter({ ...DEFAULT_FILTER_FLAGS, rejectMethods: 'POST' });
  t.match(acceptRequest(filter, 'XPOST', '/api', 'localhost'), { accepted: false }, 'POST blocks XPOST, as in kubectl');
  t.same(acceptRequest(filter, 'post', '/api', 'localhost'), { accepted: true });
});

t.test('an empty list never matches: empty accept-* rejects all, empty reject-* rejects nothing', async (t) => {
  const flags = (over: Partial<FilterFlags>) => compileFilter({ ...DEFAULT_FILTER_FLAGS, ...over });
  t.match(acceptRequest(flags({ acceptHosts: '' }), 'GET', '/api', 'localhost'), { accepted: false, flag: '--accept-hosts' });
  t.match(acceptRequest(flags({ acceptPaths: '' }), 'GET', '/api', 'localhost'), { accepted: false, flag: '--accept-paths' });
  t.same(acceptRequest(flags({ rejectPaths: '' }), 'GET', '/api/v1/namespaces/a/pods/b/exec', 'localhost'), { accepted: true });
  t.same(acceptRequest(flags({ rejectMethods: '' }), 'DELETE', '/api', 'localhost'), { accepted: true });
});

t.test('lists split on every comma, as kubectl does (x{1,3} becomes two patterns)', async (t) => {
  const filter = compileFilter({ ...DEFAULT_FILTER_FLAGS, rejectPaths: 'x{1,3}' });
  t.equal(filter.rejectPaths.length, 2);
  t.same(filter.rejectPaths.map((rule) => rule.source), ['x{1', '3}']);
});

t.test('a bad regex is a start-up error naming the flag and the pattern', async (t) => {
  t.throws(() => compileFilter({ ...DEFAULT_FILTER_FLAGS, acceptPaths: '^/api/(' }), { code: 'KG_ERR_REGEX', message: /"\^\/api\/\(" in --accept-paths/ });
  t.throws(() => compileFilter({ ...DEFAULT_FILTER_FLAGS, rejectMethods: 'a,[' }), { code: 'KG_ERR_REGEX', message: /--reject-methods.*split on every comma/ });
});

t.test('RE2 spellings: leading (?i) and (?P<name>) work', async (t) => {
  const filter = compileFilter({ ...DEFAULT_FILTER_FLAGS, acceptHosts: '(?i)^LOCALHOST$,(?P<h>^example\\.com$)' });
  t.same(acceptRequest(filter, 'GET', '/api', 'localhost'), { accepted: true });
  t.same(acceptRequest(filter, 'GET', '/api', 'example.com'), { accepted: true });
});

t.test('Host extraction: kubectl extractHost, with [::1]:PORT accepted (deliberate difference 1)', async (t) => {
  const rows: [string | undefined, string | undefined, string, boolean][] = [
    ['localhost:8001', undefined, 'localhost', true],
    ['127.0.0.1:8001', undefined, '127.0.0.1', true],
    ['[::1]:8001', undefined, '[::1]', true],
    ['[::1]', undefined, '[::1]', true],
    ['localhost', undefined, 'localhost', true],
    // Deliberate difference: kubectl keeps "localhost" (Go's SplitHostPort does not check the port).
    ['localhost:abc', undefined, 'localhost:abc', false],
    ['localhost:8001@evil.com', undefined, 'localhost:8001@evil.com', false],
    ['localhost:', undefined, 'localhost', true],
    ['LOCALHOST', undefined, 'LOCALHOST', false],
    ['localhost.', undefined, 'localhost.', false],
    ['', undefined, '', false],
    [undefined, undefined, '', false],
    ['::1', undefined, '::1', false],
    ['evil.com:8001', undefined, 'evil.com', false],
    ['localhost', 'evil', 'evil', false],
    ['evil', 'localhost:5', 'localhost', true],
    ['user@localhost:80', undefined, 'user@localhost', false],
  ];
  for (const [header, absolute, host, accepted] of rows) {
    t.equal(hostForFilter(header, absolute), host, `host of ${JSON.stringify(header)} / ${JSON.stringify(absolute)}`);
    t.equal(acceptRequest(defaults, 'GET', '/api', host).accepted, accepted, `${JSON.stringify(host)} accepted: ${accepted}`);
  }
});

t.test('splitHostPort follows Go', async (t) => {
  t.same(splitHostPort('a:1'), { host: 'a', port: '1' });
  t.same(splitHostPort('[::1]:2'), { host: '::1', port: '2' });
  t.equal(splitHostPort('a'), undefined, 'missing port');
  t.equal(splitHostPort('a:b:c'), undefined, 'too many colons');
  t.equal(splitHostPort('[::1]x:2'), undefined);
  t.equal(splitHostPort('[a]'), undefined);
});
