import type { ChangeAttribute } from './presets';

/**
 * Opaque to callers: "<attribute>|<value>[|settled]", so a cursor from another tracking mode is
 * refused. `settled`: the value is older than the look-back window, so no write older than it can
 * still be in flight and the next search may start strictly after it.
 */
export interface LdapCursor {
  attribute: ChangeAttribute;
  value: string;
  settled: boolean;
  /**
   * Active Directory: the domain controller whose USNs these are (rootDSE dsServiceName). Every DC
   * numbers its own changes, so behind a load-balanced name a cursor from one DC means nothing on another.
   */
  server?: string;
}

export function encodeCursor(cursor: LdapCursor): string {
  const parts: string[] = [cursor.attribute, cursor.value];
  if (cursor.settled) parts.push('settled');
  if (cursor.server) parts.push(`server=${encodeURIComponent(cursor.server)}`);
  return parts.join('|');
}

export function decodeCursor(text: string, expected: ChangeAttribute): LdapCursor | null {
  const [attribute, value, ...flags] = text.split('|');
  if (attribute !== expected || value === undefined) return null;
  const cursor: LdapCursor = { attribute, value, settled: flags.includes('settled') };
  const server = flags.find((flag) => flag.startsWith('server='));
  if (server) cursor.server = decodeURIComponent(server.slice('server='.length));
  return cursor;
}

/**
 * Whether a cursor can be searched from on the directory server answering now. A cursor that names
 * no server (other tracking modes, or written before servers were recorded) is taken as it is.
 */
export function cursorHoldsOn(cursor: LdapCursor, currentServer: string | undefined): boolean {
  return !cursor.server || !currentServer || cursor.server.toLowerCase() === currentServer.toLowerCase();
}

/** Builds a cursor, marking it settled once its value lies further back than the look-back window. */
export function cursorAt(attribute: ChangeAttribute, value: string, lookbackMs: number, nowMs = Date.now()): LdapCursor {
  if (attribute === 'uSNChanged') return { attribute, value, settled: true };
  const ms = parseGeneralizedTime(value);
  return { attribute, value, settled: ms !== null && ms < nowMs - lookbackMs };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function generalizedTime(ms: number, withMicros: boolean): string {
  const d = new Date(ms);
  const base = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  return withMicros ? `${base}.${pad(d.getUTCMilliseconds(), 3)}000Z` : `${base}Z`;
}

function parseGeneralizedTime(value: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?Z/.exec(value);
  if (!m) return null;
  const ms = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) + Math.floor(ms);
}

/** A cursor value for "now" by the given clock (used only when the server offers no high-water mark). */
export function cursorValueAt(attribute: ChangeAttribute, ms: number): string {
  if (attribute === 'entryCSN') return `${generalizedTime(ms, true)}#000000#000#000000`;
  if (attribute === 'modifyTimestamp') return generalizedTime(ms, false);
  return '0';
}

/**
 * The lower bound actually searched: a little before the cursor, so entries committed out of order
 * around the last poll are seen again (the watcher drops what did not change).
 */
export function searchLowerBound(cursor: LdapCursor, lookbackMs: number): string {
  if (cursor.attribute === 'uSNChanged') return /^\d+$/.test(cursor.value) ? String(BigInt(cursor.value) + 1n) : cursor.value;
  const ms = parseGeneralizedTime(cursor.value);
  if (ms === null) return cursor.value;
  if (!cursor.settled) return cursorValueAt(cursor.attribute, ms - lookbackMs);
  if (cursor.attribute === 'modifyTimestamp') return cursorValueAt(cursor.attribute, ms + 1000);
  return nextCsn(cursor.value);
}

/** The smallest CSN after `csn` (one microsecond later); the CSN's time part has microsecond digits. */
function nextCsn(csn: string): string {
  const m = /^(\d{14})\.(\d{6})Z/.exec(csn);
  if (!m) return csn;
  const micros = Number(m[2]) + 1;
  if (micros < 1_000_000) return `${m[1]}.${String(micros).padStart(6, '0')}Z#000000#000#000000`;
  return `${generalizedTime(parseGeneralizedTime(`${m[1]}Z`)! + 1000, false).slice(0, 14)}.000000Z#000000#000#000000`;
}

/** Orders two values of the same change attribute. */
export function compareChangeValues(attribute: ChangeAttribute, a: string, b: string): number {
  if (attribute === 'uSNChanged') {
    const x = BigInt(/^\d+$/.test(a) ? a : '0');
    const y = BigInt(/^\d+$/.test(b) ? b : '0');
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export function maxChangeValue(attribute: ChangeAttribute, values: Iterable<string>, start: string): string {
  let max = start;
  for (const v of values) if (compareChangeValues(attribute, v, max) > 0) max = v;
  return max;
}
