import t from 'tap';
import { combineReadiness, unusableReadiness } from '../../src/observe/context-readiness.js';

t.test('ready when every context is; each reason and detail names its context', async (t) => {
  const ready = async () => ({ ready: true, reasons: [], details: ['credential expires in 1h'] });
  const down = async () => ({ ready: false, reasons: ['the API server at https://x did not answer'], details: [] });
  t.same(await combineReadiness([{ name: 'a', check: ready }, { name: 'b/c', check: ready }])(), {
    ready: true,
    reasons: [],
    details: ['context "a": ready', 'context "a": credential expires in 1h', 'context "b/c": ready', 'context "b/c": credential expires in 1h'],
  });
  const mixed = await combineReadiness([{ name: 'a', check: ready }, { name: 'b', check: down }, { name: 'c', check: unusableReadiness('its CA cannot be read') }])();
  t.equal(mixed.ready, false);
  t.same(mixed.reasons, ['context "b": the API server at https://x did not answer', 'context "c": its CA cannot be read']);
  t.match(mixed.details, ['context "a": ready', 'context "a": credential expires in 1h', 'context "b": not ready', 'context "c": not ready']);
});
