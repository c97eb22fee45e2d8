// pods/log: three timestamped lines, then (with follow) one more every logLineIntervalMs until the client leaves.

import type { DemoCall, HandlerContext } from './context.js';

/** How often `logs -f` gets a line when the logLineIntervalMs test hook is not set. */
const DEFAULT_LOG_LINE_INTERVAL_MS = 500;

export function handleLog(ctx: HandlerContext, call: DemoCall): void {
  const { response, info, query } = call;
  const follow = query.get('follow') === 'true' || query.get('follow') === '1';
  const container = query.get('container') ?? 'main';
  const line = (n: number): string => `${new Date().toISOString()} ${info.name}/${container}: log line ${n}\n`;
  response.writeHead(200, { 'content-type': 'text/plain' });
  for (let n = 1; n <= 3; n++) response.write(line(n));
  if (!follow) {
    response.end();
    return;
  }
  let n = 3;
  const interval = setInterval(() => response.write(line(++n)), ctx.options.logLineIntervalMs ?? DEFAULT_LOG_LINE_INTERVAL_MS);
  const end = (): void => {
    clearInterval(interval);
    ctx.streams.delete(end);
    response.end();
  };
  ctx.streams.add(end);
  response.once('close', () => {
    clearInterval(interval);
    ctx.streams.delete(end);
  });
}
