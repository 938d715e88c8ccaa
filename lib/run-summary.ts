import type { IdentityEventKind, Person } from '../domain/person';

/**
 * The one-line summaries operators read in the Temporal UI's run list (user metadata). They hold
 * personal data (names), so they rely on the payload codec: user metadata is encoded like payloads.
 * Pure functions: workflows use them too.
 */
const KIND_TITLES: Record<IdentityEventKind, string> = { joiner: 'Joiner', mover: 'Mover', sync: 'Sync', leaver: 'Leaver', rehire: 'Rehire' };

/** "Nina Kowalski (nkowalski)", or the username alone when the directory has no name. */
export function personLabel(person: Pick<Person, 'username' | 'displayName' | 'givenName' | 'familyName'>): string {
  const name = (person.displayName || [person.givenName, person.familyName].filter(Boolean).join(' ')).trim();
  return name && name !== person.username ? `${name} (${person.username})` : person.username;
}

/** "Person · Nina Kowalski (nkowalski)": the person workflow's summary. */
export function personSummary(person: Pick<Person, 'username' | 'displayName' | 'givenName' | 'familyName'> | undefined, anchor: string): string {
  return `Person · ${person ? personLabel(person) : anchor}`;
}

/** "Joiner · Nina Kowalski (nkowalski) · salesforce, hubspot": a run's summary (targets when known). */
export function runSummary(kind: IdentityEventKind, who: string, targets: readonly string[] = []): string {
  return [KIND_TITLES[kind], who, targets.length > 0 ? targets.join(', ') : undefined].filter(Boolean).join(' · ');
}
