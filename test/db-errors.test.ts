import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDatabaseUnavailable, isInvalidValue, isUniqueViolation } from '../src/platform/db/errors.ts';

describe('database error classification', () => {
  it('counts every way pg reports a lost or unreachable server as unavailable', () => {
    const unavailable = [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('the database system is shutting down'), { code: '57P03' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      // A checked-out client after its connection died: the transaction's next query and its ROLLBACK.
      new Error('Client has encountered a connection error and is not queryable'),
      new Error('Client was closed and is not queryable'),
      new Error('Query read timeout'),
      new Error('database is locked'),
    ];
    for (const error of unavailable) assert.equal(isDatabaseUnavailable(error), true, error.message);
  });

  it('does not count request faults or programming errors as unavailable', () => {
    const others = [
      Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }),
      Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }),
      new Error('Release called on client which has already been released to the pool.'),
      undefined,
      'text',
    ];
    for (const error of others) assert.equal(isDatabaseUnavailable(error), false, String(error));
  });

  it('tells unique violations and refused values apart', () => {
    assert.equal(isUniqueViolation({ code: '23505' }), true);
    assert.equal(isUniqueViolation({ errcode: 2067 }), true);
    assert.equal(isUniqueViolation({ code: '22021' }), false);
    assert.equal(isInvalidValue({ code: '22021' }), true);
    assert.equal(isInvalidValue({ code: '23505' }), false);
  });
});
