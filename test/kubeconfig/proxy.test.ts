import t from 'tap';
import { noProxyEntries, proxyAuthorization, proxyForDisplay, resolveProxy, whyNotProxied, type ProxyRoute } from '../../src/kubeconfig/proxy.js';

// The cases follow golang.org/x/net/http/httpproxy's own test tables (proxy_test.go), restated here as
// what kubegate must decide for one API server URL, plus client-go's proxy-url rule on top.

/** The proxy a route uses as scheme://host:port, or 'direct'. */
function chosen(route: ProxyRoute): string {
  if (route.kind === 'direct') return 'direct';
  return `${route.kind}://${route.host.includes(':') ? `[${route.host}]` : route.host}:${route.port}`;
}

const via = (server: string, env: Record<string, string>, proxyUrl?: string): string => chosen(resolveProxy(new URL(server), proxyUrl, env));

t.test('the environment variable is read per scheme, and a bare host[:port] means http://', async (t) => {
  const table: readonly [string, Record<string, string>, string, string][] = [
    ['host:port without a scheme', { HTTP_PROXY: '127.0.0.1:8080' }, 'http://example.com', 'http://127.0.0.1:8080'],
    ['a name and port', { HTTP_PROXY: 'cache.corp.example.com:1234' }, 'http://example.com', 'http://cache.corp.example.com:1234'],
    ['a bare name takes the scheme default port', { HTTP_PROXY: 'cache.corp.example.com' }, 'http://example.com', 'http://cache.corp.example.com:80'],
    ['a single label is a host, not a scheme', { HTTP_PROXY: 'proxybox' }, 'http://example.com', 'http://proxybox:80'],
    ['https:// proxies keep their scheme and default to 443', { HTTP_PROXY: 'https://cache.corp.example.com' }, 'http://example.com', 'https://cache.corp.example.com:443'],
    ['socks5 defaults to 1080', { HTTP_PROXY: 'socks5://127.0.0.1' }, 'http://example.com', 'socks5://127.0.0.1:1080'],
    ['http:// servers use HTTP_PROXY, not HTTPS_PROXY', { HTTP_PROXY: 'http.proxy.tld', HTTPS_PROXY: 'secure.proxy.tld' }, 'http://insecure.tld/', 'http://http.proxy.tld:80'],
    ['https:// servers use HTTPS_PROXY', { HTTP_PROXY: 'http.proxy.tld', HTTPS_PROXY: 'secure.proxy.tld' }, 'https://secure.tld/', 'http://secure.proxy.tld:80'],
    ['an https proxy for https servers', { HTTPS_PROXY: 'https://secure.proxy.tld' }, 'https://secure.tld/', 'https://secure.proxy.tld:443'],
    ['HTTP_PROXY alone does not cover https:// servers', { HTTP_PROXY: 'http.proxy.tld' }, 'https://secure.tld/', 'direct'],
    ['nothing set: direct', {}, 'https://example.com', 'direct'],
    ['lower-case names are read too', { https_proxy: 'proxy:3128' }, 'https://example.com', 'http://proxy:3128'],
    ['upper case wins over lower case', { HTTPS_PROXY: 'upper:1', https_proxy: 'lower:2' }, 'https://example.com', 'http://upper:1'],
    ['an empty upper-case value falls through to lower case', { HTTPS_PROXY: '', https_proxy: 'lower:2' }, 'https://example.com', 'http://lower:2'],
    ['an unknown scheme is not a proxy', { HTTPS_PROXY: 'foo://host' }, 'https://example.com', 'direct'],
  ];
  for (const [name, env, server, want] of table) t.equal(via(server, env), want, name);
});

t.test('NO_PROXY: exact names, domain suffixes with and without a dot, wildcards, IPs, CIDRs and ports', async (t) => {
  const env = (noProxy: string): Record<string, string> => ({ HTTP_PROXY: 'proxy', NO_PROXY: noProxy });
  t.equal(via('http://example.com/', env('example.com')), 'direct', 'the name itself');
  t.equal(via('http://example.com/', env('.example.com')), 'http://proxy:80', 'a leading dot matches subdomains only');
  t.equal(via('http://example.com/', env('ample.com')), 'http://proxy:80', 'a suffix is matched on a label boundary');
  t.equal(via('http://foo.example.com/', env('example.com')), 'direct', 'a name covers its subdomains');
  t.equal(via('http://example.com/', env('.foo.com')), 'http://proxy:80');
  t.equal(via('http://www.示例.com', env('.示例.com')), 'direct', 'international names compare in punycode');
  t.equal(via('http://www.示例.com', env('xn--fsq092h.com')), 'direct');
  t.equal(via('http://www.xn--fsq092h.com', env('示例.com')), 'direct');
  t.equal(via('https://example.com/', { HTTPS_PROXY: 'proxy', no_proxy: 'example.com' }), 'direct', 'no_proxy is read when NO_PROXY is not set');
});

t.test('httpproxy\'s useProxy table: loopback is never proxied; one NO_PROXY list of every kind of entry', async (t) => {
  const noProxy = 'foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64';
  const proxied: readonly [string, boolean, string][] = [
    ['localhost', false, 'localhost'],
    ['127.0.0.1', false, 'loopback'],
    ['127.0.0.2', false, 'all of 127/8'],
    ['[::1]', false, 'IPv6 loopback'],
    ['[::2]', true, 'not a loopback address'],
    ['192.168.1.1', false, 'an exact IPv4'],
    ['192.168.1.2', true, 'the port differs'],
    ['192.168.1.3', false, 'IPv4:port'],
    ['192.168.1.4', true, 'no entry'],
    ['10.0.0.2', false, 'inside the CIDR'],
    ['10.0.0.4', true, 'outside the /30'],
    ['[2001:db8::52:0:1]', false, 'an exact IPv6'],
    ['[2001:db8::52:0:2]', true, 'the [IPv6]:port entry is for 443'],
    ['[2001:db8::52:0:3]', false, '[IPv6]:port'],
    ['[2002:db8:a::123]', false, 'inside the IPv6 CIDR'],
    ['[fe80::424b:c8be:1643:a1b6]', true, 'no entry'],
    ['barbaz.net', true, '.barbaz.net is for subdomains'],
    ['www.barbaz.net', false, 'a subdomain of .barbaz.net'],
    ['foobar.com', false, 'the name'],
    ['www.foobar.com', false, 'a subdomain of foobar.com'],
    ['foofoobar.com', true, 'not on a label boundary'],
    ['baz.com', true, 'only part of an entry'],
    ['localhost.net', true, 'localhost is matched as a whole name'],
    ['local.localhost', true, 'nor as a prefix'],
    ['barbarbaz.net', true, 'a different domain'],
    ['wildcard.io', true, '*.wildcard.io is for subdomains'],
    ['nested.wildcard.io', false, 'a subdomain of *.wildcard.io'],
    ['awildcard.io', true, 'the * is a whole label'],
  ];
  for (const [host, wanted, name] of proxied) {
    t.equal(whyNotProxied(new URL(`http://${host}:80`), noProxy) === undefined, wanted, `${host}: ${name}`);
  }
  for (const [host] of proxied) t.not(whyNotProxied(new URL(`http://${host}:80`), '*'), undefined, `* covers ${host}`);
  t.same(noProxyEntries(':1, , :8080'), [], 'entries without a host are skipped without failing');
  t.equal(whyNotProxied(new URL('http://10.0.0.1'), '10.0.0.0/33,bad/99'), undefined, 'a bad CIDR is kept as a name (as Go does) and matches no address');
  t.match(whyNotProxied(new URL('https://127.0.0.1:6443'), ''), /never proxied/);
  t.match(whyNotProxied(new URL('https://10.0.0.2:6443'), '10.0.0.0/8'), /NO_PROXY entry "10.0.0.0\/8" matches 10.0.0.2/);
});

t.test('a cluster\'s proxy-url wins over the environment and is used even for loopback and NO_PROXY hosts', async (t) => {
  const env = { HTTPS_PROXY: 'http://env-proxy:3128', NO_PROXY: '*' };
  t.equal(via('https://127.0.0.1:6443', env, 'socks5://socks.example:1080'), 'socks5://socks.example:1080');
  t.equal(via('https://10.0.0.1:6443', env, 'https://[::1]:8443'), 'https://[::1]:8443');
  t.equal(via('https://10.0.0.1:6443', { HTTPS_PROXY: 'http://env-proxy:3128' }, ''), 'http://env-proxy:3128', 'an empty proxy-url leaves the environment in charge (clientcmd reads it only when non-empty)');
  t.equal(via('https://127.0.0.1:6443', { HTTPS_PROXY: 'http://env-proxy:3128' }), 'direct', 'the environment never proxies loopback');
  const route = resolveProxy(new URL('https://10.0.0.1'), 'http://user:p%40ss@proxy:3128', {});
  t.same(route.kind !== 'direct' && route.source, 'proxy-url');
});

t.test('credentials come from the userinfo, decoded; a display shows the user and never the password', async (t) => {
  const route = resolveProxy(new URL('https://10.0.0.1'), 'http://us%20er:p%40ss@proxy:3128', {});
  if (route.kind === 'direct') throw new Error('expected a proxy');
  t.equal(route.username, 'us er');
  t.equal(route.password, 'p@ss');
  t.equal(proxyAuthorization(route), `Basic ${Buffer.from('us er:p@ss').toString('base64')}`);
  t.equal(proxyForDisplay(route), 'http://us%20er:xxxxx@proxy:3128');
  const bare = resolveProxy(new URL('https://10.0.0.1'), undefined, { HTTPS_PROXY: 'user:secret@proxy.corp:3128' });
  if (bare.kind === 'direct') throw new Error('expected a proxy');
  t.equal(proxyForDisplay(bare), 'http://user:xxxxx@proxy.corp:3128', 'a schemeless value with a password is still redacted');
  const anonymous = resolveProxy(new URL('https://10.0.0.1'), 'http://proxy:3128', {});
  t.equal(anonymous.kind !== 'direct' ? proxyAuthorization(anonymous) : 'direct', undefined, 'no user, no Proxy-Authorization');
});

t.test('a variable that is set but not used says why', async (t) => {
  const route = resolveProxy(new URL('https://127.0.0.1:6443'), undefined, { HTTPS_PROXY: 'http://p:1' });
  t.match(route, { kind: 'direct', skipped: { variable: 'HTTPS_PROXY', why: /loopback/ } });
  t.match(resolveProxy(new URL('https://api.corp'), undefined, { https_proxy: 'http://p:1', NO_PROXY: '.corp' }), { kind: 'direct', skipped: { variable: 'https_proxy', why: /NO_PROXY entry "\.corp"/ } });
});
