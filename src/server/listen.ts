// Opens the listener (TCP or unix socket) and formats its address the way kubectl prints it.

import { lstat, chmod, unlink } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import type { Server } from 'node:http';
import { KubegateError } from '../errors.js';
import type { ListenTarget } from '../options/complete.js';

/** sizeof(sockaddr_un.sun_path) - 1 on Linux. */
const MAX_SOCKET_PATH_BYTES = 107;

export interface Listening {
  /** What follows `Starting to serve on ` (kubectl's l.Addr().String()). */
  readonly display: string;
  readonly port: number | undefined;
  /** Removes what listening left behind (the unix socket file). */
  cleanup(): Promise<void>;
}

/** Go's net.JoinHostPort. */
export function joinHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function listenError(target: ListenTarget, error: NodeJS.ErrnoException): KubegateError {
  const where = target.kind === 'unix' ? `unix ${target.path}` : `tcp ${joinHostPort(target.host, target.port)}`;
  const reasons: Record<string, string> = {
    EADDRINUSE: 'address already in use (is another kubectl proxy or kubegate running? pick another --port, or --port 0)',
    EADDRNOTAVAIL: 'cannot assign requested address (that IP is not on this machine; try --address 127.0.0.1)',
    EACCES: 'permission denied (ports below 1024 need privileges; pick a port above 1024)',
    ENOENT: 'no such file or directory (the socket directory must exist)',
    ENOTFOUND: 'host name not found',
  };
  const reason = (error.code && reasons[error.code]) ?? error.message;
  return new KubegateError('KG_ERR_LISTEN', `listen ${where}: bind: ${reason}`, { cause: error });
}

function listenOn(server: Server, options: { port: number; host: string } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * kubectl binds `0.0.0.0` as a dual-stack socket and prints `[::]:PORT`; doing the same keeps the
 * printed line identical and accepts IPv6 clients too.
 */
export async function listen(server: Server, target: ListenTarget): Promise<Listening> {
  if (target.kind === 'tcp') {
    const host = target.host === '0.0.0.0' ? '::' : target.host;
    try {
      await listenOn(server, { port: target.port, host });
    } catch (error) {
      throw listenError(target, error as NodeJS.ErrnoException);
    }
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : target.port;
    return { display: joinHostPort(host, port), port, cleanup: async () => {} };
  }

  // Linux keeps at most 107 bytes of a socket path (sun_path); a longer one would be silently cut.
  if (Buffer.byteLength(target.path) > MAX_SOCKET_PATH_BYTES) {
    throw new KubegateError(
      'KG_ERR_LISTEN',
      `listen unix ${target.path}: bind: path too long (${Buffer.byteLength(target.path)} bytes; the limit is ${MAX_SOCKET_PATH_BYTES}): use a shorter path, e.g. under /tmp`,
    );
  }
  // A stale socket from an earlier run is replaced; any other file is left alone (kubectl's rule).
  const existing = await lstat(target.path).catch(() => undefined);
  if (existing?.isSocket()) await unlink(target.path);
  else if (existing) {
    throw new KubegateError(
      'KG_ERR_LISTEN',
      `listen unix ${target.path}: bind: address already in use (a file that is not a socket is in the way; remove it or pick another path)`,
    );
  }
  // Owner-only from the moment the socket exists: bind under umask 077, then make sure with chmod.
  // Node binds synchronously inside listen(), so the umask is restored before anything else runs.
  const previousUmask = process.umask(0o077);
  const listening = listenOn(server, { path: target.path });
  process.umask(previousUmask);
  try {
    await listening;
  } catch (error) {
    throw listenError(target, error as NodeJS.ErrnoException);
  }
  await chmod(target.path, 0o600);
  return {
    display: target.path,
    port: undefined,
    cleanup: async () => {
      await unlink(target.path).catch(() => undefined);
    },
  };
}
