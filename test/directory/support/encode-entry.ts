import { BerWriter } from 'ldapts';
import { SEARCH_RESULT_ENTRY_TAG } from '../../../directory/ldap/scan/ber-entries';

export interface RawEntry {
  messageId: number;
  dn: string;
  attributes: { type: string; values: (Buffer | string)[] }[];
}

/** An LDAPMessage carrying a SearchResultEntry, encoded as a server would send it (RFC 4511 4.5.2). */
export function encodeSearchEntry(entry: RawEntry): Buffer {
  const writer = new BerWriter();
  writer.startSequence();
  writer.writeInt(entry.messageId);
  writer.startSequence(SEARCH_RESULT_ENTRY_TAG);
  writer.writeString(entry.dn);
  writer.startSequence();
  for (const attribute of entry.attributes) {
    writer.startSequence();
    writer.writeString(attribute.type);
    writer.startSequence(0x31);
    for (const value of attribute.values) writer.writeBuffer(Buffer.isBuffer(value) ? value : Buffer.from(value), 0x04);
    writer.endSequence();
    writer.endSequence();
  }
  writer.endSequence();
  writer.endSequence();
  writer.endSequence();
  return writer.buffer;
}
