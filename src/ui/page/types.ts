// What kubegate sends the page (src/ui/record.ts: RecordSummary and RecordDetail), as the page reads it.

export interface Summary {
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
  readonly stream: 'watch' | 'tunnel' | null;
  readonly open: boolean;
  readonly events: number;
  readonly cutShort: boolean;
  readonly auditId: string | null;
}

export interface Detail extends Summary {
  readonly requestHeaders: Readonly<Record<string, string | string[]>>;
  readonly responseHeaders: Readonly<Record<string, string | string[]>>;
  readonly requestBody: string;
  readonly responseBody: string;
  readonly curl: string;
  readonly kubectl: string | null;
}
