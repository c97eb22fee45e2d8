// What kubegate sends the page, under the names the page uses (the shapes live in src/ui/wire.ts).

export type { RecordSummary as Summary, RecordDetail as Detail } from '../wire.js';
