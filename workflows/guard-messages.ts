/**
 * The mass-change guard's message to a requester whose changes it held (a reconciliation run): the
 * operator's decision on the batch. Defined apart from the watcher so a requester's bundle does not
 * pull in the watcher's workflow.
 */
import { defineSignal } from '@temporalio/workflow';
import type { GuardDecisionNotice } from '../directory/watch/types';

export const guardDecisionSignal = defineSignal<[GuardDecisionNotice]>('guardDecision');
