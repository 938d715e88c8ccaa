import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection } from '@temporalio/client';
import { Client as LdapClient } from 'ldapts';
import { testEnv } from './support/env';

test('the test runner provides a real Temporal server with idsync search attributes', async () => {
  const conn = await Connection.connect({ address: testEnv.temporalAddress() });
  try {
    const res = await conn.operatorService.listSearchAttributes({ namespace: 'default' });
    assert.ok(res.customAttributes && 'IdsyncPerson' in res.customAttributes, 'IdsyncPerson is registered');
  } finally {
    await conn.close();
  }
});

test('the test runner provides a real slapd with the base entries', async () => {
  const { url, bindDn, bindPassword, suffix } = testEnv.ldap();
  const client = new LdapClient({ url });
  try {
    await client.bind(bindDn, bindPassword);
    const { searchEntries } = await client.search(suffix, { scope: 'one', filter: '(objectClass=organizationalUnit)' });
    // Other test files add their own OUs beside these while this runs.
    const dns = searchEntries.map((e) => e.dn);
    assert.ok(dns.includes(`ou=people,${suffix}`) && dns.includes(`ou=groups,${suffix}`), dns.join(', '));
  } finally {
    await client.unbind();
  }
});

test('the end-to-end namespace exists with the same search attributes', async () => {
  const conn = await Connection.connect({ address: testEnv.temporalAddress() });
  try {
    const res = await conn.operatorService.listSearchAttributes({ namespace: testEnv.e2eNamespace() });
    assert.ok(res.customAttributes && 'IdsyncApprovalState' in res.customAttributes);
  } finally {
    await conn.close();
  }
});
