import type { AttributeBag } from '../../mapping';
import { decodeBinaryValue } from '../entry';

/**
 * The hot loop of a full directory scan: split the byte stream into LDAP messages and decode
 * SearchResultEntry messages straight into attribute bags. ldapts builds three objects per value
 * and converts every entry twice; at 100,000 people that alone costs about three ldapsearch runs.
 * Everything that is not an entry (bind and search results, controls, referrals, notices) is left
 * to ldapts' own MessageParser by the caller, so this file only knows the shapes below (RFC 4511):
 *
 *   LDAPMessage        ::= SEQUENCE { messageID INTEGER, protocolOp CHOICE, controls [0] OPTIONAL }
 *   SearchResultEntry  ::= [APPLICATION 4] SEQUENCE { objectName LDAPDN, attributes PartialAttributeList }
 *   PartialAttribute   ::= SEQUENCE { type AttributeDescription, vals SET OF AttributeValue }
 */

export const SEARCH_RESULT_ENTRY_TAG = 0x64;
const SEQUENCE = 0x30;
const SET = 0x31;
const OCTET_STRING = 0x04;
const INTEGER = 0x02;

export class LdapFrameError extends Error {
  override name = 'LdapFrameError';
}

export interface DecodedEntry {
  dn: string;
  attributes: AttributeBag;
}

/** Where one LDAP message sits inside `buffer`: [start, end) and the offset of its protocolOp tag. */
export interface MessageFrame {
  buffer: Buffer;
  start: number;
  end: number;
  messageId: number;
  operationTag: number;
  operationOffset: number;
}

type Utf8Slice = (this: Buffer, start: number, end: number) => string;
/**
 * Buffer's native UTF-8 slicer. toString('utf8', start, end) validates its arguments and looks the
 * encoding up on every call before reaching it, and a scan decodes a dozen values per entry.
 */
const utf8Slice: Utf8Slice =
  (Buffer.prototype as unknown as { utf8Slice?: Utf8Slice }).utf8Slice ??
  function (this: Buffer, start: number, end: number) {
    return this.toString('utf8', start, end);
  };

// Set by readLength so the hot path allocates nothing for a length.
let contentStart = 0;

/** Length of the TLV whose length octets begin at `offset`; -1 when the buffer ends first. Sets contentStart. */
function readLength(buffer: Buffer, offset: number, limit: number): number {
  if (offset >= limit) return -1;
  const first = buffer[offset]!;
  if (first < 0x80) {
    contentStart = offset + 1;
    return first;
  }
  const octets = first & 0x7f;
  if (octets === 0) throw new LdapFrameError('indefinite BER length (not allowed in LDAP)');
  if (octets > 4) throw new LdapFrameError(`BER length of ${octets} octets is beyond any sane LDAP message`);
  if (offset + 1 + octets > limit) return -1;
  let length = 0;
  for (let i = 1; i <= octets; i++) length = length * 256 + buffer[offset + i]!;
  contentStart = offset + 1 + octets;
  return length;
}

/**
 * Content of the TLV at `offset`, which must carry `tag` and end by `limit`. Sets contentStart.
 * The element is named by parts ("a value of", attribute, DN) joined only for an error: building
 * the text for every call cost four string concatenations per attribute of every entry.
 */
function expect(buffer: Buffer, offset: number, limit: number, tag: number, what: string, attribute?: string, dn?: string): number {
  if (buffer[offset] !== tag) {
    throw new LdapFrameError(`malformed ${describe(what, attribute, dn)}: expected tag 0x${tag.toString(16)}, found 0x${(buffer[offset] ?? 0).toString(16)} at byte ${offset}`);
  }
  const length = readLength(buffer, offset + 1, limit);
  if (length < 0 || contentStart + length > limit) throw new LdapFrameError(`malformed ${describe(what, attribute, dn)}: its length runs past the enclosing element`);
  return length;
}

function describe(what: string, attribute: string | undefined, dn: string | undefined): string {
  return `${what}${attribute ? ` ${attribute}` : ''}${dn ? ` in ${dn}` : ''}`;
}

/**
 * Cuts a TCP stream into whole LDAP messages. Partial messages wait for more data; a message's
 * pieces are joined once, when its last byte has arrived, so a large entry costs one copy.
 */
export class LdapMessageSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Total size of the message being collected, once its header has arrived. */
  private awaitedBytes = -1;

  constructor(private readonly onFrame: (frame: MessageFrame) => void) {}

  push(chunk: Buffer): void {
    let buffer = chunk;
    if (this.pending.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.awaitedBytes < 0) this.awaitedBytes = messageSize(Buffer.concat(this.pending, this.pendingBytes));
      if (this.awaitedBytes < 0 || this.pendingBytes < this.awaitedBytes) return;
      buffer = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.awaitedBytes = -1;
    }
    let offset = 0;
    while (offset < buffer.length) {
      const size = messageSize(buffer, offset);
      if (size < 0 || offset + size > buffer.length) {
        const rest = buffer.subarray(offset);
        this.pending.push(rest);
        this.pendingBytes = rest.length;
        this.awaitedBytes = size;
        return;
      }
      this.onFrame(frameAt(buffer, offset, offset + size));
      offset += size;
    }
  }
}

/** Size in bytes of the LDAPMessage starting at `offset`, or -1 while its header is incomplete. */
function messageSize(buffer: Buffer, offset = 0): number {
  if (buffer[offset] !== SEQUENCE) {
    throw new LdapFrameError(`the server sent something that is not an LDAP message (byte 0x${(buffer[offset] ?? 0).toString(16)})`);
  }
  const length = readLength(buffer, offset + 1, buffer.length);
  return length < 0 ? -1 : contentStart - offset + length;
}

function frameAt(buffer: Buffer, start: number, end: number): MessageFrame {
  readLength(buffer, start + 1, end);
  const idLength = expect(buffer, contentStart, end, INTEGER, 'LDAPMessage messageID');
  if (idLength < 1 || idLength > 4) throw new LdapFrameError(`malformed LDAPMessage: a messageID of ${idLength} bytes`);
  let messageId = 0;
  for (let i = 0; i < idLength; i++) messageId = messageId * 256 + buffer[contentStart + i]!;
  const operationOffset = contentStart + idLength;
  if (operationOffset >= end) throw new LdapFrameError('malformed LDAPMessage: no protocol operation');
  return { buffer, start, end, messageId, operationTag: buffer[operationOffset]!, operationOffset };
}

/**
 * Decodes a SearchResultEntry into lower-cased attribute names -> values, with the same meaning
 * entryToBag gives an ldapts entry: text as UTF-8, attributes named in `binary` through
 * decodeBinaryValue, repeated attribute descriptions merged, empty value sets left out.
 */
export function decodeSearchEntry(frame: MessageFrame, binary: ReadonlySet<string> | null, names: AttributeNameCache): DecodedEntry {
  const { buffer, end } = frame;
  const bodyLength = expect(buffer, frame.operationOffset, end, SEARCH_RESULT_ENTRY_TAG, 'SearchResultEntry');
  const bodyEnd = contentStart + bodyLength;
  const dnLength = expect(buffer, contentStart, bodyEnd, OCTET_STRING, 'SearchResultEntry objectName');
  const dn = utf8Slice.call(buffer, contentStart, contentStart + dnLength);
  const listLength = expect(buffer, contentStart + dnLength, bodyEnd, SEQUENCE, 'SearchResultEntry attributes');
  const listEnd = contentStart + listLength;
  const attributes: AttributeBag = new Map();
  let offset = contentStart;
  while (offset < listEnd) {
    const attributeLength = expect(buffer, offset, listEnd, SEQUENCE, 'an attribute', undefined, dn);
    const attributeEnd = contentStart + attributeLength;
    const typeLength = expect(buffer, contentStart, attributeEnd, OCTET_STRING, 'an attribute type', undefined, dn);
    const name = names.lowerCased(buffer, contentStart, contentStart + typeLength);
    const setLength = expect(buffer, contentStart + typeLength, attributeEnd, SET, 'the values of', name, dn);
    const setEnd = contentStart + setLength;
    const isBinary = binary !== null && binary.has(name);
    let values = attributes.get(name);
    let valueOffset = contentStart;
    while (valueOffset < setEnd) {
      const valueLength = expect(buffer, valueOffset, setEnd, OCTET_STRING, 'a value of', name, dn);
      const valueEnd = contentStart + valueLength;
      const value = isBinary ? decodeBinaryValue(buffer.subarray(contentStart, valueEnd), name) : utf8Slice.call(buffer, contentStart, valueEnd);
      if (values) values.push(value);
      else attributes.set(name, (values = [value]));
      valueOffset = valueEnd;
    }
    offset = attributeEnd;
  }
  return { dn, attributes };
}

/**
 * A scan sees the same dozen attribute descriptions 100,000 times: remember the lower-cased string
 * for each byte sequence instead of building and lower-casing a new one per value list.
 */
export class AttributeNameCache {
  private readonly known: { bytes: Buffer; name: string }[] = [];
  /** Servers send attributes in a stable order, so the one after the last match is tried first. */
  private next = 0;

  lowerCased(buffer: Buffer, start: number, end: number): string {
    const length = end - start;
    const count = this.known.length;
    for (let tried = 0; tried < count; tried++) {
      const index = (this.next + tried) % count;
      const entry = this.known[index]!;
      if (entry.bytes.length === length && sameBytes(entry.bytes, buffer, start, length)) {
        this.next = index + 1;
        return entry.name;
      }
    }
    const name = buffer.toString('utf8', start, end).toLowerCase();
    // Descriptions with options or odd spellings are rare; the cap keeps a hostile server from growing it.
    if (this.known.length < 256) this.known.push({ bytes: Buffer.from(buffer.subarray(start, end)), name });
    return name;
  }
}

function sameBytes(bytes: Buffer, buffer: Buffer, start: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[i] !== buffer[start + i]) return false;
  return true;
}
