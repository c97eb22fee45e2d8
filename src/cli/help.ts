// `kubegate --help`: kubectl proxy's help text, with the options listed from the flag table.

import { FLAG_TABLE, type FlagRow } from '../options/flag-table.js';

/** One option as kubectl prints it: names, the default (strings quoted, as pflag does), the help on the next line. */
function optionLines(row: FlagRow): string {
  const names = row.short ? `-${row.short}, --${row.name}` : `--${row.name}`;
  const value = row.kind === 'bool' ? `=${row.defaultText ?? 'false'}` : row.kind === 'stringArray' ? '=[]' : row.kind === 'string' ? `='${row.defaultText ?? ''}'` : `=${row.defaultText ?? '0'}`;
  return `    ${names}${value}:\n\t${row.help}\n`;
}

export function helpText(command = 'kubegate'): string {
  const lines = (FLAG_TABLE as readonly FlagRow[]).filter((row) => !row.hidden).map(optionLines);
  return `Creates a proxy server or application-level gateway between localhost and the Kubernetes API server.
It also allows serving static content over specified HTTP path. All incoming data enters through one
port and gets forwarded to the remote Kubernetes API server port, except for the path matching the
static content path. A drop-in replacement for \`kubectl proxy\`: same flags, same defaults.

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
${lines.join('\n')}
Usage:
  ${command} [--port=PORT] [--www=static-dir] [--www-prefix=prefix] [--api-prefix=prefix] [options]
`;
}
