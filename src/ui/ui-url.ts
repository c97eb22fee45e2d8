// Where the page is, as the start-up output prints it: an address a browser on this machine can open.

import { UI_PREFIX } from '../server/ui-route.js';

/** `127.0.0.1:8001` → `http://127.0.0.1:8001/-/ui/`; a wildcard address becomes loopback; a unix socket has no browser URL. */
export function uiUrl(display: string): string | undefined {
  if (!/^(\[[^\]]+\]|[^:/]+):\d+$/.test(display)) return undefined;
  const host = display.replace(/^\[::\]:/, '[::1]:').replace(/^0\.0\.0\.0:/, '127.0.0.1:');
  return `http://${host}${UI_PREFIX}`;
}

export function uiAnnouncement(display: string): string {
  const url = uiUrl(display);
  return url === undefined
    ? `Serving the request inspector and API explorer under ${UI_PREFIX} (on a unix socket: no browser can open it)\n`
    : `Serving the request inspector and API explorer at ${url}\n`;
}
