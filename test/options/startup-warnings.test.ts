import t from 'tap';
import { completeOptions, type ProxyFlags } from '../../src/options/complete.js';
import { resolveProxy } from '../../src/kubeconfig/proxy.js';
import { DEFAULT_ACCEPT_HOSTS } from '../../src/options/defaults.js';
import { probeHosts, proxyNotice, startupWarnings } from '../../src/options/startup-warnings.js';
import { compileRules } from '../../src/server/filter.js';
import { restConfig } from '../fixtures/kubeconfig/env.js';

const config = restConfig('https://10.0.0.1:6443', { kind: 'none' });
const warningsFor = (flags: ProxyFlags, rest = config): string[] => startupWarnings(completeOptions(flags, {}, '/'), rest);
/** The start-up info line for a server, its cluster's proxy-url and the environment, decided as loading decides. */
const noticeFor = (server: string, env: Record<string, string>, proxyUrl?: string): string | undefined => {
  const rest = restConfig(server, { kind: 'none' });
  return proxyNotice({ ...rest, ...(proxyUrl ? { proxyUrl } : {}), proxy: resolveProxy(rest.serverUrl, proxyUrl, env) });
};

t.test('the defaults warn about nothing', async (t) => {
  t.same(warningsFor({}), []);
});

t.test('an --accept-hosts that lets foreign hosts in names the host it would accept and the risk', async (t) => {
  const [warning, ...rest] = warningsFor({ acceptHosts: '.*' });
  t.match(warning, /^--accept-hosts=\.\* accepts Host "attacker\.example": any web page can reach your cluster through kubegate with DNS rebinding/);
  t.same(rest, []);
  t.match(warningsFor({ acceptHosts: 'localhost' })[0], /accepts Host "localhost\.attacker\.example"/, 'an unanchored name is caught too');
  t.same(warningsFor({ acceptHosts: '^localhost$,^my-box\\.lan$' }), [], 'anchored names are fine');
});

t.test('a non-loopback --address warns; with permissive hosts the warning says so', async (t) => {
  t.match(warningsFor({ address: '0.0.0.0' }), [/^listening on .*beyond this machine: anyone who can reach the port uses the cluster with kubegate's credentials; prefer/]);
  const both = warningsFor({ address: '0.0.0.0', acceptHosts: '.*' });
  t.equal(both.length, 2);
  t.match(both[1], /and --accept-hosts does not even limit the Host header/);
  t.same(warningsFor({ address: '127.0.0.2' }), [], 'all of 127/8 is loopback');
  t.same(warningsFor({ address: '::1' }), []);
});

t.test('--disable-filter keeps kubectl\'s wording; --insecure-skip-tls-verify names the risk', async (t) => {
  t.same(warningsFor({ disableFilter: true }), ['Request filter disabled, your proxy is vulnerable to XSRF attacks, please be cautious']);
  const insecure = warningsFor({}, restConfig('https://10.0.0.1:6443', { kind: 'none' }, { insecureSkipTlsVerify: true }));
  t.match(insecure, [/insecure-skip-tls-verify is set: the API server's certificate is not checked/]);
});

t.test('unanchored origin patterns are named', async (t) => {
  t.match(warningsFor({ acceptOrigins: 'https://app\\.example\\.com' }), [/origin pattern "https:\/\/app\\\\.example\\\\.com" is not anchored/]);
  t.same(warningsFor({ corsAllowOrigins: '^https://app\\.example\\.com$' }), []);
});

t.test('proxy-url and HTTPS_PROXY warn no more (issue 15): an info line names the proxy in use, password hidden', async (t) => {
  t.same(warningsFor({}, { ...config, proxyUrl: 'http://u:secret@proxy:3128', proxy: resolveProxy(config.serverUrl, 'http://u:secret@proxy:3128', {}) }), []);
  const viaProxyUrl = noticeFor('https://10.0.0.1:6443', {}, 'http://u:secret@proxy:3128');
  t.equal(viaProxyUrl, 'connecting to the API server at https://10.0.0.1:6443 through the http proxy http://u:xxxxx@proxy:3128 (from the proxy-url of cluster "c")');
  t.equal(noticeFor('https://10.0.0.1:6443', { HTTPS_PROXY: 'socks5://proxy:1080' }), 'connecting to the API server at https://10.0.0.1:6443 through the socks5 proxy socks5://proxy:1080 (from HTTPS_PROXY)');
  t.match(noticeFor('https://127.0.0.1:6443', { HTTPS_PROXY: 'http://proxy:3128' }), /^HTTPS_PROXY is set, but connecting to the API server at https:\/\/127\.0\.0\.1:6443 directly: requests to localhost and loopback addresses are never proxied/);
  t.equal(noticeFor('https://10.0.0.1:6443', {}), undefined, 'no proxy anywhere: nothing to say');
});

t.test('an --admin-address beyond loopback warns like the API port, naming what it exposes', async (t) => {
  t.match(warningsFor({ adminAddress: '0.0.0.0:9101' }), [/^admin listener on 0\.0\.0\.0:9101, beyond this machine: anyone who can reach the port reads \/readyz and \/metrics .*prefer 127\.0\.0\.1, or a NetworkPolicy/]);
  t.same(warningsFor({ adminAddress: '127.0.0.1:9101' }), []);
  t.same(warningsFor({ adminAddress: '[::1]:9101' }), []);
  const open = warningsFor({ adminAddress: '0.0.0.0:9101', disableFilter: true });
  t.match(open[1], /with --disable-filter not even the Host header is checked/);
});

t.test('a server URL with user:password@ is printed with the password hidden (issue 13 item 7)', async (t) => {
  const notice = noticeFor('https://user:secretpw@10.0.0.1:6443', { HTTPS_PROXY: 'http://proxy:3128' }) ?? '';
  t.match(notice, /^connecting to the API server at https:\/\/user:xxxxx@10\.0\.0\.1:6443 through the http proxy/);
  t.notMatch(notice, /secretpw/);
});

t.test('an unanchored --accept-hosts name warns: myhost lets myhost.attacker.example in (issue 16)', async (t) => {
  const [warning, ...rest] = warningsFor({ acceptHosts: 'myhost' });
  t.match(warning, /^--accept-hosts=myhost accepts Host "myhost\.attacker\.example": any web page can reach your cluster through kubegate with DNS rebinding/);
  t.same(rest, []);
  t.match(warningsFor({ acceptHosts: '^my-box\\.lan' })[0], /accepts Host "my-box\.lan\.attacker\.example"/, 'anchored at the start only');
  t.match(warningsFor({ acceptHosts: 'example\\.com$' })[0], /accepts Host "attackerexample\.com"/, 'anchored at the end only');
  t.match(warningsFor({ acceptHosts: '^localhost$,(a|b)\\.lan' })[0], /^--accept-hosts pattern "\(a\|b\)\\\\.lan" is not anchored with \^ and \$/, 'any other unanchored pattern is named');
  t.same(warningsFor({ acceptHosts: '^myhost$,^(a|b)\\.lan$' }), [], 'anchored patterns are fine');
});

t.test('a host-name --address is judged by the address it was bound to, never before (no warning for a name that fails)', async (t) => {
  t.same(warningsFor({ address: 'notanip' }), [], 'not judged before listening');
  const options = completeOptions({ address: 'myhost.lan' }, {}, '/');
  t.match(startupWarnings(options, config, { api: '10.1.2.3' }), [/^listening on 10\.1\.2\.3, beyond this machine/]);
  t.same(startupWarnings(options, config, { api: '127.0.0.1' }), [], 'a name that resolves to loopback is fine');
  const ip = completeOptions({ address: '0.0.0.0' }, {}, '/');
  t.match(startupWarnings(ip, config, { api: '::' }), [/^listening on 0\.0\.0\.0, beyond/], 'an IP literal is shown as given');
  const admin = completeOptions({ adminAddress: 'myhost.lan:9101' }, {}, '/');
  t.same(startupWarnings(admin, config), []);
  t.match(startupWarnings(admin, config, { api: '127.0.0.1', admin: '10.1.2.3' }), [/^admin listener on 10\.1\.2\.3:9101, beyond this machine/]);
});

t.test('the default --accept-hosts, checked the long way (a start skips it): no probe host gets in, every pattern is anchored', async (t) => {
  const rules = compileRules('--accept-hosts', DEFAULT_ACCEPT_HOSTS);
  const probes = probeHosts(DEFAULT_ACCEPT_HOSTS);
  t.ok(probes.includes('localhost.attacker.example') && probes.includes('attackerlocalhost'), `${probes.length} probe hosts`);
  t.same(probes.filter((host) => rules.some((rule) => rule.test(host))), []);
  t.same(DEFAULT_ACCEPT_HOSTS.split(',').filter((pattern) => !(pattern.startsWith('^') && pattern.endsWith('$'))), []);
});
