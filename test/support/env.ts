/**
 * Access to the real servers the test runner (scripts/run-tests.ts) started for this run.
 * Test files run in their own processes; each isolates itself (unique task queues, workflow ids,
 * its own LDAP subtree) so files can run concurrently against the same servers.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through 'npm test' (scripts/run-tests.ts), which starts the servers`);
  return value;
}

export const testEnv = {
  temporalAddress: () => required('IDSYNC_TEST_TEMPORAL_ADDRESS'),
  temporalTestServerPath: () => required('IDSYNC_TEST_TEMPORAL_TEST_SERVER'),
  /** Namespace reserved for test/e2e, whose workers use idsync's fixed task-queue names. Only one file may use it. */
  e2eNamespace: () => required('IDSYNC_TEST_E2E_NAMESPACE'),
  ldap: () => ({
    url: required('IDSYNC_TEST_LDAP_URL'),
    suffix: required('IDSYNC_TEST_LDAP_SUFFIX'),
    bindDn: required('IDSYNC_TEST_LDAP_BIND_DN'),
    bindPassword: required('IDSYNC_TEST_LDAP_PASSWORD'),
    dataDir: required('IDSYNC_TEST_LDAP_DATA_DIR'),
  }),
  /** A fresh scratch directory for one test file. */
  scratchDir: (label: string) => {
    const dir = join(required('IDSYNC_TEST_RUN_DIR'), `${label}-${randomBytes(4).toString('hex')}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  },
};

/** Unique suffix for task queues, workflow ids and LDAP OUs so concurrent test files never collide. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
