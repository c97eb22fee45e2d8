import t from 'tap';
import { DEFAULT_FILTER_FLAGS, acceptRequest, compileFilter, compileRules, hostForFilter, splitHostPort, type FilterFlags } from '../../src/server/filter.js';
import { resolveRoute } from '../../src/server/route.js';

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

/**
 * Patterns from Go's regexp/syntax documentation, each with what Go's MatchString says. Most of the
 * `matches: true` rows were false in kubegate's old RegExp translation, which read them as other
 * JavaScript (`[[:alpha:]]` is the set `[:alph` followed by `]`, `\z` is the letter z, …).
 */
const GO_MATCH_ROWS: readonly { name: string; pattern: string; text: string; matches: boolean }[] = [
  { name: 'POSIX class [[:alpha:]]', pattern: '^/api/v1/namespaces/[[:alpha:]]+/secrets', text: '/api/v1/namespaces/default/secrets', matches: true },
  { name: 'POSIX class does not match digits', pattern: '^/ns/[[:alpha:]]+$', text: '/ns/team1', matches: false },
  { name: 'negated POSIX class [[:^alpha:]]', pattern: '^[[:^alpha:]]$', text: '1', matches: true },
  { name: 'POSIX class [[:word:]]', pattern: '^[[:word:]]+$', text: 'kube_system1', matches: true },
  { name: 'one-letter Unicode class \\pL', pattern: '^/x/\\pL+$', text: '/x/héllo', matches: true },
  { name: '\\pL is letters only', pattern: '^/x/\\pL+$', text: '/x/h3', matches: false },
  { name: 'negated one-letter class \\PL', pattern: '^\\PL$', text: '7', matches: true },
  { name: 'Unicode script \\p{Greek}', pattern: '^\\p{Greek}+$', text: 'αβγ', matches: true },
  { name: '\\p{Greek} is not Latin', pattern: '^\\p{Greek}+$', text: 'abc', matches: false },
  { name: 'negated script \\p{^Greek}', pattern: '^\\p{^Greek}+$', text: 'abc', matches: true },
  { name: 'end of text \\z', pattern: '/secrets\\z', text: '/api/v1/secrets', matches: true },
  { name: '\\z is not the letter z', pattern: '/secrets\\z', text: '/api/v1/secretsz', matches: false },
  { name: 'beginning of text \\A', pattern: '\\A/api', text: '/api/v1', matches: true },
  { name: '\\A anchors', pattern: '\\A/api', text: '/x/api', matches: false },
  { name: 'hex escape \\x{73}', pattern: '^/\\x{73}ecrets', text: '/secrets', matches: true },
  { name: 'two-digit hex escape \\x73', pattern: '^/\\x73ecrets', text: '/secrets', matches: true },
  { name: 'quoted literal \\Q..\\E', pattern: '\\Q/a.b\\E', text: '/a.b', matches: true },
  { name: '\\Q..\\E dot is literal', pattern: '\\Q/a.b\\E', text: '/axb', matches: false },
  { name: '\\Q without \\E quotes to the end', pattern: '^\\Q/a+', text: '/a+', matches: true },
  { name: 'quoted \\p{Cn} is text, not a class', pattern: '\\Q\\p{Cn}\\E', text: 'x\\p{Cn}', matches: true },
  { name: 'leading (?i)', pattern: '(?i)^/API', text: '/api/v1', matches: true },
  { name: '(?i) in the middle', pattern: '^/api/(?i)SECRETS', text: '/api/secrets', matches: true },
  { name: '(?i) scoped group', pattern: '^(?i:A)b$', text: 'aB', matches: false },
  { name: '(?i) folds K to the Kelvin sign', pattern: '(?i)^k$', text: '\u212A', matches: true },
  { name: 'dot matches carriage return', pattern: '^a.b$', text: 'a\rb', matches: true },
  { name: 'dot does not match newline', pattern: '^a.b$', text: 'a\nb', matches: false },
  { name: '(?s) dot matches newline', pattern: '(?s)^a.b$', text: 'a\nb', matches: true },
  { name: '(?m) multi-line anchors', pattern: '(?m)^b$', text: 'a\nb', matches: true },
  { name: '(?U) ungreedy is accepted', pattern: '(?U)^a+$', text: 'aaa', matches: true },
  { name: '\\s is ASCII space only', pattern: '^\\s$', text: '\u00a0', matches: false },
  { name: '\\v is vertical tab', pattern: '^\\v$', text: '\v', matches: true },
  { name: 'octal escape \\0', pattern: '^a\\0$', text: 'a\u0000', matches: true },
  { name: 'named group (?P<n>..)', pattern: '^/(?P<kind>secrets)/', text: '/secrets/x', matches: true },
  { name: 'named group (?<n>..) (Go 1.22+)', pattern: '^/(?<kind>secrets)/', text: '/secrets/x', matches: true },
  { name: 'repetition at the limit {1000}', pattern: '^a{1000}$', text: 'a'.repeat(1000), matches: true },
  { name: 'escaped backslash before p', pattern: '^\\\\p$', text: '\\p', matches: true },
  { name: 'unanchored search (MatchString)', pattern: 'secrets', text: '/api/v1/namespaces/a/secrets/b', matches: true },
];

t.test('patterns mean what they mean in Go (regexp/syntax)', async (t) => {
  for (const row of GO_MATCH_ROWS) {
    const [rule] = compileRules('--reject-paths', row.pattern);
    t.equal(rule?.test(row.text), row.matches, `${row.name}: ${JSON.stringify(row.pattern)} on ${JSON.stringify(row.text)}`);
  }
});

/** Patterns Go's regexp.Compile refuses, with the reason Go gives: kubegate refuses them at start. */
const GO_REFUSED_ROWS: readonly { name: string; pattern: string; reason: RegExp }[] = [
  { name: 'repetition over 1000', pattern: 'a{1001}', reason: /invalid repeat count: `\{1001\}`/ },
  { name: 'nested repetition over 1000', pattern: '(a{100}){11}', reason: /invalid repeat count/ },
  { name: 'backreference \\1', pattern: '(a)\\1', reason: /invalid escape sequence: `\\1`/ },
  { name: 'lookahead (?=..)', pattern: '^/api(?=/v1)', reason: /invalid or unsupported Perl syntax: `\(\?=`/ },
  { name: 'negative lookahead (?!..)', pattern: '^/api(?!/v1)', reason: /invalid or unsupported Perl syntax: `\(\?!`/ },
  { name: 'lookbehind (?<=..)', pattern: '(?<=a)b', reason: /invalid named capture/ },
  { name: 'unknown POSIX class', pattern: '[[:foo:]]', reason: /invalid character class range: `\[:foo:\]`/ },
  { name: '\\Z (Perl end of text)', pattern: 'a\\Z', reason: /invalid escape sequence: `\\Z`/ },
  { name: '\\C (any byte)', pattern: 'a\\C', reason: /invalid escape sequence: `\\C`/ },
  { name: 'possessive a++', pattern: 'a++', reason: /invalid nested repetition operator/ },
  { name: '(?x) extended mode', pattern: '(?x)a b', reason: /invalid or unsupported Perl syntax/ },
  { name: 'atomic group (?>..)', pattern: '(?>a)', reason: /invalid or unsupported Perl syntax/ },
  { name: '\\x{110000} beyond Unicode', pattern: '\\x{110000}', reason: /invalid escape sequence/ },
  { name: '\\u escape (JavaScript, not Go)', pattern: '\\u0041', reason: /invalid escape sequence: `\\u`/ },
  { name: 'unknown Unicode class', pattern: '\\p{Foo}', reason: /invalid character class range: `\\p\{Foo\}`/ },
  // Names re2js knows and Go 1.23 does not: refused by kubegate's own check (go-unicode-classes.ts).
  { name: 'Unicode class Cn (not in Go)', pattern: '^/x/\\p{Cn}', reason: /invalid character class range: `\\p\{Cn\}`/ },
  { name: 'Unicode class LC (not in Go)', pattern: '[\\p{LC}]', reason: /invalid character class range: `\\p\{LC\}`/ },
  { name: 'Unicode property Emoji (not in Go)', pattern: '\\P{^Emoji}', reason: /invalid character class range: `\\P\{\^Emoji\}`/ },
  { name: 'Unicode 16 script Garay (Go 1.23 has Unicode 15)', pattern: '\\p{Garay}', reason: /invalid character class range/ },
  { name: 'trailing backslash', pattern: 'a\\', reason: /trailing backslash/ },
  { name: 'missing paren', pattern: '^/api/(', reason: /missing closing \)/ },
];

t.test('patterns Go refuses are a start-up error naming the flag, the pattern and Go\'s reason', async (t) => {
  for (const row of GO_REFUSED_ROWS) {
    t.throws(
      () => compileFilter({ ...DEFAULT_FILTER_FLAGS, rejectPaths: row.pattern }),
      { code: 'KG_ERR_REGEX', message: new RegExp(`^invalid regular expression .* in --reject-paths: error parsing regexp: ${row.reason.source}`) },
      `${row.name}: ${JSON.stringify(row.pattern)}`,
    );
  }
});

t.test('known difference: what Go accepts and kubegate refuses (loudly, at start)', async (t) => {
  // Go allows two groups with one name; re2js (a port of RE2, which refuses them) does not.
  t.throws(() => compileRules('--accept-paths', '(?P<n>a)(?P<n>b)'), { code: 'KG_ERR_REGEX', message: /duplicate capture group name/ });
  // Go's size limit is 3.3M instructions, re2js's 1.4M: a 2000-letter group repeated 1000 times.
  t.throws(() => compileRules('--accept-paths', `(${'a'.repeat(2000)}){1000}`), { code: 'KG_ERR_REGEX', message: /expression too large/ });
});

t.test('matching is linear-time: ^(a+)+$ on a long hostile path completes', async (t) => {
  // A backtracking engine takes 2^n steps here; RE2 one pass. Judged by finishing under tap's timeout.
  const filter = compileFilter({ ...DEFAULT_FILTER_FLAGS, rejectPaths: '^(a+)+$,^/(x+x+)+y$' });
  t.same(acceptRequest(filter, 'GET', `${'a'.repeat(50_000)}b`, 'localhost'), { accepted: true });
  t.same(acceptRequest(filter, 'GET', `/${'x'.repeat(50_000)}`, 'localhost'), { accepted: true });
  t.match(acceptRequest(filter, 'GET', 'a'.repeat(50_000), 'localhost'), { accepted: false, flag: '--reject-paths', rule: '^(a+)+$' });
});

t.test('paths and hosts are matched as Go reads their bytes: one U+FFFD per invalid UTF-8 byte', async (t) => {
  const filter = compileFilter({ ...DEFAULT_FILTER_FLAGS, rejectPaths: '^/x/..$', acceptHosts: '^l.calhost$' });
  const route = resolveRoute('/x/%E2%82', { apiPrefix: '/' });
  if (route.kind !== 'api') throw new Error('expected an API route');
  t.match(acceptRequest(filter, 'GET', route.filterPath, 'localhost'), { accepted: false, flag: '--reject-paths' }, 'E2 82 is two runes in Go (one U+FFFD in Node)');
  const host = hostForFilter(Buffer.from('lócalhost:8001', 'utf8').toString('latin1'), undefined);
  t.equal(host, 'lócalhost', 'the Host bytes Node gives as latin1 are read as UTF-8');
  t.same(acceptRequest(filter, 'GET', '/api', host), { accepted: true });
});

t.test('a rule remembers only its last answer: the same text twice, then another, stays right', async (t) => {
  const [rule] = compileRules('--accept-hosts', '^localhost$');
  t.same([rule?.test('localhost'), rule?.test('localhost'), rule?.test('evil'), rule?.test('localhost')], [true, true, false, true]);
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
