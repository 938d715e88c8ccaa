import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SearchAttributeType } from '@temporalio/common';
import { linkValue, OUTCOMES, SEARCH_ATTRIBUTE_KEYS, SEARCH_ATTRIBUTES, searchAttributeRegistrations } from '../../lib/search-attributes';
import { SEARCH_ATTRIBUTES as FROM_NAMES } from '../../lib/names';

test('every key the workflows use exists with its name and type', () => {
  const keys = Object.fromEntries(Object.entries(SEARCH_ATTRIBUTE_KEYS).map(([field, key]) => [field, `${key.name}:${key.type}`]));
  assert.deepEqual(keys, {
    person: `IdsyncPerson:${SearchAttributeType.KEYWORD}`,
    eventKind: `IdsyncEventKind:${SearchAttributeType.KEYWORD}`,
    targets: `IdsyncTargets:${SearchAttributeType.KEYWORD_LIST}`,
    approvalState: `IdsyncApprovalState:${SearchAttributeType.KEYWORD}`,
    guardState: `IdsyncGuardState:${SearchAttributeType.KEYWORD}`,
    outcome: `IdsyncOutcome:${SearchAttributeType.KEYWORD}`,
    links: `IdsyncLinks:${SearchAttributeType.KEYWORD_LIST}`,
    usernameKey: `IdsyncUsernameKey:${SearchAttributeType.KEYWORD}`,
    waitingFor: `IdsyncWaitingFor:${SearchAttributeType.KEYWORD}`,
  });
});

test('the registration list is derived from the keys, in the Temporal CLI spelling', () => {
  assert.deepEqual(SEARCH_ATTRIBUTES, {
    IdsyncPerson: 'Keyword',
    IdsyncEventKind: 'Keyword',
    IdsyncTargets: 'KeywordList',
    IdsyncApprovalState: 'Keyword',
    IdsyncGuardState: 'Keyword',
    IdsyncOutcome: 'Keyword',
    IdsyncLinks: 'KeywordList',
    IdsyncUsernameKey: 'Keyword',
    IdsyncWaitingFor: 'Keyword',
  });
  assert.deepEqual(searchAttributeRegistrations(), Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => `${name}=${type}`));
  assert.equal(FROM_NAMES, SEARCH_ATTRIBUTES, 'lib/names.ts re-exports the same object, it does not define its own');
});

test('outcome values and link values', () => {
  assert.deepEqual([...OUTCOMES], ['converged', 'partial', 'failed', 'conflict']);
  assert.equal(linkValue('salesforce', '005000000000001AAA'), 'salesforce:005000000000001AAA');
});
