/**
 * Local traces: the audit log is created owner-only, and values quoted in failure messages are cut
 * to a length that identifies them without carrying a whole record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { FileAuditLog } from '../../audit';
import { MAX_MESSAGE_CHARS, nonRetryable, quoteValue, retryable, truncateText } from '../../lib/errors';
import { testEnv } from '../support/env';

test('the audit log is created with mode 0600, whatever the umask allows', async () => {
  const path = join(testEnv.scratchDir('crypto-audit-mode'), 'audit.log');
  const previous = process.umask(0o022);
  try {
    await new FileAuditLog(path).append({ actor: 'idsync', action: 'test', person: 'a-uuid', reason: 'mode check' });
  } finally {
    process.umask(previous);
  }
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('quoted values and whole messages are truncated, the rest counted', () => {
  assert.equal(quoteValue('Nina Kowalski'), '"Nina Kowalski"');
  assert.equal(quoteValue('x'.repeat(100)), `"${'x'.repeat(80)}… (20 more characters)"`);
  assert.equal(quoteValue({ mail: 'n@example.com' }, 10), '"{"mail":"n… (14 more characters)"');
  assert.equal(truncateText('ż'.repeat(5), 3), 'żżż… (2 more characters)', 'cut on whole characters');
  const record = JSON.stringify({ displayName: 'Nina Kowalski', mail: 'nina@example.com', title: 'CFO', notes: 'n'.repeat(2000) });
  const failure = retryable('TargetError', `the target answered HTTP 500: ${record}`, { target: 'scim', identity: 'i'.repeat(200) });
  assert.ok(failure.message.length <= MAX_MESSAGE_CHARS + 40, `${failure.message.length} characters`);
  assert.match(failure.message, /^the target answered HTTP 500: \{"displayName"/);
  assert.match(failure.message, /more characters\)$/);
  const short = nonRetryable('ValidationError', 'bad title', { target: 'hubspot', identity: 'nkowalski', field: 'title' });
  assert.equal(short.message, 'bad title (target hubspot, identity nkowalski, field title)', 'short messages are unchanged');
});
