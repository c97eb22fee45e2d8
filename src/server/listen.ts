// Opens the listener (TCP or unix socket) and formats its address the way kubectl prints it.

import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, stat, unlink } from 'node:fs/promises';
import { connect, isIPv6 } from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { Server } from 'node:http';
import { KubegateError } from '../errors.js';
import type { ListenTarget } from '../options/complete.js';

/** sizeof(sockaddr_un.sun_path) - 1 on Linux. */
const MAX_SOCKET_PATH_BYTES = 107;

export interface Listening {
  /** What follows `Starting to serve on ` (kubectl's l.Addr().String()). */
  readonly display: string;
  readonly port: number | undefined;
  /** The IP address bound (a host name resolved), for the beyond-this-machine warnings; undefined for a unix socket. */
  readonly address: string | undefined;
  /** Removes what listening left behind (the unix socket file). */
  cleanup(): Promise<void>;
}

/** Go's net.JoinHostPort. */
export function joinHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Which listener: the API's (named by the flag that set it) or the admin endpoints'. */
export type ListenerFlag = '--port' | '--unix-socket' | '--admin-address';

/** What a failed TCP bind means for this listener, in the words of the flag to change. */
function tcpReason(target: Extract<ListenTarget, { kind: 'tcp' }>, error: NodeJS.ErrnoException, flag: ListenerFlag): string {
  const admin = flag === '--admin-address';
  switch (error.code) {
    case 'EADDRINUSE':
      return admin
        ? 'address already in use (kubegate\'s API listener or another program has this port; pick another --admin-address port)'
        : 'address already in use (is another kubectl proxy or kubegate running? pick another --port, or --port 0)';
    case 'EADDRNOTAVAIL':
      return `cannot assign requested address (that IP is not on this machine; try ${admin ? '--admin-address 127.0.0.1:PORT' : '--address 127.0.0.1'})`;
    case 'EACCES':
      return target.port > 0 && target.port < 1024
        ? `permission denied (ports below 1024 need privileges; pick ${admin ? 'an --admin-address port' : 'a --port'} above 1024)`
        : 'permission denied';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `lookup ${target.host}: no such host (${admin ? '--admin-address' : '--address'} takes an IP address or a name this machine resolves)`;
    default:
      return error.message;
  }
}

function tcpListenError(target: Extract<ListenTarget, { kind: 'tcp' }>, error: NodeJS.ErrnoException, flag: ListenerFlag): KubegateError {
  const which = flag === '--admin-address' ? 'admin listener (--admin-address): ' : '';
  return new KubegateError('KG_ERR_LISTEN', `${which}listen tcp ${joinHostPort(target.host, target.port)}: bind: ${tcpReason(target, error, flag)}`, { cause: error });
}

/**
 * A unix socket's bind failure. libuv reports a missing directory as EACCES (for Windows' sake), so
 * the directory is looked at before blaming permissions.
 */
async function unixListenError(target: UnixTarget, error: NodeJS.ErrnoException): Promise<KubegateError> {
  const directory = dirname(target.path);
  const found = await stat(directory).catch((statError: NodeJS.ErrnoException) => statError);
  let reason: string;
  if (found instanceof Error && found.code === 'ENOENT') reason = `no such file or directory (the directory ${directory} does not exist; create it or pick another --unix-socket)`;
  else if (found instanceof Error || !found.isDirectory()) reason = `not a directory (${directory} is not a directory kubegate can use)`;
  else if (error.code === 'EACCES') reason = `permission denied (kubegate may not create files in ${directory})`;
  else reason = error.message;
  return new KubegateError('KG_ERR_LISTEN', `listen unix ${target.path}: bind: ${reason}`, { cause: error });
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
export async function listen(server: Server, target: ListenTarget, flag: ListenerFlag = target.kind === 'unix' ? '--unix-socket' : '--port'): Promise<Listening> {
  if (target.kind === 'tcp') {
    const host = target.host === '0.0.0.0' ? '::' : target.host;
    try {
      await listenOn(server, { port: target.port, host });
    } catch (error) {
      throw tcpListenError(target, error as NodeJS.ErrnoException, flag);
    }
    const address = server.address();
    const bound = typeof address === 'object' && address !== null ? address : undefined;
    const port = bound?.port ?? target.port;
    // kubectl prints the address bound (l.Addr()): a host name shows as the IP it resolved to.
    return { display: joinHostPort(bound?.address ?? host, port), port, address: bound?.address, cleanup: async () => {} };
  }

  return listenUnix(server, target);
}

type UnixTarget = Extract<ListenTarget, { kind: 'unix' }>;

/** How long a socket file may take to answer before it counts as served (a live server answers at once). */
const PROBE_TIMEOUT_MS = 1000;

/** Whether a process accepts connections on the socket file: ECONNREFUSED means it was left behind. */
function socketIsServed(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    const done = (served: boolean): void => {
      socket.destroy();
      resolve(served);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(true));
    socket.once('connect', () => done(true));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT'));
  });
}

function servedError(path: string): KubegateError {
  return new KubegateError(
    'KG_ERR_LISTEN',
    `listen unix ${path}: bind: address already in use (another process is serving on unix socket ${path}; stop it or pick another --unix-socket)`,
  );
}

/**
 * A socket left by a process that died is replaced; a live one is refused (two servers on one path
 * would take each other's clients, and the first to exit would delete the other's socket); any other
 * file is left alone (kubectl's rule).
 */
async function clearStaleSocket(path: string): Promise<void> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing === undefined) return;
  if (!existing.isSocket()) {
    throw new KubegateError(
      'KG_ERR_LISTEN',
      `listen unix ${path}: bind: address already in use (a file that is not a socket is in the way; remove it or pick another path)`,
    );
  }
  if (await socketIsServed(path)) throw servedError(path);
  await unlink(path).catch(() => undefined);
}

/**
 * Where to bind before the socket gets its real name. libuv unlinks the path it bound when the server
 * closes, whoever's file is there by then; binding a private name and hard-linking the real one leaves
 * the real name to kubegate's own, inode-checked clean-up. Undefined when the name would not fit.
 */
function privateSocketPath(path: string): string | undefined {
  const candidate = join(dirname(path), `.${basename(path).slice(0, 16)}.${randomBytes(4).toString('hex')}`);
  return Buffer.byteLength(candidate) <= MAX_SOCKET_PATH_BYTES ? candidate : undefined;
}

async function bindOwnerOnly(server: Server, target: UnixTarget, path: string): Promise<void> {
  // Owner-only from the moment the socket exists: bind under umask 077, then make sure with chmod.
  // Node binds synchronously inside listen(), so the umask is restored before anything else runs.
  const previousUmask = process.umask(0o077);
  const listening = listenOn(server, { path });
  process.umask(previousUmask);
  try {
    await listening;
  } catch (error) {
    throw await unixListenError(target, error as NodeJS.ErrnoException);
  }
}

/** Gives the bound private socket its real name; link(2) never replaces a file that appeared meanwhile. */
async function publish(target: UnixTarget, privatePath: string): Promise<void> {
  try {
    await link(privatePath, target.path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw servedError(target.path);
    throw await unixListenError(target, error as NodeJS.ErrnoException);
  } finally {
    await unlink(privatePath).catch(() => undefined);
  }
}

async function listenUnix(server: Server, target: UnixTarget): Promise<Listening> {
  // Linux keeps at most 107 bytes of a socket path (sun_path); a longer one would be silently cut.
  if (Buffer.byteLength(target.path) > MAX_SOCKET_PATH_BYTES) {
    throw new KubegateError(
      'KG_ERR_LISTEN',
      `listen unix ${target.path}: bind: path too long (${Buffer.byteLength(target.path)} bytes; the limit is ${MAX_SOCKET_PATH_BYTES}): use a shorter path, e.g. under /tmp`,
    );
  }
  await clearStaleSocket(target.path);
  const privatePath = privateSocketPath(target.path);
  await bindOwnerOnly(server, target, privatePath ?? target.path);
  if (privatePath !== undefined) await publish(target, privatePath);
  await chmod(target.path, 0o600);
  const bound = await stat(target.path);
  return {
    display: target.path,
    port: undefined,
    address: undefined,
    cleanup: async () => {
      // Only the socket this process bound: another server may have taken the name since.
      const now = await lstat(target.path).catch(() => undefined);
      if (now !== undefined && now.ino === bound.ino && now.dev === bound.dev) await unlink(target.path).catch(() => undefined);
    },
  };
}
