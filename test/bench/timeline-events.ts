// The socket events `--timeline` records, shared by the recorder (loaded into kubegate) and the reader.

export const TIMELINE_EVENTS = ['connection', 'request', 'upstream-write', 'upstream-read', 'client-write'] as const;
export type TimelineEvent = (typeof TIMELINE_EVENTS)[number];
