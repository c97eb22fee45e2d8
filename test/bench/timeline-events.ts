// The socket events `--timeline` records, shared by the recorder (loaded into kubegate) and the reader.

// The last two are V8's collections (minor: a scavenge; full: a mark-compact), at their start.
export const TIMELINE_EVENTS = ['connection', 'request', 'upstream-write', 'upstream-read', 'client-write', 'gc-minor', 'gc-full'] as const;
export type TimelineEvent = (typeof TIMELINE_EVENTS)[number];
