// Per client connection: which responses are still being written, and whether kubegate is closing it.
//
// HTTP/1.1 answers pipelined requests in order. Node's server queues its own responses, but bytes
// written straight onto the socket (a tunnel's 101, a rejection that closes the connection) would
// overtake them: those wait here until every earlier response has been written in full.

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface ConnectionState {
  /** Responses not yet finished, in the order their requests arrived. */
  readonly pending: Set<ServerResponse>;
  readonly waiters: Set<() => void>;
  closing: boolean;
}

export class ConnectionTracker {
  readonly #states = new WeakMap<Socket, ConnectionState>();

  #state(socket: Socket): ConnectionState {
    let state = this.#states.get(socket);
    if (state === undefined) {
      state = { pending: new Set(), waiters: new Set(), closing: false };
      this.#states.set(socket, state);
    }
    return state;
  }

  /** Called for every request as it arrives; the response counts until it closes. */
  started(response: ServerResponse): void {
    const socket = response.req.socket;
    const state = this.#state(socket);
    state.pending.add(response);
    response.once('close', () => {
      state.pending.delete(response);
      for (const wake of [...state.waiters]) wake();
    });
  }

  /** Resolves once every response that arrived before `self` (all of them when undefined) is written. */
  whenEarlierWritten(socket: Socket, self: ServerResponse | undefined): Promise<void> {
    const state = this.#state(socket);
    const earlierPending = (): boolean => {
      for (const response of state.pending) {
        if (response === self) return false;
        return true;
      }
      return false;
    };
    if (!earlierPending()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (earlierPending() && !socket.destroyed) return;
        state.waiters.delete(check);
        resolve();
      };
      state.waiters.add(check);
      socket.once('close', check);
    });
  }

  /**
   * An upgrade detaches the socket from Node's HTTP server, which then no longer passes the
   * socket's 'drain' and 'close' on to a pipelined response still being written. Do that here until
   * the earlier responses are done, or the response would stall (or outlive its client) for good.
   */
  adoptDetached(socket: Socket): void {
    const state = this.#state(socket);
    if (state.pending.size === 0) return;
    const onDrain = (): void => {
      for (const response of state.pending) if (response.writableNeedDrain) response.emit('drain');
    };
    const onClose = (): void => {
      for (const response of state.pending) response.destroy();
    };
    socket.on('drain', onDrain);
    socket.once('close', onClose);
    const release = (): void => {
      if (state.pending.size > 0 && !socket.destroyed) return;
      state.waiters.delete(release);
      socket.off('drain', onDrain);
      socket.off('close', onClose);
    };
    state.waiters.add(release);
  }

  /** From now on nothing more is served on this connection. */
  markClosing(socket: Socket): void {
    this.#state(socket).closing = true;
  }

  isClosing(socket: Socket): boolean {
    return this.#states.get(socket)?.closing === true;
  }
}
