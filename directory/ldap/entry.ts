import type { Entry } from 'ldapts';
import type { AttributeBag } from '../mapping';

/** AD objectGUID bytes -> canonical GUID text (first three groups are little-endian). */
export function guidToString(bytes: Buffer): string {
  if (bytes.length !== 16) return bytes.toString('hex');
  const hex = (from: number, to: number, reverse: boolean) => {
    const slice = Buffer.from(bytes.subarray(from, to));
    return (reverse ? slice.reverse() : slice).toString('hex');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

/** GUID text -> the byte order AD stores, for equality filters on objectGUID. */
export function guidToBytes(guid: string): Buffer | null {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(guid);
  if (!m) return null;
  const le = (h: string) => Buffer.from(h, 'hex').reverse();
  return Buffer.concat([le(m[1]!), le(m[2]!), le(m[3]!), Buffer.from(m[4]! + m[5]!, 'hex')]);
}

/**
 * ldapts hands back string | string[] | Buffer | Buffer[], fills requested-but-absent attributes
 * with [] and adds a bogus "*" key when '*' was requested. This flattens all of that into
 * lower-cased names -> string arrays (buffers become GUID text when they are the anchor, else base64).
 */
export function entryToBag(entry: Entry, binaryAttributes: string[] = []): AttributeBag {
  const bag: AttributeBag = new Map();
  const binary = binaryAttributes.length > 0 ? new Set(binaryAttributes.map((a) => a.toLowerCase())) : null;
  for (const key in entry) {
    if (key === 'dn' || key === '*' || key === '+') continue;
    const raw = entry[key]!;
    const name = key.toLowerCase();
    let values: string[];
    if (typeof raw === 'string') values = [raw];
    else if (Array.isArray(raw)) {
      if (raw.length === 0) continue;
      values = raw.map((v) => (typeof v === 'string' ? v : decodeBuffer(v, name, binary)));
    } else values = [decodeBuffer(raw, name, binary)];
    const existing = bag.get(name);
    if (existing) existing.push(...values);
    else bag.set(name, values);
  }
  return bag;
}

function decodeBuffer(value: Buffer, name: string, binary: Set<string> | null): string {
  return binary?.has(name) ? decodeBinaryValue(value, name) : value.toString('utf8');
}

/** Text for a value of an attribute read as binary: objectGUID as GUID text, anything else base64. */
export function decodeBinaryValue(value: Buffer, lowerCasedName: string): string {
  return lowerCasedName === 'objectguid' ? guidToString(value) : value.toString('base64');
}

/**
 * Comparable form of a DN: attribute types lower-cased, spaces around separators dropped, values
 * lower-cased (directory DN matching is case-insensitive for the attributes idsync deals with).
 */
export function normalizeDn(dn: string): string {
  // Fast paths for the common, already-tidy spellings: full scans call this twice for every entry.
  if (!/\s/.test(dn) || !/\s[,=]|[,=]\s|^\s|\s$/.test(dn)) return dn.toLowerCase();
  return dn
    .split(/(?<!\\),/)
    .map((rdn) => rdn.trim().replace(/\s*=\s*/, '=').toLowerCase())
    .join(',');
}

/** The value of the first RDN (e.g. "alice" for uid=alice,ou=people,...), unescaped enough for display. */
export function rdnValue(dn: string): string {
  const firstRdn = dn.split(/(?<!\\),/)[0] ?? dn;
  const eq = firstRdn.indexOf('=');
  return (eq >= 0 ? firstRdn.slice(eq + 1) : firstRdn).replace(/\\(.)/g, '$1').trim();
}

/** True when `dn` equals `base` or lies below it. */
export function isUnder(dn: string, base: string): boolean {
  const d = normalizeDn(dn);
  const b = normalizeDn(base);
  return d === b || d.endsWith(`,${b}`);
}
