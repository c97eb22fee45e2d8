import t from 'tap';
import type { Dispatcher } from 'undici';
import type { Credentials } from '../../src/auth/credentials.js';
import { dispatchRefreshingOn401, type Dispatch } from '../../src/upstream/retry-401.js';
import { noCredentials } from '../fixtures/credentials.js';

class FakeController implements Dispatcher.DispatchController {
  aborted = false;
  paused = false;
  reason: Error | null = null;
  abort(reason: Error): void {
    this.aborted = true;
    this.reason = reason;
  }
  pause(): void {}
  resume(): void {}
}

/** What the caller's handler was told, in order. */
function recordingHandler(): { events: string[]; handler: Dispatcher.DispatchHandler } {
  const events: string[] = [];
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart: () => events.push('start'),
    onResponseStart: (_controller, statusCode) => events.push(`status ${statusCode}`),
    onResponseData: (_controller, chunk) => events.push(`data ${chunk.toString()}`),
    onResponseEnd: () => events.push('end'),
    onResponseError: (_controller, error) => events.push(`error ${error.message}`),
  };
  return { events, handler };
}

/** A dispatch that answers attempt N with `statuses[N]` and a body naming the attempt, unless aborted at its head. */
function answering(statuses: readonly number[]): { dispatch: Dispatch; sent: Dispatcher.DispatchOptions[]; handlers: Dispatcher.DispatchHandler[] } {
  const sent: Dispatcher.DispatchOptions[] = [];
  const handlers: Dispatcher.DispatchHandler[] = [];
  const dispatch: Dispatch = (options, handler) => {
    sent.push(options);
    handlers.push(handler);
    const attempt = sent.length;
    const controller = new FakeController();
    handler.onRequestStart?.(controller, {});
    handler.onResponseStart?.(controller, statuses[attempt - 1] ?? 500, {}, '');
    if (controller.aborted) return;
    handler.onResponseData?.(controller, Buffer.from(`attempt ${attempt}`));
    handler.onResponseEnd?.(controller, {});
  };
  return { dispatch, sent, handlers };
}

/** A token source that hands out `next` once the old token was dropped. */
function rotatingToken(old: string, next: string): { credentials: Credentials; invalidated: () => number } {
  let dropped = 0;
  const credentials: Credentials = {
    ...noCredentials,
    authorization: () => (dropped > 0 ? next : old),
    invalidate: () => {
      dropped++;
    },
  };
  return { credentials, invalidated: () => dropped };
}

const options: Dispatcher.DispatchOptions = { origin: 'https://127.0.0.1:6443', path: '/api/v1/pods', method: 'GET', headers: { authorization: 'Bearer old', accept: '*/*' } };

t.test('no credential of kubegate\'s on the request: the caller\'s own handler is dispatched, and a 401 reaches it with nothing dropped', async (t) => {
  const { credentials, invalidated } = rotatingToken('Bearer old', 'Bearer new');
  const { dispatch, sent, handlers } = answering([401]);
  const { events, handler } = recordingHandler();
  let rejected = 0;
  dispatchRefreshingOn401(dispatch, options, handler, { credentials, used: undefined, retryable: true, onRejected: () => rejected++ });
  t.equal(handlers[0], handler, 'no wrapper between undici and the relay');
  t.equal(sent.length, 1);
  t.same(events, ['start', 'status 401', 'data attempt 1', 'end']);
  t.equal(invalidated(), 0);
  t.equal(rejected, 0);
});

t.test('kubegate\'s token rejected: dropped, counted, and the request sent once more with the fresh one; the client sees the second answer only', async (t) => {
  const { credentials, invalidated } = rotatingToken('Bearer old', 'Bearer new');
  const { dispatch, sent } = answering([401, 200]);
  const { events, handler } = recordingHandler();
  let rejected = 0;
  dispatchRefreshingOn401(dispatch, options, handler, { credentials, used: 'Bearer old', retryable: true, onRejected: () => rejected++ });
  t.equal(sent.length, 2);
  t.same((sent[1]?.headers as Record<string, string>).authorization, 'Bearer new');
  t.same((sent[1]?.headers as Record<string, string>).accept, '*/*', 'the other headers go again as they were');
  t.same(events, ['start', 'status 200', 'data attempt 2', 'end']);
  t.equal(invalidated(), 1);
  t.equal(rejected, 1);
});

t.test('a 401 to a request that may not be sent twice, or with no fresher credential, is dropped and passed on', async (t) => {
  for (const [what, retryable, next] of [
    ['not replayable', false, 'Bearer new'],
    ['same token again', true, 'Bearer old'],
  ] as const) {
    const { credentials, invalidated } = rotatingToken('Bearer old', next);
    const { dispatch, sent } = answering([401, 200]);
    const { events, handler } = recordingHandler();
    dispatchRefreshingOn401(dispatch, options, handler, { credentials, used: 'Bearer old', retryable, onRejected: () => {} });
    t.equal(sent.length, 1, what);
    t.same(events, ['start', 'status 401', 'data attempt 1', 'end'], what);
    t.equal(invalidated(), 1, `${what}: the credential is dropped all the same`);
  }
});
