// What kubegate sends the page: one shape for both sides (src/ui/record.ts builds it, src/ui/page/ reads it).
// Types only, no imports: the browser bundle takes nothing else from the server's code.

export type StreamKind = 'watch' | 'tunnel';

/** What the live list shows of a request (sent as one server-sent event). */
export interface RecordSummary {
  readonly id: number;
  readonly time: number;
  readonly method: string;
  readonly url: string;
  readonly verb: string;
  readonly apiGroup: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
  readonly status: number;
  readonly durationMs: number | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly refusedBy: string | null;
  readonly stream: StreamKind | null;
  readonly open: boolean;
  readonly events: number;
  readonly cutShort: boolean;
  readonly auditId: string | null;
}

/** One request opened in the page: headers and the first part of each body, redacted as -v=8/-v=9 are. */
export interface RecordDetail extends RecordSummary {
  readonly requestHeaders: Readonly<Record<string, string | string[]>>;
  readonly responseHeaders: Readonly<Record<string, string | string[]>>;
  readonly requestBody: string;
  readonly responseBody: string;
  readonly curl: string;
  readonly kubectl: string | null;
}
