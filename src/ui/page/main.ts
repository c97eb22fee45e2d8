// The --ui page: tabs, the live list (connected at once), the explorer (read when first opened).

import { byId } from './dom.js';
import { Explorer } from './explorer.js';
import { LiveList } from './live.js';

interface PageConfig {
  /** --api-prefix, with its trailing slash. */
  readonly apiPrefix: string;
}

function showTab(name: 'live' | 'explorer'): void {
  for (const tab of ['live', 'explorer'] as const) {
    byId(tab).hidden = tab !== name;
    const button = byId(`tab-${tab}`);
    button.classList.toggle('active', tab === name);
    button.setAttribute('aria-selected', String(tab === name));
  }
}

async function start(): Promise<void> {
  const live = new LiveList();
  live.connect();
  const config = (await (await fetch('config', { cache: 'no-store' })).json()) as PageConfig;
  const explorer = new Explorer(config.apiPrefix, live);
  byId('tab-live').addEventListener('click', () => showTab('live'));
  byId('tab-explorer').addEventListener('click', () => {
    showTab('explorer');
    void explorer.open();
  });
  if (location.hash === '#explorer') byId('tab-explorer').click();
}

void start();
