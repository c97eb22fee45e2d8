import t from 'tap';
import { reasonForCode, statusBody } from '../src/status.js';

t.test('statusBody is a Kubernetes Status object', async (t) => {
  t.same(statusBody(403, 'Forbidden', 'nope'), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'nope',
    reason: 'Forbidden',
    code: 403,
  });
});

t.test('reasons follow the status code', async (t) => {
  t.equal(reasonForCode(403), 'Forbidden');
  t.equal(reasonForCode(503), 'ServiceUnavailable');
  t.equal(reasonForCode(500), 'InternalError');
  t.equal(reasonForCode(502), 'BadGateway');
});
