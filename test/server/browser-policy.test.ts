import t from 'tap';
import { checkBrowserRequest, compileBrowserPolicy, unanchoredPatterns } from '../../src/server/browser-policy.js';

const APP = 'https://app.example.com';

t.test('neither flag: no policy at all (kubectl proxy behaviour)', async (t) => {
  t.equal(compileBrowserPolicy({}), undefined);
});

t.test('--accept-origins: requests without Origin pass; listed origins pass; others are rejected naming the flag', async (t) => {
  const policy = compileBrowserPolicy({ acceptOrigins: '^https://app\\.example\\.com$' });
  if (!policy) throw new Error('expected a policy');
  t.same(checkBrowserRequest(policy, 'GET', undefined, undefined, undefined), { kind: 'pass', responseHeaders: undefined }, 'curl, kubectl');
  t.same(checkBrowserRequest(policy, 'POST', APP, undefined, undefined), { kind: 'pass', responseHeaders: undefined }, 'accepted, but no CORS headers');
  t.match(checkBrowserRequest(policy, 'POST', 'https://evil.example', undefined, undefined), {
    kind: 'reject',
    flag: '--accept-origins',
    message: /Origin "https:\/\/evil\.example" matches no --accept-origins rule/,
  });
  t.match(checkBrowserRequest(policy, 'GET', 'null', undefined, undefined), { kind: 'reject' }, 'sandboxed frames and file: pages send Origin: null');
  t.match(checkBrowserRequest(policy, 'GET', `${APP}.evil.example`, undefined, undefined), { kind: 'reject' }, 'anchored patterns do not match longer origins');
});

t.test('--cors-allow-origins: CORS headers for listed origins, preflights answered, others refused', async (t) => {
  const policy = compileBrowserPolicy({ corsAllowOrigins: '^https://app\\.example\\.com$' });
  if (!policy) throw new Error('expected a policy');
  t.same(checkBrowserRequest(policy, 'GET', APP, undefined, undefined), {
    kind: 'pass',
    responseHeaders: { 'access-control-allow-origin': APP, 'access-control-expose-headers': 'Audit-Id, Content-Type, Content-Encoding, Warning, Retry-After', vary: 'Origin' },
  });
  t.same(checkBrowserRequest(policy, 'OPTIONS', APP, 'DELETE', 'content-type'), {
    kind: 'preflight',
    headers: {
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '600',
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    },
  });
  t.match(checkBrowserRequest(policy, 'OPTIONS', 'https://evil.example', 'DELETE', undefined), { kind: 'reject', flag: '--cors-allow-origins' });
  t.same(checkBrowserRequest(policy, 'GET', 'https://evil.example', undefined, undefined), { kind: 'pass', responseHeaders: undefined }, 'without --accept-origins an unlisted origin gets no CORS headers, so its page cannot read the answer');
  t.equal(checkBrowserRequest(policy, 'OPTIONS', APP, undefined, undefined).kind, 'pass', 'an OPTIONS that is not a preflight is forwarded');
});

t.test('both: a CORS origin is accepted even when not in --accept-origins', async (t) => {
  const policy = compileBrowserPolicy({ acceptOrigins: '^https://tools\\.example$', corsAllowOrigins: '^https://app\\.example\\.com$' });
  if (!policy) throw new Error('expected a policy');
  t.equal(checkBrowserRequest(policy, 'GET', APP, undefined, undefined).kind, 'pass');
  t.equal(checkBrowserRequest(policy, 'GET', 'https://tools.example', undefined, undefined).kind, 'pass');
  t.equal(checkBrowserRequest(policy, 'GET', 'https://other.example', undefined, undefined).kind, 'reject');
});

t.test('unanchored patterns are reported', async (t) => {
  t.same(unanchoredPatterns({ acceptOrigins: '^https://a$,https://b', corsAllowOrigins: '^https://c' }), ['https://b', '^https://c']);
});

t.test('a bad regex is a clear error naming the flag', async (t) => {
  t.throws(() => compileBrowserPolicy({ acceptOrigins: '(' }), { code: 'KG_ERR_REGEX', message: /in --accept-origins/ });
});

t.test('origin patterns are Go regexps over the header bytes read as UTF-8 (Node gives them as latin1)', async (t) => {
  const policy = compileBrowserPolicy({ acceptOrigins: '^https://\\pL+\\.example$' });
  if (!policy) throw new Error('expected a policy');
  const asNodeGivesIt = Buffer.from('https://dév.example', 'utf8').toString('latin1');
  t.same(checkBrowserRequest(policy, 'GET', asNodeGivesIt, undefined, undefined), { kind: 'pass', responseHeaders: undefined }, 'é is one letter, as in Go');
  t.match(checkBrowserRequest(policy, 'GET', 'https://d3v.example', undefined, undefined), { kind: 'reject' });
});
