import t from 'tap';
import { completeOptions, normalizeAddress, validateRequestTimeout } from '../../src/options/complete.js';
import { DEFAULT_ACCEPT_HOSTS, DEFAULT_REJECT_PATHS, DEFAULT_SERVICE_ACCOUNT_DIR } from '../../src/options/defaults.js';

t.test('defaults are kubectl proxy defaults', async (t) => {
  const options = completeOptions({}, {}, '/work');
  t.same(options.listen, { kind: 'tcp', host: '127.0.0.1', port: 8001 });
  t.equal(options.apiPrefix, '/');
  t.equal(options.www, undefined);
  t.same(options.filter, {
    acceptHosts: DEFAULT_ACCEPT_HOSTS,
    acceptPaths: '^.*',
    rejectPaths: DEFAULT_REJECT_PATHS,
    rejectMethods: '^$',
  });
  t.equal(DEFAULT_ACCEPT_HOSTS, '^localhost$,^127\\.0\\.0\\.1$,^\\[::1\\]$');
  t.ok(Object.isFrozen(options), 'resolved options are frozen');
});

t.test('--unix-socket with a non-default --port is refused with kubectl\'s message', async (t) => {
  t.throws(() => completeOptions({ unixSocket: '/tmp/s', port: 9000 }, {}, '/'), {
    code: 'KG_ERR_USAGE',
    message: 'cannot set --unix-socket and --port at the same time',
  });
  const allowed = completeOptions({ unixSocket: '/tmp/s', port: 8001 }, {}, '/');
  t.same(allowed.listen, { kind: 'unix', path: '/tmp/s' }, 'an explicit --port 8001 is allowed, as in kubectl');
});

t.test('ports outside 0..65535 are refused', async (t) => {
  for (const port of [-1, 65536, 99999]) {
    t.throws(() => completeOptions({ port }, {}, '/'), { code: 'KG_ERR_USAGE', message: /invalid --port/ }, String(port));
  }
  t.equal((completeOptions({ port: 0 }, {}, '/').listen as { port: number }).port, 0);
});

t.test('--disable-filter removes the filter entirely', async (t) => {
  t.equal(completeOptions({ disableFilter: true }, {}, '/').filter, undefined);
});

t.test('--www resolves against the working directory and normalises the prefix', async (t) => {
  const options = completeOptions({ www: 'site', wwwPrefix: '/files' }, {}, '/home/me');
  t.same(options.www, { root: '/home/me/site', prefix: '/files/' });
  t.equal(completeOptions({ apiPrefix: '' }, {}, '/').apiPrefix, '/');
  t.equal(completeOptions({ apiPrefix: '/k8s' }, {}, '/').apiPrefix, '/k8s/');
});

t.test('addresses: IPv6 with or without brackets, localhost as 127.0.0.1', async (t) => {
  t.equal(normalizeAddress('[::1]'), '::1');
  t.equal(normalizeAddress('::1'), '::1', 'deliberate difference: kubectl needs brackets');
  t.equal(normalizeAddress('localhost'), '127.0.0.1');
  t.equal(normalizeAddress('0.0.0.0'), '0.0.0.0');
  t.throws(() => normalizeAddress('not an address!'), { code: 'KG_ERR_USAGE' });
});

t.test('--request-timeout is validated like kubectl', async (t) => {
  for (const ok of ['0', '5', '1s', '2m', '3h']) t.doesNotThrow(() => validateRequestTimeout(ok), ok);
  for (const bad of ['abc', '1x', '1.5s', '-1']) {
    t.throws(() => validateRequestTimeout(bad), /Invalid timeout value/, bad);
  }
});

t.test('the service-account directory: the flag, else KUBEGATE_SERVICE_ACCOUNT_DIR, else the pod default', async (t) => {
  t.equal(completeOptions({}, {}, { cwd: '/work', env: {} }).serviceAccountDir, DEFAULT_SERVICE_ACCOUNT_DIR);
  t.equal(completeOptions({}, {}, { cwd: '/work', env: { KUBEGATE_SERVICE_ACCOUNT_DIR: '/sa' } }).serviceAccountDir, '/sa');
  t.equal(completeOptions({ serviceAccountDir: 'rel' }, {}, { cwd: '/work', env: { KUBEGATE_SERVICE_ACCOUNT_DIR: '/sa' } }).serviceAccountDir, '/work/rel');
});

t.test('completing compiles the filter once and hands the server only what it uses', async (t) => {
  const options = completeOptions({ rejectPaths: '^/secret', www: 'site', keepaliveMs: 5000 }, {}, '/work');
  t.same(Object.keys(options.server).sort(), ['appendServerPath', 'decision', 'keepaliveMs', 'verbosity', 'wwwRoot']);
  t.equal(options.server.wwwRoot, '/work/site');
  t.ok(options.server.decision.filter?.rejectPaths[0]?.test('/secret/x'), 'the compiled --reject-paths rule');
  t.equal(completeOptions({ disableFilter: true }, {}, '/work').server.decision.filter, undefined, 'none with --disable-filter');
  t.throws(() => completeOptions({ rejectPaths: '(' }, {}, '/work'), { code: 'KG_ERR_REGEX' }, 'a bad regex fails completion, before anything starts');
});

t.test('--ui: off by default, on with --demo unless --ui=false, --ui-history checked', async (t) => {
  t.equal(completeOptions({}, {}, '/work').ui, undefined);
  t.equal(completeOptions({}, {}, '/work').server.decision.ui, undefined, 'the decision knows nothing of a page');
  t.same(completeOptions({ ui: true }, {}, '/work').ui, { history: 500 });
  t.equal(completeOptions({ ui: true }, {}, '/work').server.decision.ui, true);
  t.same(completeOptions({ demo: true }, {}, '/work').ui, { history: 500 }, 'on with --demo');
  t.equal(completeOptions({ demo: true, ui: false }, {}, '/work').ui, undefined, '--demo --ui=false turns it off');
  t.same(completeOptions({ ui: true, uiHistory: 20 }, {}, '/work').ui, { history: 20 });
  t.throws(() => completeOptions({ ui: true, uiHistory: 0 }, {}, '/work'), { message: /invalid --ui-history 0/ });
  t.throws(() => completeOptions({ ui: true, uiHistory: 200_000 }, {}, '/work'), { message: /from 1 to 100000/ });
});
