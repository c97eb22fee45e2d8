// `kubegate --help`: laid out as `kubectl proxy --help` (same option lines, same order, same defaults),
// kubegate's own flags after kubectl proxy's, and kubectl's global flags listed where kubectl points to
// `kubectl options` (kubegate has no such command).

import { basename } from 'node:path';
import { FLAG_TABLE, type FlagRow } from '../options/flag-table.js';

/**
 * kubectl's global flags (`kubectl options`) that kubegate honours: listed after the usage line, as
 * kubectl lists them, rather than among kubectl proxy's own options.
 */
const KUBECTL_GLOBAL_FLAGS: ReadonlySet<string> = new Set([
  'as', 'as-group', 'as-uid', 'certificate-authority', 'client-certificate', 'client-key', 'cluster', 'context',
  'disable-compression', 'insecure-skip-tls-verify', 'kubeconfig', 'namespace', 'password', 'request-timeout',
  'server', 'tls-server-name', 'token', 'user', 'username', 'v',
]);

/**
 * The command's name as the user typed it: `kubectl gate` when run as the kubectl plugin
 * `kubectl-gate` (kubectl's plugin naming: `-` separates words, `_` stands for `-`), else `kubegate`.
 */
export function commandName(scriptPath: string | undefined): string {
  const name = basename(scriptPath ?? '').replace(/\.(c|m)?js$/, '');
  if (!name.startsWith('kubectl-') || name.length === 'kubectl-'.length) return 'kubegate';
  return ['kubectl', ...name.slice('kubectl-'.length).split('-')].map((word) => word.replaceAll('_', '-')).join(' ');
}

/** The default as kubectl prints it: strings quoted (`=''` when empty), numbers, durations and booleans bare. */
function defaultText(row: FlagRow): string {
  switch (row.kind) {
    case 'bool':
      return row.defaultText ?? 'false';
    case 'stringArray':
      return '[]';
    case 'string':
      return `'${row.defaultText ?? ''}'`;
    default:
      return row.defaultText ?? '0';
  }
}

/** One option as kubectl's help template prints it: four spaces, the names and default, the help after a tab on the next line. */
export function optionLines(row: FlagRow): string {
  const names = row.short ? `-${row.short}, --${row.name}` : `--${row.name}`;
  return `    ${names}=${defaultText(row)}:\n\t${row.help}\n`;
}

const byName = (a: FlagRow, b: FlagRow): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function helpText(command = 'kubegate'): string {
  const rows = FLAG_TABLE as readonly FlagRow[];
  const shown = rows.filter((row) => !row.hidden);
  // The table lists kubectl proxy's flags first, in kubectl's order, then kubegate's own.
  const options = shown.filter((row) => !KUBECTL_GLOBAL_FLAGS.has(row.name)).map(optionLines);
  // `kubectl options` sorts by name.
  const globals = shown.filter((row) => KUBECTL_GLOBAL_FLAGS.has(row.name)).sort(byName).map(optionLines);
  const ignored = rows.filter((row) => row.hidden).map((row) => `--${row.name}`);
  return `Creates a proxy server or application-level gateway between localhost and the Kubernetes API server. It also allows serving static content over specified HTTP path. All incoming data enters through one port and gets forwarded to the remote Kubernetes API server port, except for the path matching the static content path.

A drop-in replacement for \`kubectl proxy\`: same flags, same defaults, same output.

Examples:
  # Proxy the whole Kubernetes API on localhost:8001
  ${command}
  curl http://localhost:8001/api/v1/namespaces/default/pods
  
  # Pick a free port and print it
  ${command} --port=0
  
  # Serve ./local/www under /static/ and the API under /api/
  ${command} --www=./local/www --www-prefix=/static/ --api-prefix=/api/
  
  # Allow exec and attach through the proxy (blocked by default)
  ${command} --reject-paths='^$'
  
  # Try it with no cluster: a built-in demo API server
  ${command} --demo

Options:
${options.join('\n')}
Usage:
  ${command} [--port=PORT] [--www=static-dir] [--www-prefix=prefix] [--api-prefix=prefix] [options]

kubectl's global options, honoured the same way (as "kubectl options" lists them):

${globals.join('\n')}
Also accepted for compatibility, with no effect: ${ignored.join(', ')}.
`;
}
