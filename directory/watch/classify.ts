import { createHash } from 'node:crypto';
import type { IdentityEvent, IdentityEventKind, Person } from '../../domain/person';
import type { SnapshotEntry } from './types';

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Everything a lifecycle decision depends on; the manager's anchor is left out (it follows managerDn). */
export function fingerprint(person: Person): string {
  const { managerAnchor: _ignored, extra, groups, ...rest } = person;
  const ordered = Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
  const extraOrdered = Object.fromEntries(Object.entries(extra).sort(([a], [b]) => a.localeCompare(b)));
  return sha(JSON.stringify([ordered, [...groups].sort(), extraOrdered])).slice(0, 24);
}

/** Same person, same event count, same kind, same resulting state -> same id, whichever poll computes it. */
export function eventIdFor(anchor: string, version: number, kind: IdentityEventKind, fp: string): string {
  return `${kind}-${sha(`${anchor}\n${version}\n${kind}\n${fp}`).slice(0, 32)}`;
}

export interface Classified {
  kind: IdentityEventKind | null;
  reason: string;
}

/** "groups +a -b" or "attributes changed": group names only, never attribute values that could be personal data. */
function describeMove(previousGroups: string[], after: Person): string {
  const added = after.groups.filter((g) => !previousGroups.includes(g));
  const removed = previousGroups.filter((g) => !after.groups.includes(g));
  if (added.length === 0 && removed.length === 0) return 'attributes changed';
  return `groups ${[...added.map((g) => `+${g}`), ...removed.map((g) => `-${g}`)].join(' ')}`;
}

/**
 * The lifecycle meaning of a person's current state against what the snapshot remembers.
 * Disabled newcomers are recorded silently; changes to disabled people are not movers.
 */
export function classifyPresent(previous: SnapshotEntry | undefined, person: Person, fp: string): Classified {
  if (!previous) return person.enabled ? { kind: 'joiner', reason: 'new in directory' } : { kind: null, reason: 'new but disabled' };
  if (previous.gone || !previous.enabled) {
    if (!person.enabled) return { kind: null, reason: 'still disabled' };
    return { kind: 'rehire', reason: previous.gone ? 'back in directory' : 'account re-enabled' };
  }
  if (!person.enabled) return { kind: 'leaver', reason: 'account disabled' };
  if (previous.fp === fp) return { kind: null, reason: 'unchanged' };
  return { kind: 'mover', reason: describeMove(previous.groups, person) };
}

export function buildEvent(
  kind: IdentityEventKind,
  anchor: string,
  version: number,
  fp: string,
  reason: string,
  source: IdentityEvent['source'],
  person: Person | undefined,
  observedAt: string,
): IdentityEvent {
  const event: IdentityEvent = { eventId: eventIdFor(anchor, version, kind, fp), kind, anchor, source, observedAt, reason };
  if (person) event.person = person;
  return event;
}

export function batchIdFor(eventIds: string[]): string {
  return `batch-${sha([...eventIds].sort().join('\n')).slice(0, 16)}`;
}
