import t from 'tap';
import type { Dispatcher } from 'undici';
import { isConnectionLost, isReplayable, retryStaleConnection } from '../../src/upstream/retry-stale-connection.js';

const options = (method: string, extra: Partial<Dispatcher.DispatchOptions> = {}): Dispatcher.DispatchOptions => ({ path: '/api', method: method as Dispatcher.HttpMethod, headers: {}, body: null, ...extra });

// Go's transport.go isReplayable: no body, and a safe method or an Idempotency-Key.
const replayable: readonly [string, Dispatcher.DispatchOptions, boolean][] = [
  ['GET without a body', options('GET'), true],
  ['HEAD', options('HEAD'), true],
  ['OPTIONS', options('OPTIONS'), true],
  ['a GET with a body', options('GET', { body: 'x' }), false],
  ['POST', options('POST'), false],
  ['DELETE', options('DELETE'), false],
  ['a bodyless PUT with an Idempotency-Key', options('PUT', { headers: { 'Idempotency-Key': 'k' } }), true],
  ['an upgrade', options('GET', { upgrade: 'websocket' }), false],
];
for (const [name, input, expected] of replayable) {
  t.test(`isReplayable: ${name} → ${expected}`, async (t) => t.equal(isReplayable(input), expected));
}

const lost: readonly [string, Error, boolean][] = [
  ['other side closed', Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), true],
  ['a reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), true],
  ['an answer undici refused', Object.assign(new Error('bad response'), { code: 'UND_ERR_SOCKET' }), false],
  ['connection refused', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), false],
  ['an abort without a code', new Error('client closed the connection'), false],
];
for (const [name, error, expected] of lost) {
  t.test(`isConnectionLost: ${name} → ${expected}`, async (t) => t.equal(isConnectionLost(error), expected));
}

/** A controller as undici hands one out; `aborted` set by abort(). */
function controller(): Dispatcher.DispatchController {
  let aborted = false;
  return {
    get aborted() {
      return aborted;
    },
    get paused() {
      return false;
    },
    get reason() {
      return null;
    },
    abort: () => (aborted = true),
    pause: () => {},
    resume: () => {},
  };
}

/** A dispatch whose n-th call runs script[n] against the handler it was given. */
function scripted(script: ((handler: Dispatcher.DispatchHandler) => void)[]): { dispatch: Dispatcher['dispatch']; calls: () => number } {
  let calls = 0;
  const dispatch = (_options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean => {
    const step = script[calls++];
    step?.(handler);
    return true;
  };
  return { dispatch, calls: () => calls };
}

const socketClosed = (): Error => Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });

function recorder(): { handler: Dispatcher.DispatchHandler; events: string[] } {
  const events: string[] = [];
  return {
    events,
    handler: {
      onRequestStart: () => events.push('start'),
      onResponseStart: (_c, status) => events.push(`status ${status}`),
      onResponseEnd: () => events.push('end'),
      onResponseError: (_c, error) => events.push(`error ${error.message}`),
    },
  };
}

t.test('a GET whose connection closed before any answer is sent once more, and only once', async (t) => {
  const fails = (handler: Dispatcher.DispatchHandler): void => {
    const c = controller();
    handler.onRequestStart?.(c, {});
    handler.onResponseError?.(c, socketClosed());
  };
  const { dispatch, calls } = scripted([fails, fails]);
  const { handler, events } = recorder();
  retryStaleConnection()(dispatch)(options('GET'), handler);
  t.equal(calls(), 2, 'one replay');
  t.same(events, ['start', 'start', 'error other side closed'], 'the second loss reaches the caller');
});

t.test('a replay that succeeds is all the caller sees after its second start', async (t) => {
  const { dispatch, calls } = scripted([
    (handler) => {
      const c = controller();
      handler.onRequestStart?.(c, {});
      handler.onResponseError?.(c, socketClosed());
    },
    (handler) => {
      const c = controller();
      handler.onRequestStart?.(c, {});
      handler.onResponseStart?.(c, 200, {}, 'OK');
      handler.onResponseEnd?.(c, {});
    },
  ]);
  const { handler, events } = recorder();
  retryStaleConnection()(dispatch)(options('GET'), handler);
  t.equal(calls(), 2);
  t.same(events, ['start', 'start', 'status 200', 'end']);
});

t.test('no replay once a final answer started, after an abort, or for a POST', async (t) => {
  const afterAnswer = scripted([
    (handler) => {
      const c = controller();
      handler.onResponseStart?.(c, 200, {}, 'OK');
      handler.onResponseError?.(c, socketClosed());
    },
  ]);
  retryStaleConnection()(afterAnswer.dispatch)(options('GET'), recorder().handler);
  t.equal(afterAnswer.calls(), 1, 'the body was cut: the client already has the status');

  const aborted = scripted([
    (handler) => {
      const c = controller();
      c.abort(new Error('client closed the connection'));
      handler.onResponseError?.(c, socketClosed());
    },
  ]);
  retryStaleConnection()(aborted.dispatch)(options('GET'), recorder().handler);
  t.equal(aborted.calls(), 1, 'an aborted request stays aborted');

  const post = scripted([(handler) => handler.onResponseError?.(controller(), socketClosed())]);
  const { handler, events } = recorder();
  retryStaleConnection()(post.dispatch)(options('POST'), handler);
  t.equal(post.calls(), 1, 'a POST is never sent twice');
  t.same(events, ['error other side closed']);
});

t.test('an interim 103 before the loss does not count as the answer', async (t) => {
  const { dispatch, calls } = scripted([
    (handler) => {
      const c = controller();
      handler.onResponseStart?.(c, 103, { link: '</x>' }, 'Early Hints');
      handler.onResponseError?.(c, socketClosed());
    },
  ]);
  retryStaleConnection()(dispatch)(options('GET'), recorder().handler);
  t.equal(calls(), 2);
});

t.test('a connection that failed before the request started (no controller) reaches the caller as its error', async (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  const { dispatch, calls } = scripted([(handler) => handler.onResponseError?.(undefined as unknown as Dispatcher.DispatchController, refused)]);
  const { handler, events } = recorder();
  retryStaleConnection()(dispatch)(options('GET'), handler);
  t.equal(calls(), 1);
  t.same(events, ['error connect ECONNREFUSED']);
});
