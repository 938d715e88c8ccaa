/**
 * A stand-in for a person's entity workflow (same id, idsync-person-<anchor>) that carries the links
 * contract's search attributes and records the identity events delivered to it, so a test can set
 * links the person workflow does not write yet and see exactly what reconciliation sent.
 */
import { condition, defineQuery, defineSignal, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { IdentityEvent } from '../../../domain/person';

export const standInEventsQuery = defineQuery<IdentityEvent[]>('standInEvents');
const identityEvent = defineSignal<[IdentityEvent]>('identityEvent');
const LINKS = defineSearchAttributeKey('IdsyncLinks', SearchAttributeType.KEYWORD_LIST);
const PERSON = defineSearchAttributeKey('IdsyncPerson', SearchAttributeType.KEYWORD);

export async function linkStandInWorkflow(input: { anchor: string; links: string[] }): Promise<void> {
  const events: IdentityEvent[] = [];
  setHandler(identityEvent, (event) => void events.push(event));
  setHandler(standInEventsQuery, () => events);
  upsertSearchAttributes([
    { key: PERSON, value: input.anchor },
    ...(input.links.length > 0 ? [{ key: LINKS, value: input.links }] : []),
  ]);
  await condition(() => false);
}
