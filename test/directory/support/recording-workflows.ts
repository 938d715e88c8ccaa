/**
 * Workflow bundle for the watcher tests: the real watcher plus a stand-in for the person workflow
 * (same type name) that only records the events it is signalled, so a test can query exactly what
 * the watcher started. De-duplication by eventId is the real person workflow's job; this keeps every copy.
 */
import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import type { IdentityEvent } from '../../../domain/person';
import { SIGNALS } from '../../../lib/names';

export { directoryWatcherWorkflow } from '../../../workflows/directory-watcher';

export const recordedEventsQuery = defineQuery<IdentityEvent[]>('recordedEvents');
const identityEventSignal = defineSignal<[IdentityEvent]>(SIGNALS.identityEvent);

export async function personLifecycleWorkflow(_input: { anchor: string }): Promise<void> {
  const events: IdentityEvent[] = [];
  setHandler(identityEventSignal, (event) => void events.push(event));
  setHandler(recordedEventsQuery, () => events);
  await condition(() => false);
}
