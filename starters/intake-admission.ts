/**
 * Whether the intake can do what an event asks, decided before anything starts. A joiner, mover
 * or rehire provisions from the directory, so one for a person the directory does not have would
 * only start a run that fails later, where the sender never sees it: it is refused at once (422).
 * The exception is a source configured authoritative for person data, whose pushed record is then
 * what the person is provisioned from. Leavers need no directory entry (being gone is their point).
 */
import type { DirectorySource } from '../directory/source';
import type { IdentityEvent } from '../domain/person';
import { HttpError } from './intake-http';

/** Where the person data for the accepted event comes from, as told to the sender. */
export type PersonOrigin = 'directory' | 'pushed record' | 'not needed';

export interface Admission {
  event: IdentityEvent;
  personFrom: PersonOrigin;
}

export interface AdmittingSource {
  name: string;
  authoritative: boolean;
}

/** Seconds a sender should wait before retrying when the directory cannot be read. */
const DIRECTORY_RETRY_AFTER_SECONDS = 5;

const KINDS_THAT_PROVISION = new Set<IdentityEvent['kind']>(['joiner', 'mover', 'rehire']);

/**
 * Returns the event to deliver, or throws the refusal: 422 (naming the field and the anchor, never
 * the pushed personal data) or 503 when the directory cannot be asked.
 */
export async function admitEvent(event: IdentityEvent, source: AdmittingSource, directory: Pick<DirectorySource, 'getPerson'>): Promise<Admission> {
  if (!KINDS_THAT_PROVISION.has(event.kind)) return { event, personFrom: 'not needed' };
  let inDirectory: boolean;
  try {
    inDirectory = (await directory.getPerson(event.anchor)) !== null;
  } catch {
    // The directory's own message may carry server names or DNs; the sender only needs to retry.
    throw new HttpError(
      503,
      { error: 'the directory could not be read to check the person; retry later', anchor: event.anchor },
      { 'retry-after': String(DIRECTORY_RETRY_AFTER_SECONDS) },
    );
  }
  if (!source.authoritative) {
    if (inDirectory) return { event, personFrom: 'directory' };
    throw new HttpError(422, {
      error: 'person not in the directory',
      field: 'anchor',
      anchor: event.anchor,
      message: `a ${event.kind} needs the person in the directory (or a source configured authoritative for person data); nothing was started`,
    });
  }
  if (!event.person) {
    if (inDirectory) return { event, personFrom: 'directory' };
    throw new HttpError(422, {
      error: 'person record required',
      field: 'person',
      anchor: event.anchor,
      message: `the directory does not have this person, so a ${event.kind} from source ${source.name} must carry the person record; nothing was started`,
    });
  }
  // The directory still wins where it has the person; the pushed record stands in where it does not.
  return { event: { ...event, personAuthoritative: true }, personFrom: inDirectory ? 'directory' : 'pushed record' };
}
