// What kubegate says at start about risky or unsupported settings: kubectl's own warnings, plus
// each dangerous configuration named with its risk, so nobody runs one without being told.

import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { unanchoredPatterns } from '../server/browser-policy.js';
import { compileRules } from '../server/filter.js';
import { proxyForDisplay } from '../kubeconfig/proxy.js';
import type { RestConfig } from '../kubeconfig/rest-config.js';
import { redactUrlUserinfo } from '../log.js';
import type { ResolvedOptions } from './complete.js';
import { DEFAULT_ACCEPT_HOSTS } from './defaults.js';

/** Host headers no deliberate --accept-hosts should let in: an attacker's domain, and a rebinding one. */
const FOREIGN_HOSTS = ['attacker.example', '203.0.113.7', 'localhost.attacker.example'];

/**
 * The name a pattern spells out, when it is a plain host name with its anchors and escapes removed
 * (`^my-box\.lan$` → `my-box.lan`, `myhost` → `myhost`); undefined for anything with regexp syntax.
 */
function literalHost(pattern: string): string | undefined {
  const unanchored = pattern.replace(/^\^/, '').replace(/\$$/, '').replaceAll('\\.', '.');
  return /^[A-Za-z0-9.-]+$/.test(unanchored) ? unanchored : undefined;
}

/**
 * Hosts an attacker can point at 127.0.0.1 that a pattern lets in: for each literal name N in the
 * patterns, `N.attacker.example` (a pattern with no `$`) and `attackerN` (no `^`), then the fixed ones.
 */
export function probeHosts(acceptHosts: string): string[] {
  const names = acceptHosts.split(',').map(literalHost).filter((name): name is string => name !== undefined);
  return [...FOREIGN_HOSTS, ...names.flatMap((name) => [`${name}.attacker.example`, `attacker${name}`])];
}

/** A pattern not anchored at both ends matches longer names than the one it spells. */
function unanchoredHostPatterns(acceptHosts: string): string[] {
  return acceptHosts.split(',').filter((pattern) => pattern !== '' && !(pattern.startsWith('^') && pattern.endsWith('$')));
}

/** The addresses actually bound (host names resolved), known once the listeners are up. */
export interface BoundAddresses {
  readonly api?: string | undefined;
  readonly admin?: string | undefined;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * `bound` gives the IPs the listeners got; without it a listener given as a host name is not judged
 * (main() calls this once both listeners are up, so a name that does not resolve fails with no warning first).
 */
export function startupWarnings(options: ResolvedOptions, restConfig: RestConfig, bound: BoundAddresses = {}): string[] {
  const warnings = [...restConfig.warnings];
  if (!options.filter && options.listen.kind === 'tcp') {
    // kubectl's exact wording, which people search for.
    warnings.push('Request filter disabled, your proxy is vulnerable to XSRF attacks, please be cautious');
  }
  const hosts = options.filter ? acceptHostsWarning(options.filter.acceptHosts) : undefined;
  if (hosts !== undefined) warnings.push(hosts);
  const permissive = !options.filter || hosts !== undefined;
  const apiHost = options.listen.kind === 'tcp' ? judgedHost(options.listen.host, bound.api) : undefined;
  if (apiHost !== undefined && !isLoopback(apiHost)) {
    // --accept-hosts cannot help here: a non-browser client sets any Host it likes.
    warnings.push(
      `listening on ${apiHost}, beyond this machine: anyone who can reach the port uses the cluster with kubegate's credentials` +
        (permissive ? ', and --accept-hosts does not even limit the Host header' : '') +
        '; prefer 127.0.0.1, a unix socket, or a NetworkPolicy in front',
    );
  }
  const admin = adminAddressWarning(options, bound.admin);
  if (admin !== undefined) warnings.push(admin);
  if (restConfig.tls.insecureSkipTlsVerify && restConfig.serverUrl.protocol === 'https:') {
    warnings.push(`insecure-skip-tls-verify is set: the API server's certificate is not checked, so anyone on the network path can read and change your traffic and credentials`);
  }
  for (const pattern of unanchoredPatterns(options.browser)) {
    warnings.push(`origin pattern ${JSON.stringify(pattern)} is not anchored with ^ and $: it also matches longer origins (https://app.example.com.attacker.example)`);
  }
  if (options.www) {
    try {
      if (!statSync(options.www.root).isDirectory()) warnings.push(`Static file directory ${options.www.root} is not a directory`);
    } catch (error) {
      warnings.push(`Failed to stat static file directory ${options.www.root}: ${(error as Error).message}`);
    }
  }
  return warnings;
}

/**
 * The API port's beyond-loopback warning, for --admin-address: it never proxies the API, but what
 * /readyz and /metrics say (API server address, plugin names, credential expiry, traffic) is readable
 * by anyone who reaches the port, whatever Host they send (the Host check only stops browsers).
 */
export function adminAddressWarning(options: ResolvedOptions, boundAdmin?: string): string | undefined {
  const admin = options.adminAddress;
  const host = admin?.kind === 'tcp' ? judgedHost(admin.host, boundAdmin) : undefined;
  if (admin?.kind !== 'tcp' || host === undefined || isLoopback(host)) return undefined;
  const hostPort = host.includes(':') ? `[${host}]:${admin.port}` : `${host}:${admin.port}`;
  return (
    `admin listener on ${hostPort}, beyond this machine: anyone who can reach the port reads /readyz and /metrics ` +
    "(the API server's address, credential expiry, request counts; never the API itself)" +
    (options.filter ? '' : ', and with --disable-filter not even the Host header is checked') +
    '; prefer 127.0.0.1, or a NetworkPolicy that admits only the kubelet and Prometheus'
  );
}

/**
 * The info line at start that says how kubegate reaches the API server: through which proxy (its
 * password hidden) and from which setting, or why a proxy variable that is set goes unused.
 */
export function proxyNotice(restConfig: RestConfig): string | undefined {
  const route = restConfig.proxy;
  const server = redactUrlUserinfo(restConfig.server);
  if (route === undefined) return undefined;
  if (route.kind !== 'direct') {
    const from = route.source === 'proxy-url' ? `the proxy-url of cluster "${restConfig.names.cluster}"` : route.source;
    return `connecting to the API server at ${server} through the ${route.kind} proxy ${proxyForDisplay(route)} (from ${from})`;
  }
  if (route.skipped) return `${route.skipped.variable} is set, but connecting to the API server at ${server} directly: ${route.skipped.why}`;
  return undefined;
}

/** The IP to judge a listener by: the flag's when it is an IP literal, else the one a host name was bound to (never guessed). */
function judgedHost(configured: string, bound: string | undefined): string | undefined {
  return isIP(configured) !== 0 || configured === 'localhost' ? configured : bound;
}

/** --accept-hosts that a DNS-rebinding page gets through: the host it would accept, or the pattern left unanchored. */
function acceptHostsWarning(acceptHosts: string): string | undefined {
  // The default has nothing to warn about (test/options/startup-warnings.test.ts checks it the long
  // way): compiling and probing it here cost a plain start about 20 ms of regexp warm-up.
  if (acceptHosts === DEFAULT_ACCEPT_HOSTS) return undefined;
  const rules = compileRules('--accept-hosts', acceptHosts);
  const foreign = probeHosts(acceptHosts).find((host) => rules.some((rule) => rule.test(host)));
  const advice = 'Anchor each pattern (^myhost$) and list only the names clients use';
  if (foreign !== undefined) {
    return `--accept-hosts=${acceptHosts} accepts Host "${foreign}": any web page can reach your cluster through kubegate with DNS rebinding. ${advice}`;
  }
  const loose = unanchoredHostPatterns(acceptHosts);
  if (loose.length === 0) return undefined;
  return `--accept-hosts pattern ${loose.map((pattern) => JSON.stringify(pattern)).join(', ')} is not anchored with ^ and $: it also accepts longer host names, which a web page can point at this machine with DNS rebinding. ${advice}`;
}
