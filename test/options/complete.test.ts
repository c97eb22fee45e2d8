import t from 'tap';
import {
  DEFAULT_ACCEPT_HOSTS,
  DEFAULT_REJECT_PATHS,
  completeOptions,
  normalizeAddress,
  validateRequestTimeout,
} from '../../src/options/complete.js';

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
