// What every floor forwarder shares: its command line and the hop-by-hop headers it must not pass on.
// A floor is the least a proxy on that stack can do: forward method, path, headers and body to the
// API server over TLS with a client certificate, and stream the answer back. No kubeconfig, no
// filters, no logging: whatever kubegate spends above a floor is kubegate's own.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export interface FloorArgs {
  readonly port: number;
  /** The API server's origin, `https://127.0.0.1:PORT`. */
  readonly origin: string;
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export function floorArgs(argv: readonly string[] = process.argv.slice(2)): FloorArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: { port: { type: 'string' }, server: { type: 'string' }, ca: { type: 'string' }, cert: { type: 'string' }, key: { type: 'string' } },
  });
  const required = (name: keyof typeof values): string => {
    const value = values[name];
    if (value === undefined) throw new Error(`floor forwarder: --${name} is required`);
    return value;
  };
  return {
    port: Number(required('port')),
    origin: new URL(required('server')).origin,
    ca: readFileSync(required('ca')),
    cert: readFileSync(required('cert')),
    key: readFileSync(required('key')),
  };
}

/** RFC 9110 7.6.1's connection-specific headers, plus Host (the upstream's is its own). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

/** Node's header object without hop-by-hop fields, for the next hop. */
export function endToEnd<T>(headers: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const name of Object.keys(headers)) {
    if (!HOP_BY_HOP.has(name)) out[name] = headers[name] as T;
  }
  return out;
}
