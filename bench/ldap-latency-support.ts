/**
 * Workflow bundle for bench/ldap-latency.ts: the real directory watcher plus a person-workflow
 * stand-in that just waits (the benchmark reads its start time, not what it does).
 */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';
import { SIGNALS } from '../lib/names';
import type { IdentityEvent } from '../domain/person';

export { directoryWatcherWorkflow } from '../workflows/directory-watcher';

export async function personLifecycleWorkflow(_input: { anchor: string }): Promise<void> {
  setHandler(defineSignal<[IdentityEvent]>(SIGNALS.identityEvent), () => undefined);
  await condition(() => false);
}
