// Reads the socket-event logs `--timeline` collects (socket-timeline.ts) into the spans of each
// cold request: one request per connection, as the bench client sends them.

import { percentile } from './report.js';
import { TIMELINE_EVENTS, type TimelineEvent } from './timeline-events.js';

export interface TimedEvent {
  /** Milliseconds on the process's monotonic clock. */
  readonly at: number;
  readonly event: TimelineEvent;
}

/** One request's time in microseconds: Node's parse, kubegate's way out, the API server and link, the way back. */
export interface RequestSpans {
  readonly connectionToRequest: number;
  readonly requestToUpstreamWrite: number;
  readonly upstreamWriteToRead: number;
  readonly upstreamReadToClientWrite: number;
}

export function parseTimelineLog(text: string): TimedEvent[] {
  const events: TimedEvent[] = [];
  for (const line of text.split('\n')) {
    const [at, event] = line.split(' ');
    if (at === undefined || event === undefined) continue;
    if (!(TIMELINE_EVENTS as readonly string[]).includes(event) || !Number.isFinite(Number(at))) throw new Error(`timeline: cannot read the line "${line}"`);
    events.push({ at: Number(at), event: event as TimelineEvent });
  }
  return events;
}

/**
 * Each connection's first request, first upstream write after it, first upstream read after that
 * and first client write after that. A connection missing one of them (a readiness probe answered
 * without the API server, a log cut short) gives no spans.
 */
export function requestSpans(events: readonly TimedEvent[]): RequestSpans[] {
  const spans: RequestSpans[] = [];
  let seen: Partial<Record<TimelineEvent, number>> | undefined;
  const close = (): void => {
    const { connection, request, 'upstream-write': write, 'upstream-read': read, 'client-write': answer } = seen ?? {};
    if (connection === undefined || request === undefined || write === undefined || read === undefined || answer === undefined) return;
    const us = (from: number, to: number): number => Math.round((to - from) * 1000);
    spans.push({ connectionToRequest: us(connection, request), requestToUpstreamWrite: us(request, write), upstreamWriteToRead: us(write, read), upstreamReadToClientWrite: us(read, answer) });
  };
  const next: Partial<Record<TimelineEvent, TimelineEvent>> = { connection: 'request', request: 'upstream-write', 'upstream-write': 'upstream-read', 'upstream-read': 'client-write' };
  let waitingFor: TimelineEvent | undefined;
  for (const { at, event } of events) {
    if (event === 'connection') {
      close();
      seen = { connection: at };
      waitingFor = 'request';
    } else if (seen !== undefined && event === waitingFor) {
      seen[event] = at;
      waitingFor = next[event];
    }
  }
  close();
  return spans;
}

/** V8's collections in a log: what a full one costs a cold request is what the spans cannot show. */
export interface Collections {
  readonly minor: number;
  readonly full: number;
}

export function countCollections(events: readonly TimedEvent[]): Collections {
  let minor = 0;
  let full = 0;
  for (const { event } of events) {
    if (event === 'gc-minor') minor++;
    else if (event === 'gc-full') full++;
  }
  return { minor, full };
}

export type TimelineSummary = { readonly requests: number; readonly collections: Collections } & RequestSpans;

/** The median of each span, in microseconds, and the collections of the same processes. */
export function summariseSpans(spans: readonly RequestSpans[], collections: Collections = { minor: 0, full: 0 }): TimelineSummary {
  const median = (pick: (spans: RequestSpans) => number): number => percentile(spans.map(pick), 50);
  return {
    requests: spans.length,
    collections,
    connectionToRequest: median((s) => s.connectionToRequest),
    requestToUpstreamWrite: median((s) => s.requestToUpstreamWrite),
    upstreamWriteToRead: median((s) => s.upstreamWriteToRead),
    upstreamReadToClientWrite: median((s) => s.upstreamReadToClientWrite),
  };
}

export function formatTimeline(summary: TimelineSummary): string {
  return (
    `kubegate's cold-request timeline (--timeline; medians over ${summary.requests} requests, µs): ` +
    `connection → request ${summary.connectionToRequest}, request → upstream write ${summary.requestToUpstreamWrite}, ` +
    `upstream write → read ${summary.upstreamWriteToRead}, upstream read → client write ${summary.upstreamReadToClientWrite}; ` +
    `V8 collections in those processes: ${summary.collections.minor} minor, ${summary.collections.full} full`
  );
}
