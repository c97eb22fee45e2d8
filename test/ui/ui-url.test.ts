import t from 'tap';
import { uiAnnouncement, uiUrl } from '../../src/ui/ui-url.js';

t.test('the URL a browser on this machine opens', async (t) => {
  t.equal(uiUrl('127.0.0.1:8001'), 'http://127.0.0.1:8001/-/ui/');
  t.equal(uiUrl('0.0.0.0:8001'), 'http://127.0.0.1:8001/-/ui/', 'a wildcard address is opened on loopback');
  t.equal(uiUrl('[::]:8001'), 'http://[::1]:8001/-/ui/');
  t.equal(uiUrl('[::1]:9000'), 'http://[::1]:9000/-/ui/');
  t.equal(uiUrl('/tmp/kubegate.sock'), undefined, 'no browser URL for a unix socket');
  t.equal(uiAnnouncement('127.0.0.1:8001'), 'Serving the request inspector and API explorer at http://127.0.0.1:8001/-/ui/\n');
  t.match(uiAnnouncement('/tmp/kubegate.sock'), /unix socket/);
});
