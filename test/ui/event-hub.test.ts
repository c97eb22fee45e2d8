import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import t from 'tap';
import { EventHub } from '../../src/ui/event-hub.js';
import { createRecord } from '../../src/ui/record.js';

/** Just what the hub uses of a response, recording what it is given. */
class FakeClient extends EventEmitter {
  written: string[] = [];
  writableLength = 0;
  destroyed = false;
  ended = false;
  writeHead(): this {
    return this;
  }
  write(text: string): boolean {
    this.written.push(text);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const asResponse = (client: FakeClient): ServerResponse => client as unknown as ServerResponse;
const record = (id: number) => createRecord(id, 'GET', `/api/v1/r${id}`, {}, { kind: 'api', upstreamPath: `/api/v1/r${id}`, query: undefined, filterPath: `/api/v1/r${id}`, streaming: false }, undefined);

t.test('with no page connected, a change costs nothing (nothing queued, nothing serialized)', async (t) => {
  const hub = new EventHub();
  const first = record(1);
  hub.changed(first);
  const client = new FakeClient();
  hub.attach(asResponse(client), []);
  hub.flush();
  t.equal(client.written.length, 1, 'only the snapshot: the earlier change was never queued');
  t.equal(first.info, undefined, 'and the record was never read (its Kubernetes reading is computed lazily)');
  hub.close();
});

t.test('changes to one record between flushes are sent once, with its latest state', async (t) => {
  const hub = new EventHub();
  const client = new FakeClient();
  hub.attach(asResponse(client), [record(1)]);
  t.match(client.written[0], /^retry: 2000\nevent: snapshot\ndata: \[\{"id":1,/);
  const second = record(2);
  hub.changed(second);
  second.status = 200;
  hub.changed(second);
  hub.flush();
  const events = (client.written[1] ?? '').split('\n\n').filter((event) => event !== '');
  t.equal(events.length, 1);
  t.match(events[0], /^event: request\ndata: \{"id":2,.*"status":200/);
  hub.close();
  t.ok(client.ended, 'close() ends every stream');
  t.equal(hub.connected, 0);
});

t.test('a page that stops reading is let go, not buffered without end', async (t) => {
  const hub = new EventHub();
  const slow = new FakeClient();
  const fine = new FakeClient();
  hub.attach(asResponse(slow), []);
  hub.attach(asResponse(fine), []);
  slow.writableLength = 2 * 1024 * 1024;
  hub.changed(record(3));
  hub.flush();
  t.ok(slow.destroyed, 'dropped: EventSource reconnects and gets a fresh snapshot');
  t.equal(hub.connected, 1);
  t.equal(fine.written.length, 2, 'the other page still gets the event');
  hub.close();
});

t.test('a page that goes away is forgotten', async (t) => {
  const hub = new EventHub();
  const client = new FakeClient();
  hub.attach(asResponse(client), []);
  client.emit('close');
  t.equal(hub.connected, 0);
  hub.close();
});
