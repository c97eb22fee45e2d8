import t from 'tap';
import { refusalForParseError, refusalForVersion } from '../../src/server/refusal.js';

// Node's parser names what it could not read; Go's server words each refusal its own way.
t.test("parse errors are answered in Go's words", async (t) => {
  const packet = (head: string): Buffer => Buffer.from(`GET /api HTTP/1.1\r\nHost: localhost\r\n${head}\r\n`, 'latin1');
  const rows: [string, string | undefined, Buffer | undefined, string, string][] = [
    ['an oversized head', 'HPE_HEADER_OVERFLOW', undefined, '431 Request Header Fields Too Large', '431 Request Header Fields Too Large'],
    ['a transfer coding Node refuses', 'HPE_INVALID_TRANSFER_ENCODING', packet('Transfer-Encoding: chunked, identity\r\n'), '501 Not Implemented', 'Unsupported transfer encoding'],
    ['chunked after a Content-Length', 'HPE_INVALID_TRANSFER_ENCODING', packet('Content-Length: 4\r\nTransfer-Encoding: chunked\r\n'), '400 Bad Request', '400 Bad Request'],
    ['a Content-Length after chunked', 'HPE_INVALID_CONTENT_LENGTH', packet('Transfer-Encoding: Chunked\r\nContent-Length: 4\r\n'), '400 Bad Request', '400 Bad Request'],
    ['a Content-Length after gzip: the coding first', 'HPE_INVALID_CONTENT_LENGTH', packet('Transfer-Encoding: gzip\r\nContent-Length: 4\r\n'), '501 Not Implemented', 'Unsupported transfer encoding'],
    ['a signed Content-Length', 'HPE_INVALID_CONTENT_LENGTH', packet('Content-Length: +2\r\n'), '400 Bad Request', '400 Bad Request'],
    ['a bad method', 'HPE_INVALID_METHOD', undefined, '400 Bad Request', '400 Bad Request'],
    ['no code at all', undefined, undefined, '400 Bad Request', '400 Bad Request'],
    ['a space before the colon', 'HPE_INVALID_HEADER_TOKEN', packet('X-Foo : bar\r\n'), '400 Bad Request: invalid header name', '400 Bad Request: invalid header name'],
    ['a line without a colon', 'HPE_INVALID_HEADER_TOKEN', packet('NoColon\r\n'), '400 Bad Request', '400 Bad Request'],
    ['a space before the colon, and a broken line', 'HPE_INVALID_HEADER_TOKEN', packet('X-Foo : bar\r\nX(y: z\r\n'), '400 Bad Request', '400 Bad Request'],
    ['a control byte in a value', 'HPE_INVALID_HEADER_TOKEN', packet('X-Foo : a\x01b\r\n'), '400 Bad Request', '400 Bad Request'],
    ['an empty name', 'HPE_INVALID_HEADER_TOKEN', packet(': v\r\n'), '400 Bad Request', '400 Bad Request'],
    ['a head not read whole', 'HPE_INVALID_HEADER_TOKEN', Buffer.from('GET / HTTP/1.1\r\nX-Foo : bar\r\n'), '400 Bad Request', '400 Bad Request'],
  ];
  for (const [name, code, raw, statusLine, body] of rows) t.same(refusalForParseError(code, raw), { statusLine, body }, name);
});

t.test('versions Go will not serve', async (t) => {
  t.equal(refusalForVersion('1.1'), undefined);
  t.equal(refusalForVersion('1.0'), undefined);
  t.same(refusalForVersion('0.9'), { statusLine: '400 Bad Request', body: '400 Bad Request' }, 'no version in the request line: Go cannot parse it');
  t.same(refusalForVersion('2.0'), {
    statusLine: '505 HTTP Version Not Supported: unsupported protocol version',
    body: '505 HTTP Version Not Supported: unsupported protocol version',
  });
});
