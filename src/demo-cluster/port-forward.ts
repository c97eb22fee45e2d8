// Port-forward as the kubelet serves it (portforward.k8s.io over SPDY/3.1): for every local connection
// the client opens an error stream and a data stream with the same `requestid`; the data stream is
// joined to the pod's port, and a failure is written as text on the error stream. Both streams are
// closed when the connection to the pod ends, which is what lets kubectl finish that connection.

import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { SpdyServerSession, type SpdyStream } from './spdy.js';

export interface PortForwardPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** Where the pod's port is really served (a loopback server of the demo), or undefined: nothing listens there. */
export type PortBackend = (port: number) => { readonly host: string; readonly port: number } | undefined;

interface StreamPair {
  error?: SpdyStream;
  data?: SpdyStream;
}

export function servePortForward(socket: Duplex, initial: Buffer | undefined, pod: PortForwardPod, backend: PortBackend): SpdyServerSession {
  const session = new SpdyServerSession(socket, initial);
  const pairs = new Map<string, StreamPair>();

  const refuse = (pair: Required<StreamPair>, port: string, reason: string): void => {
    pair.error.end(`error forwarding port ${port} to pod ${pod.name}, uid ${pod.uid}: ${reason}`);
    pair.data.end();
  };

  const forward = (pair: Required<StreamPair>): void => {
    const portText = pair.data.headers.port ?? '';
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      refuse(pair, portText, `invalid port "${portText}"`);
      return;
    }
    const target = backend(port);
    if (!target) {
      refuse(pair, portText, `failed to connect to localhost:${port} inside namespace "${pod.namespace}": connection refused (the demo pod listens only on its declared containerPort)`);
      return;
    }
    const upstream = connect(target.port, target.host);
    let failed = false;
    upstream.on('error', (error) => {
      failed = true;
      refuse(pair, portText, `failed to connect to localhost:${port}: ${error.message}`);
    });
    // Both directions as plain pipes: the client's FIN half-closes the pod side, the pod's end ends the data stream.
    pair.data.pipe(upstream);
    upstream.pipe(pair.data);
    pair.data.on('error', () => upstream.destroy());
    pair.data.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      if (!failed) pair.error.end();
    });
  };

  session.on('stream', (stream) => {
    const type = stream.headers.streamtype;
    const key = stream.headers.requestid ?? stream.headers.port ?? '';
    if (type !== 'error' && type !== 'data') {
      stream.reset();
      return;
    }
    stream.on('error', () => {});
    void stream.reply().then(() => {
      const pair = pairs.get(key) ?? {};
      pairs.set(key, pair);
      if (type === 'error') {
        pair.error = stream;
        stream.resume(); // the client sends nothing but its FIN here
      } else {
        pair.data = stream;
      }
      if (pair.error && pair.data) {
        pairs.delete(key);
        forward({ error: pair.error, data: pair.data });
      }
    });
  });
  return session;
}
