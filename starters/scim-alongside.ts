/**
 * `intake.scim`: SCIM pushes (inbound/scim) beside an LDAP directory. The SCIM source is authoritative for the
 * people it pushes (they need not be in LDAP), so each user write becomes an identity event on the
 * intake's authoritative path: joiners, movers and rehires are delivered to the person workflows
 * at once; a leaver (DELETE, or active turned false) asks the one mass-change guard first, as an
 * intake leaver does. Everything happens before the write is committed: a guard or Temporal that
 * cannot be reached is 503 with nothing stored, so the identity provider's retry finds the same
 * state and produces the same event id (the person workflows de-duplicate).
 * A group write is a mover for each member whose groups it changes (the pushed users' groups are
 * the SCIM groups); SCIM groups are not tracked as directory groups here (LDAP's are).
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { deliverIdentityEvents } from '../activities/directory';
import { askMassChangeGuard, GuardUnavailable } from '../activities/mass-change-guard';
import { fingerprint } from '../directory/watch/classify';
import type { AdmissionRequest, AdmissionVerdict } from '../directory/watch/types';
import type { IdentityEvent, IdentityEventKind, Person } from '../domain/person';
import { redact } from '../lib/errors';
import { WATCHER_WORKFLOW_ID } from '../lib/names';
import { ScimError } from '../inbound/scim/errors';
import { scimUserToPerson } from '../inbound/scim/person-mapping';
import type { BeforeUserCommit, UserWrite } from '../inbound/scim/resources';
import type { Json } from '../inbound/scim/validate';

export interface AlongsideOptions {
  client: Client;
  orchestrationTaskQueue: string;
  /** Default: the guard workflow over Temporal; tests of validation alone replace it. */
  massChangeGuard?: (request: AdmissionRequest) => Promise<AdmissionVerdict>;
  guardTimeoutMs?: number;
  now?: () => Date;
}

function personOf(id: string, body: Json, groups: string[]): Person {
  return scimUserToPerson({ ...body, id, groups: groups.map((display) => ({ display })) });
}

/** What a write means for the person; null when it changes nothing that matters (or concerns someone disabled). */
export function classifyWrite(write: UserWrite): { kind: IdentityEventKind; reason: string; person?: Person } | null {
  const before = write.before ? personOf(write.id, write.before, write.groupsBefore) : null;
  const after = write.after ? personOf(write.id, write.after, write.groupsAfter) : null;
  if (!after) return before?.enabled ? { kind: 'leaver', reason: 'deleted via SCIM' } : null;
  if (!before) return after.enabled ? { kind: 'joiner', reason: 'created via SCIM', person: after } : null;
  if (before.enabled && !after.enabled) return { kind: 'leaver', reason: 'deactivated via SCIM (active=false)', person: after };
  if (!before.enabled && after.enabled) return { kind: 'rehire', reason: 'reactivated via SCIM', person: after };
  if (after.enabled && fingerprint(before) !== fingerprint(after)) return { kind: 'mover', reason: 'changed via SCIM', person: after };
  return null;
}

/** The same write from the same stored state always gets the same id, so a client's retry is one event. */
function eventIdFor(write: UserWrite, kind: IdentityEventKind, person: Person | undefined): string {
  const basis = `${write.id}\n${write.basis}\n${kind}\n${person ? fingerprint(person) : 'gone'}`;
  return `scim-${createHash('sha256').update(basis).digest('hex').slice(0, 32)}`;
}

export function alongsideLdap(opts: AlongsideOptions): BeforeUserCommit {
  const guardTimeoutMs = opts.guardTimeoutMs ?? 20_000;
  const guard = opts.massChangeGuard ?? ((request: AdmissionRequest) => askMassChangeGuard(opts.client, request));
  async function askGuard(request: AdmissionRequest): Promise<AdmissionVerdict> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GuardUnavailable(WATCHER_WORKFLOW_ID, `did not answer within ${guardTimeoutMs / 1000} s`)), guardTimeoutMs);
    });
    try {
      return await Promise.race([guard(request), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  return async (writes) => {
    let held: { batchId: string; reason: string } | undefined;
    for (const write of writes) {
      const meaning = classifyWrite(write);
      if (!meaning) continue;
      const event: IdentityEvent = {
        eventId: eventIdFor(write, meaning.kind, meaning.person),
        kind: meaning.kind,
        anchor: write.id,
        source: 'intake',
        observedAt: (opts.now?.() ?? new Date()).toISOString(),
        reason: meaning.reason,
        ...(meaning.person ? { person: meaning.person, personAuthoritative: true } : {}),
      };
      try {
        if (event.kind === 'leaver') {
          const verdict = await askGuard({ requestId: event.eventId, source: 'intake', count: 1, what: `SCIM leaver ${event.eventId}`, events: [event] });
          if (!verdict.admitted) {
            held = { batchId: verdict.batchId ?? '', reason: verdict.reason ?? 'held by the mass-change guard' };
            continue;
          }
        }
        await deliverIdentityEvents(opts.client, opts.orchestrationTaskQueue, [event]);
      } catch (err) {
        if (err instanceof GuardUnavailable) throw new ScimError(503, 'the mass-change guard is not available: leavers wait for it; nothing was changed, retry later', undefined, { 'retry-after': '30' });
        throw new ScimError(503, `the identity event could not be delivered; nothing was changed, retry later (${redact((err as Error).message).slice(0, 200)})`, undefined, { 'retry-after': '5' });
      }
    }
    return held ? { held } : undefined;
  };
}
