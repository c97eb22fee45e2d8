import t from 'tap';
import { countCollections, formatTimeline, parseTimelineLog, requestSpans, summariseSpans } from './timeline.js';

const LOG = [
  '5.0 upstream-read', // before any connection: not a request's
  '10.0 connection',
  '10.3 request',
  '10.9 upstream-write',
  '10.95 upstream-write',
  '33.9 upstream-read',
  '34.0 upstream-read',
  '34.4 client-write',
  '34.5 client-write',
  '200.0 connection', // answered without the API server (a readiness probe): no spans
  '200.2 request',
  '200.5 client-write',
  '250.0 gc-minor', // collections between requests: counted, and no part of any span
  '300.0 connection',
  '300.1 gc-full',
  '300.25 request',
  '300.75 upstream-write',
  '323.75 upstream-read',
  '324.25 client-write',
  '',
].join('\n');

t.test('each connection gives the first of each event after the one before it, in microseconds', async (t) => {
  const spans = requestSpans(parseTimelineLog(LOG));
  t.same(spans, [
    { connectionToRequest: 300, requestToUpstreamWrite: 600, upstreamWriteToRead: 23000, upstreamReadToClientWrite: 500 },
    { connectionToRequest: 250, requestToUpstreamWrite: 500, upstreamWriteToRead: 23000, upstreamReadToClientWrite: 500 },
  ]);
});

t.test('a client write before the upstream read does not count as the answer', async (t) => {
  const spans = requestSpans(parseTimelineLog(['0 connection', '0.1 request', '0.2 client-write', '0.3 upstream-write', '1.3 upstream-read', '1.5 client-write'].join('\n')));
  t.same(spans, [{ connectionToRequest: 100, requestToUpstreamWrite: 200, upstreamWriteToRead: 1000, upstreamReadToClientWrite: 200 }]);
});

t.test('medians per span, and the line the bench prints', async (t) => {
  const summary = summariseSpans(requestSpans(parseTimelineLog(LOG)));
  t.equal(summary.requests, 2);
  t.equal(summary.connectionToRequest, 250, 'the lower middle of two');
  t.match(formatTimeline(summary), /medians over 2 requests, µs\): connection → request 250, request → upstream write 500/);
  t.match(formatTimeline(summariseSpans(requestSpans(parseTimelineLog(LOG)), { minor: 3, full: 1 })), /V8 collections in those processes: 3 minor, 1 full$/);
});

t.test("V8's collections are counted by kind", async (t) => {
  t.same(countCollections(parseTimelineLog(LOG)), { minor: 1, full: 1 });
  t.same(countCollections(parseTimelineLog('1 connection\n2 gc-minor\n3 gc-minor\n')), { minor: 2, full: 0 });
});

t.test('a line that is not an event is an error naming it', async (t) => {
  t.throws(() => parseTimelineLog('10.0 connection\n11.0 sneeze\n'), /cannot read the line "11.0 sneeze"/);
  t.throws(() => parseTimelineLog('soon request\n'), /cannot read the line "soon request"/);
});
