// The same request as a command line: `curl` always, `kubectl` where one sends it (reads, deletes,
// logs, exec, port-forward), both aimed at kubegate, never carrying a credential.

import type { RequestInfo } from '../server/request-info.js';

/** POSIX shell single quoting: safe for any text, including quotes and `$`. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Headers curl sets itself, that describe the connection, or that say who the client was; and the
 * credentials, which never appear (a client's own token is its own to paste).
 */
const LEFT_OUT = new Set([
  'host',
  'user-agent',
  'content-length',
  'connection',
  'accept-encoding',
  'transfer-encoding',
  'authorization',
  'proxy-authorization',
  'cookie',
  'audit-id',
  'kubectl-command',
  'kubectl-session',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
]);

export function curlCommand(base: string, method: string, url: string, headers: Readonly<Record<string, string | string[]>>): string {
  const parts = ['curl'];
  const watching = /[?&](watch|follow)=(true|1)(&|$)/.test(url);
  if (watching) parts.push('-N');
  if (method !== 'GET') parts.push(method === 'HEAD' ? '-I' : `-X ${shellQuote(method)}`);
  for (const name of Object.keys(headers).sort()) {
    const lower = name.toLowerCase();
    if (LEFT_OUT.has(lower) || lower.startsWith('sec-fetch-') || lower.startsWith('sec-ch-')) continue;
    const value = headers[name] as string | string[];
    if (lower === 'accept' && value === '*/*') continue;
    for (const one of Array.isArray(value) ? value : [value]) parts.push(`-H ${shellQuote(`${name}: ${one}`)}`);
  }
  const hasBody = headers['content-type'] !== undefined && method !== 'GET' && method !== 'HEAD';
  if (hasBody) parts.push('--data-binary @body');
  parts.push(shellQuote(`${base}${url}`));
  return parts.join(' ');
}

/** Core and well-known resources with no namespace: a list of them needs no `-A`. */
const CLUSTER_SCOPED = new Set([
  'namespaces',
  'nodes',
  'persistentvolumes',
  'clusterroles',
  'clusterrolebindings',
  'customresourcedefinitions',
  'storageclasses',
  'priorityclasses',
  'apiservices',
  'certificatesigningrequests',
  'mutatingwebhookconfigurations',
  'validatingwebhookconfigurations',
  'ingressclasses',
  'runtimeclasses',
  'csidrivers',
  'csinodes',
  'volumeattachments',
]);

function resourceName(info: RequestInfo): string {
  return info.apiGroup === '' ? info.resource : `${info.resource}.${info.apiGroup}`;
}

function namespaceFlags(info: RequestInfo): string[] {
  if (info.namespace !== '') return ['-n', shellQuote(info.namespace)];
  return info.name === '' && !CLUSTER_SCOPED.has(info.resource) ? ['-A'] : [];
}

function selectorFlags(query: URLSearchParams): string[] {
  const flags: string[] = [];
  const labels = query.get('labelSelector');
  const fields = query.get('fieldSelector');
  if (labels) flags.push('-l', shellQuote(labels));
  if (fields) flags.push('--field-selector', shellQuote(fields));
  return flags;
}

/** get, list, watch, delete, logs, exec, port-forward; a raw GET for anything else read-only; null otherwise. */
export function kubectlCommand(base: string, method: string, url: string, info: RequestInfo): string | null {
  const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const words = resourceWords(info, query);
  if (words !== undefined) return ['kubectl', '-s', shellQuote(base), ...words].join(' ');
  if (method === 'GET' && !/[?&](watch|follow)=(true|1)(&|$)/.test(url)) return ['kubectl', '-s', shellQuote(base), 'get', '--raw', shellQuote(url)].join(' ');
  return null;
}

function resourceWords(info: RequestInfo, query: URLSearchParams): string[] | undefined {
  if (!info.isResourceRequest || info.resource === '') return undefined;
  const name = info.name === '' ? [] : [shellQuote(info.name)];
  const where = namespaceFlags(info);
  switch (info.subresource) {
    case '':
      if (info.verb === 'get' || info.verb === 'list') return ['get', resourceName(info), ...name, ...where, ...selectorFlags(query)];
      if (info.verb === 'watch') return ['get', resourceName(info), ...name, ...where, ...selectorFlags(query), '--watch-only'];
      if (info.verb === 'delete') return ['delete', resourceName(info), ...name, ...where];
      return undefined;
    case 'log':
      if (info.resource !== 'pods' || info.verb !== 'get') return undefined;
      return ['logs', ...name, ...where, ...(query.get('container') ? ['-c', shellQuote(query.get('container') as string)] : []), ...(query.get('follow') === 'true' ? ['-f'] : [])];
    case 'exec': {
      if (info.resource !== 'pods') return undefined;
      const command = query.getAll('command').map(shellQuote);
      return ['exec', ...(query.get('stdin') === 'true' ? ['-i'] : []), ...(query.get('tty') === 'true' ? ['-t'] : []), ...name, ...where, '--', ...command];
    }
    case 'portforward':
      if (info.resource !== 'pods') return undefined;
      return ['port-forward', `pod/${info.name}`, ...where, ...query.getAll('ports').map(shellQuote)];
    case 'status':
      return info.verb === 'get' ? ['get', resourceName(info), ...name, ...where, '--subresource=status'] : undefined;
    default:
      return undefined;
  }
}
