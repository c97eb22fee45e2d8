import t from 'tap';
import { cleanPath, normalizePrefix, resolveRoute, resolveRouteByBytes, type Route, type RouteOptions } from '../../src/server/route.js';

const ROOT: RouteOptions = { apiPrefix: '/' };
const api = (upstreamPath: string, filterPath = upstreamPath, rawQuery = '', hasQuery = false): Route => ({ kind: 'api', filterPath, upstreamPath, rawQuery, hasQuery });

t.test('forwarding table of spec 2.4 (default prefix)', async (t) => {
  const rows: [string, string, Route][] = [
    ['plain exec path (rejected later by the filter)', '/api/v1/namespaces/default/pods/foo/exec', api('/api/v1/namespaces/default/pods/foo/exec')],
    ['%65xec is decoded for the filter, kept upstream', '/api/v1/namespaces/d/pods/foo/%65xec', api('/api/v1/namespaces/d/pods/foo/%65xec', '/api/v1/namespaces/d/pods/foo/exec')],
    ['%2F is decoded for the filter, kept upstream', '/api/v1/namespaces/d/pods/foo%2Fexec', api('/api/v1/namespaces/d/pods/foo%2Fexec', '/api/v1/namespaces/d/pods/foo/exec')],
    ['%61pi decoded', '/%61pi/v1/x', api('/%61pi/v1/x', '/api/v1/x')],
    ['%2e is not cleaned', '/api/v1/x/%2e/exec', api('/api/v1/x/%2e/exec', '/api/v1/x/./exec')],
    ['%2e%2e forwarded verbatim', '/api/v1/x/%2e%2e/y', api('/api/v1/x/%2e%2e/y', '/api/v1/x/../y')],
    ['encoded letter kept', '/api/v1/a%41b', api('/api/v1/a%41b', '/api/v1/aAb')],
    ['encoded space kept', '/api/v1/x%20y', api('/api/v1/x%20y', '/api/v1/x y')],
    ['encoded NUL kept', '/api/v1/x%00y', api('/api/v1/x%00y', '/api/v1/x\u0000y')],
    ['semicolon kept', '/api/v1/x;a=b', api('/api/v1/x;a=b')],
    ['double quote re-escaped', '/api/x"y', api('/api/x%22y', '/api/x"y')],
    ['angle brackets re-escaped', '/api/x<y>', api('/api/x%3Cy%3E', '/api/x<y>')],
    ['caret re-escaped', '/api/x^y', api('/api/x%5Ey', '/api/x^y')],
    ['backtick re-escaped', '/api/x`y', api('/api/x%60y', '/api/x`y')],
    ['pipe and braces re-escaped', '/api/x|y{z}', api('/api/x%7Cy%7Bz%7D', '/api/x|y{z}')],
    ['raw UTF-8 re-escaped', '/api/\u00c3\u00a9', api('/api/%C3%A9', '/api/é')],
    ['sub-delims unchanged', "/api/x'!$&()*+,;=:@[]y", api("/api/x'!$&()*+,;=:@[]y")],
    ['tilde and %7e unchanged', '/api/x~y%7e', api('/api/x~y%7e', '/api/x~y~')],
    ['query kept byte for byte', '/api/v1/x?a=%2F&b=c+d', api('/api/v1/x', '/api/v1/x', 'a=%2F&b=c+d', true)],
    ['malformed query escape kept', '/api/x?q=a%zz&b=<>', api('/api/x', '/api/x', 'q=a%zz&b=<>', true)],
    ['empty query is kept as a ?', '/api?', api('/api', '/api', '', true)],
    ['root: the filter sees an empty path, as after kubectl strips the / prefix', '/', api('/', '')],
  ];
  for (const [name, target, expected] of rows) t.same(resolveRoute(target, ROOT), expected, name);
});

t.test('unclean paths redirect before anything else, query kept', async (t) => {
  const rows: [string, string][] = [
    ['/api/v1/pods/foo/./exec', '/api/v1/pods/foo/exec'],
    ['/api/v1/pods/foo/x/../exec', '/api/v1/pods/foo/exec'],
    ['//api/v1/pods/foo/exec', '/api/v1/pods/foo/exec'],
    ['/api//v1/pods?x=1', '/api/v1/pods?x=1'],
    ['/apis/../api/v1/x', '/api/v1/x'],
    ['/api/v1/namespaces/..', '/api/v1'],
    ['/api/./', '/api/'],
    ['/../../etc/passwd', '/etc/passwd'],
  ];
  for (const [target, location] of rows) t.same(resolveRoute(target, ROOT), { kind: 'redirect', location }, target);
});

t.test('malformed path escapes are bad requests', async (t) => {
  for (const target of ['/api/x%zzy', '/api/x%', '/api/x%4']) t.equal(resolveRoute(target, ROOT).kind, 'bad-request', target);
});

t.test('prefix rules (spec 2.2)', async (t) => {
  const custom: RouteOptions = { apiPrefix: '/custom/' };
  t.same(resolveRoute('/custom/api/v1/pods', custom), api('/api/v1/pods'), 'prefix stripped');
  t.same(resolveRoute('/custom/', custom), api('/', ''), 'bare prefix is the root upstream');
  t.same(resolveRoute('/custom/custom/x', custom), api('/custom/x'), 'stripped once');
  t.same(resolveRoute('/custom/api/v1/a%2Fb', custom), api('/api/v1/a/b', '/api/v1/a/b'), 'escaping lost after stripping, as in kubectl');
  t.same(resolveRoute('/custom', custom), { kind: 'redirect', location: '/custom/' }, 'prefix without its slash redirects');
  t.same(resolveRoute('/custom?x=1', custom), { kind: 'redirect', location: '/custom/?x=1' });
  t.same(resolveRoute('/api/v1/pods', custom), { kind: 'not-found' }, 'outside the prefix');

  const apiPrefix: RouteOptions = { apiPrefix: '/api/' };
  t.same(resolveRoute('/api/v1/pods', apiPrefix), api('/api/v1/pods'), '/api prefixes are not stripped');
  t.same(resolveRoute('/apis/x', apiPrefix), { kind: 'not-found' });
  t.same(resolveRoute('/api', apiPrefix), { kind: 'redirect', location: '/api/' });

  const apix: RouteOptions = { apiPrefix: '/apix/' };
  t.same(resolveRoute('/apix/api/v1/pods', apix), api('/apix/api/v1/pods'), 'the /apix quirk: not stripped');

  t.same(resolveRoute('/k8s/api', { apiPrefix: 'k8s/' }), { kind: 'not-found' }, 'a prefix without a leading slash matches nothing');
});

t.test('static and API prefixes: the longest wins', async (t) => {
  const both: RouteOptions = { apiPrefix: '/', wwwPrefix: '/static/' };
  t.same(resolveRoute('/static/a/b.txt', both), { kind: 'static', path: '/a/b.txt' });
  t.same(resolveRoute('/static/', both), { kind: 'static', path: '/' });
  t.same(resolveRoute('/static', both), { kind: 'redirect', location: '/static/' });
  t.same(resolveRoute('/static/%2e%2e/x', both), { kind: 'static', path: '/../x' }, 'static.ts cleans and contains it');
  t.same(resolveRoute('/api', both), api('/api'));
});

t.test('absolute-form targets route on their path; with no path they redirect to / as Go’s mux does; * is not a path', async (t) => {
  t.same(resolveRoute('http://localhost:8001/api/v1?x=1', ROOT), api('/api/v1', '/api/v1', 'x=1', true));
  t.same(resolveRoute('http://localhost:8001', ROOT), { kind: 'redirect', location: '/' });
  t.same(resolveRoute('http://localhost:8001?x=1', ROOT), { kind: 'redirect', location: '/?x=1' });
  t.same(resolveRoute('http://localhost:8001', { apiPrefix: '/custom/' }), { kind: 'redirect', location: '/' }, 'whatever the prefix');
  t.same(resolveRoute('*', ROOT), { kind: 'not-found' });
});

t.test('cleanPath is Go ServeMux cleanPath', async (t) => {
  const rows: [string, string][] = [
    ['', '/'],
    ['a/b', '/a/b'],
    ['/a/b/', '/a/b/'],
    ['/a/./b/../c/', '/a/c/'],
    ['/..', '/'],
    ['//a//b', '/a/b'],
  ];
  for (const [input, output] of rows) t.equal(cleanPath(input), output, JSON.stringify(input));
});

t.test('normalizePrefix appends a slash and defaults to /', async (t) => {
  t.equal(normalizePrefix(''), '/');
  t.equal(normalizePrefix('/x'), '/x/');
  t.equal(normalizePrefix('/x/'), '/x/');
});

t.test('the shortcut for plain paths answers as the byte-level rules do, for every prefix set-up', async (t) => {
  const setups: RouteOptions[] = [
    ROOT,
    { apiPrefix: '/custom/' },
    { apiPrefix: '/api/' },
    { apiPrefix: '/apix/' },
    { apiPrefix: '/', wwwPrefix: '/static/' },
    { apiPrefix: '/k8s/', wwwPrefix: '/k8s/www/' },
    { apiPrefix: '/x/', wwwPrefix: '/' },
  ];
  // Every path of up to four pieces from plain characters, prefix words, dots and slashes, and the
  // characters that leave the shortcut (an escape, one to escape, a byte above 0x7f); with and
  // without a query.
  const pieces = ['/', 'a', '.', '..', 'api', 'custom', 'static', 'k8s', 'www', 'x', '-_~', '%2F', '%zz', ' ', '\u00e9', ';=@'];
  let compared = 0;
  let shortcut = 0;
  const differences: string[] = [];
  const visit = (path: string, depth: number): void => {
    for (const target of [path, `${path}?q=1`, `${path}?`]) {
      for (const setup of setups) {
        compared++;
        if (/^[A-Za-z0-9\-._~$&+,/:;=@]*$/.test(path)) shortcut++;
        const fast = resolveRoute(target, setup);
        const slow = resolveRouteByBytes(target, setup);
        if (JSON.stringify(fast) !== JSON.stringify(slow) && differences.length < 10) differences.push(`${JSON.stringify(target)} ${JSON.stringify(setup)}: ${JSON.stringify(fast)} vs ${JSON.stringify(slow)}`);
      }
    }
    if (depth === 4) return;
    for (const piece of pieces) visit(path + piece, depth + 1);
  };
  visit('/', 0);
  t.same(differences, [], `${compared} targets and set-ups compared`);
  t.ok(shortcut > compared / 4, `the shortcut applied to ${shortcut} of them`);
});
