// Upgraded connections of the demo API server: exec/attach over the WebSocket channel protocol; port-forward
// as kubectl speaks it (SPDY/3.1, raw or tunnelled in WebSocket messages); and byte echoes for the tests'
// opaque tunnels.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import { startCommand, type ContainerFiles, type RunningCommand } from './exec-emulator.js';
import { servePortForward, type PortBackend, type PortForwardPod } from './port-forward.js';
import { SPDY_VERSION } from './spdy.js';

/** Channel numbers of the Kubernetes remotecommand stream protocol. */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;
/** Subprotocols the demo server speaks, most preferred first (as kube-apiserver picks). */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
/** kubectl 1.31+ tunnels its SPDY port-forward session in WebSocket messages under the first of these. */
export const SPDY_OVER_WEBSOCKET = 'SPDY/3.1+portforward.k8s.io';
/**
 * The ws library accepts only RFC 7230 tokens as subprotocols and '/' is not one (Go's server does not
 * check): the request offers this stand-in to ws, and the answer's header is put back to the real name.
 */
const SPDY_OVER_WEBSOCKET_TOKEN = 'SPDY-3.1+portforward.k8s.io';
export const PORT_FORWARD_PROTOCOLS = [SPDY_OVER_WEBSOCKET_TOKEN, 'v4.channel.k8s.io', 'portforward.k8s.io'] as const;

export interface TunnelRegistry {
  /** Upgraded connections currently open on the server side. */
  open(): number;
  /** Cuts every open tunnel from the server side (tests: "the upstream aborts"). */
  abortAll(): void;
}

export interface UpgradeTarget {
  /** `exec`, `attach` or `portforward`. */
  readonly subresource: string;
  readonly query: URLSearchParams;
  /** For port-forward: the pod, and where each of its ports is really served. */
  readonly portForward?: { readonly pod: PortForwardPod; readonly backend: PortBackend };
}

/** The first bytes of a SPDY/3 control frame: what a real port-forward client sends first. */
function startsWithSpdyFrame(chunk: Buffer): boolean {
  return chunk.length >= 4 && chunk.readUInt16BE(0) === (0x8000 | SPDY_VERSION) && chunk.readUInt16BE(2) >= 1 && chunk.readUInt16BE(2) <= 9;
}

function successStatus(): string {
  return JSON.stringify({ metadata: {}, status: 'Success' });
}

function exitStatus(argv: readonly string[], code: number): string {
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  });
}

function frame(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), body]);
}

/** Writes a plain HTTP/1.1 error on a socket that was never upgraded. */
export function rejectUpgrade(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export interface StreamServer {
  handle(request: IncomingMessage, socket: Duplex, head: Buffer, target: UpgradeTarget): void;
  registry: TunnelRegistry;
  /** What `kubectl cp` put into the containers (and can take out again). */
  files: ContainerFiles;
}

/** Remembers an upgraded socket until it closes (the registry counts and cuts them). */
type Track = (socket: Duplex) => void;

/** How long the demo's container runtime takes to start an exec'd process (see runExec). */
const EXEC_START_MS = 50;

function runExec(ws: WebSocket, target: UpgradeTarget, files: ContainerFiles): void {
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  const withStdin = target.query.get('stdin') === 'true' || target.query.get('stdin') === '1';
  const argv = target.subresource === 'attach' ? (withStdin ? ['cat'] : ['attach-idle']) : target.query.getAll('command');
  let command: RunningCommand | undefined;
  // kubectl before 1.34 starts reading the WebSocket before it has registered its streams, and drops
  // what arrives in between ("Unknown stream id 1, discarding message"; client-go fixed it in 1.34,
  // commit 2f016580e, "make sure all streams are created before starting demux websocket"). A real
  // container runtime takes milliseconds to start the process, so a real API server rarely hits that
  // window; the demo answers in microseconds and did. It holds its first frames as long as a
  // runtime's start would (in memory, without backpressure: 50 ms of output), then sends them in order.
  let held: Buffer[] | undefined = [];
  let closeWhenReleased = false;
  const release = setTimeout(() => {
    const frames = held ?? [];
    held = undefined;
    for (const data of frames) if (ws.readyState === ws.OPEN) ws.send(data);
    if (closeWhenReleased) ws.close(1000);
  }, EXEC_START_MS);
  const send = (channel: number, data: Buffer | string): void => {
    if (held !== undefined) held.push(frame(channel, data));
    else if (ws.readyState === ws.OPEN) ws.send(frame(channel, data));
  };
  const io = {
    stdout: (data: Buffer) => send(CHANNEL.stdout, data),
    stderr: (data: Buffer) => send(CHANNEL.stderr, data),
    exit: (code: number) => {
      send(CHANNEL.error, code === 0 ? successStatus() : exitStatus(argv, code));
      if (held !== undefined) closeWhenReleased = true;
      else ws.close(1000);
    },
  };
  if (argv[0] === 'attach-idle') {
    // attach without stdin: the container's output, then nothing until the client leaves.
    send(CHANNEL.stdout, Buffer.from('attached: the demo container prints nothing more\n'));
  } else {
    command = startCommand(argv, io, files);
  }
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const message = isBinary ? data : Buffer.from(data);
    const channel = message[0];
    if (channel === CHANNEL.stdin) command?.stdin(message.subarray(1));
    else if (v5 && channel === CHANNEL.close && message[1] === CHANNEL.stdin) command?.stdinEnd();
  });
  const stop = (): void => {
    clearTimeout(release);
    command?.kill();
  };
  ws.on('close', stop);
  ws.on('error', stop);
}

function runPortForwardEcho(ws: WebSocket): void {
  // Every message comes back unchanged on its own channel: enough to prove the tunnel carries bytes both ways.
  ws.on('message', (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
}

function createWebSocketServer(): WebSocketServer {
  const webSockets = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
    handleProtocols: (offered, request) => {
      const wanted = /\/portforward(\?|$)/.test(request.url ?? '') ? PORT_FORWARD_PROTOCOLS : EXEC_PROTOCOLS;
      return wanted.find((protocol) => offered.has(protocol)) ?? false;
    },
  });
  webSockets.on('headers', (headers) => {
    const index = headers.indexOf(`Sec-WebSocket-Protocol: ${SPDY_OVER_WEBSOCKET_TOKEN}`);
    if (index !== -1) headers[index] = `Sec-WebSocket-Protocol: ${SPDY_OVER_WEBSOCKET}`;
  });
  return webSockets;
}

function handleWebSocketUpgrade(webSockets: WebSocketServer, files: ContainerFiles, track: Track, request: IncomingMessage, socket: Duplex, head: Buffer, target: UpgradeTarget): void {
  const offered = request.headers['sec-websocket-protocol'];
  if (typeof offered === 'string' && offered.includes(SPDY_OVER_WEBSOCKET)) {
    request.headers['sec-websocket-protocol'] = offered.replaceAll(SPDY_OVER_WEBSOCKET, SPDY_OVER_WEBSOCKET_TOKEN);
  }
  webSockets.handleUpgrade(request, socket, head, (ws) => {
    track(socket);
    if (target.subresource === 'portforward' && ws.protocol === SPDY_OVER_WEBSOCKET_TOKEN && target.portForward) {
      const tunnel = createWebSocketStream(ws);
      tunnel.on('error', () => {});
      servePortForward(tunnel, undefined, target.portForward.pod, target.portForward.backend);
    } else if (target.subresource === 'portforward') runPortForwardEcho(ws);
    else runExec(ws, target, files);
  });
}

function handleSpdyUpgrade(track: Track, request: IncomingMessage, socket: Duplex, head: Buffer, target: UpgradeTarget): void {
  // The 101 of a raw SPDY/3.1 upgrade; what follows depends on the client's first bytes (below).
  const versions = String(request.headers['x-stream-protocol-version'] ?? '').split(',')[0]?.trim();
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n${versions ? `X-Stream-Protocol-Version: ${versions}\r\n` : ''}\r\n`,
  );
  track(socket);
  socket.on('error', () => {});
  // A client that opens with a SPDY frame gets a real port-forward session; any other bytes are
  // echoed (the tests' opaque tunnels, which prove the proxy relays bytes without reading them).
  // Go's SPDY framer writes a frame header field by field, so the first chunk can be 2 bytes: decide
  // only once 4 have come (or the client stops sending).
  let first = head;
  const start = (): void => {
    socket.off('data', collect);
    socket.off('end', start);
    if (target.subresource === 'portforward' && target.portForward && startsWithSpdyFrame(first)) {
      servePortForward(socket, first, target.portForward.pod, target.portForward.backend);
      return;
    }
    if (socket.readableEnded) {
      socket.end(first);
      return;
    }
    if (first.length > 0) socket.write(first);
    socket.pipe(socket);
  };
  const collect = (chunk: Buffer): void => {
    first = Buffer.concat([first, chunk]);
    if (first.length >= 4) start();
  };
  if (first.length >= 4) start();
  else {
    socket.on('data', collect);
    socket.once('end', start);
  }
}

export function createStreamServer(): StreamServer {
  const files: ContainerFiles = new Map();
  const open = new Set<Duplex>();
  const track: Track = (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  const webSockets = createWebSocketServer();
  return {
    files,
    registry: {
      open: () => open.size,
      abortAll: () => {
        for (const socket of open) socket.destroy();
      },
    },
    handle(request, socket, head, target) {
      const upgrade = String(request.headers.upgrade ?? '').toLowerCase();
      if (upgrade === 'websocket') {
        handleWebSocketUpgrade(webSockets, files, track, request, socket, head, target);
        return;
      }
      if (upgrade.startsWith('spdy/')) {
        handleSpdyUpgrade(track, request, socket, head, target);
        return;
      }
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `unsupported upgrade "${upgrade}"`, reason: 'BadRequest', code: 400 });
      rejectUpgrade(socket, 400, 'Bad Request', body);
    },
  };
}
