/**
 * Two Active Directory behaviours put in front of the real slapd (no AD runs here):
 * - ranged retrieval: at most `maxValRange` values of `member` per read, named the way AD names
 *   them (`member;range=0-14`, last range `member;range=30-*`); requests for
 *   `member;range=<start>-<end|*>` are answered by asking slapd for plain `member` and slicing;
 * - a rootDSE that names the domain controller (`dsServiceName`) and its `highestCommittedUSN`,
 *   switchable at run time, as when a load-balanced name lands on another DC.
 * Everything else passes through byte for byte.
 */
import { connect, createServer, type Socket } from 'node:net';
import { AttributeNameCache, LdapMessageSplitter, SEARCH_RESULT_ENTRY_TAG, decodeSearchEntry, type MessageFrame } from '../../../directory/ldap/scan/ber-entries';
import { encodeSearchEntry } from './encode-entry';

const SEARCH_REQUEST_TAG = 0x63;
const SEARCH_DONE_TAG = 0x65;
const RANGED = /^member;range=(\d+)-(\d+|\*)$/i;

export interface AdProxy {
  url: string;
  /** What the rootDSE says from now on (attribute -> value); null: slapd's own rootDSE. */
  setRootDse(attributes: Record<string, string> | null): void;
  /** How many ranged follow-up reads clients made (member;range=N-* with N > 0). */
  rangedReads(): number;
  close(): Promise<void>;
}

interface RangeRequest {
  start: number;
  end: number;
  explicit: boolean;
}

export async function startAdProxy(upstreamUrl: string, maxValRange: number): Promise<AdProxy> {
  const upstream = new URL(upstreamUrl);
  const sockets = new Set<Socket>();
  let rangedReads = 0;
  let rootDse: Record<string, string> | null = null;

  const server = createServer((client) => {
    const backend = connect({ host: upstream.hostname, port: Number(upstream.port) });
    sockets.add(client).add(backend);
    const ranges = new Map<number, RangeRequest>();
    const rootDseReads = new Set<number>();
    const names = new AttributeNameCache();
    const end = () => (client.destroy(), backend.destroy());
    for (const socket of [client, backend]) {
      socket.on('error', end);
      socket.on('close', () => (sockets.delete(socket), end()));
    }

    const fromClient = new LdapMessageSplitter((frame) => {
      const raw = frame.buffer.subarray(frame.start, frame.end);
      if (frame.operationTag !== SEARCH_REQUEST_TAG) return void backend.write(raw);
      const request = splitSearchRequest(raw);
      if (request.baseDn === '') rootDseReads.add(frame.messageId);
      let range: RangeRequest | null = null;
      const attributes = request.attributes.map((attribute) => {
        const m = RANGED.exec(attribute);
        if (m) {
          range = { start: Number(m[1]), end: m[2] === '*' ? Infinity : Number(m[2]), explicit: true };
          if (range.start > 0) rangedReads++;
          return 'member';
        }
        if (attribute.toLowerCase() === 'member') range ??= { start: 0, end: Infinity, explicit: false };
        return attribute;
      });
      if (!range) return void backend.write(raw);
      ranges.set(frame.messageId, range);
      backend.write(request.withAttributes(attributes));
    });

    const fromServer = new LdapMessageSplitter((frame) => {
      const range = ranges.get(frame.messageId);
      if (range && frame.operationTag === SEARCH_RESULT_ENTRY_TAG) return void client.write(rangedEntry(frame, range, maxValRange, names));
      if (rootDse && rootDseReads.has(frame.messageId) && frame.operationTag === SEARCH_RESULT_ENTRY_TAG) {
        return void client.write(withAttributes(frame, rootDse, names));
      }
      if (frame.operationTag === SEARCH_DONE_TAG) {
        ranges.delete(frame.messageId);
        rootDseReads.delete(frame.messageId);
      }
      client.write(frame.buffer.subarray(frame.start, frame.end));
    });

    client.on('data', (chunk: Buffer) => fromClient.push(chunk));
    backend.on('data', (chunk: Buffer) => fromServer.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ldap://127.0.0.1:${(server.address() as { port: number }).port}`,
    rangedReads: () => rangedReads,
    setRootDse: (attributes) => (rootDse = attributes),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

function tlvAt(buffer: Buffer, offset: number): Tlv {
  const first = buffer[offset + 1]!;
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    length = 0;
    for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + buffer[offset + 2 + i]!;
    contentStart += first & 0x7f;
  }
  return { tag: buffer[offset]!, start: offset, contentStart, end: contentStart + length };
}

function children(buffer: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = parent.contentStart; offset < parent.end; offset = out[out.length - 1]!.end) out.push(tlvAt(buffer, offset));
  return out;
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

/**
 * The attribute list of a SearchRequest, and the same request re-encoded with another list
 * (everything else, controls included, copied byte for byte).
 */
function splitSearchRequest(raw: Buffer): { baseDn: string; attributes: string[]; withAttributes(attributes: string[]): Buffer } {
  const [messageId, operation, ...controls] = children(raw, tlvAt(raw, 0));
  const fields = children(raw, operation!);
  const list = fields[7]!;
  const attributes = children(raw, list).map((a) => raw.toString('utf8', a.contentStart, a.end));
  return {
    baseDn: raw.toString('utf8', fields[0]!.contentStart, fields[0]!.end),
    attributes,
    withAttributes(replaced) {
      const newList = tlv(0x30, ...replaced.map((a) => tlv(0x04, Buffer.from(a))));
      const newOperation = tlv(SEARCH_REQUEST_TAG, raw.subarray(operation!.contentStart, list.start), newList);
      return tlv(0x30, raw.subarray(messageId!.start, messageId!.end), newOperation, ...controls.map((c) => raw.subarray(c.start, c.end)));
    },
  };
}

/** The entry slapd sent, with `member` cut to the requested range and named as AD names it. */
function rangedEntry(frame: MessageFrame, range: RangeRequest, maxValRange: number, names: AttributeNameCache): Buffer {
  const entry = decodeSearchEntry(frame, null, names);
  const attributes = [...entry.attributes].map(([name, values]) => {
    if (name !== 'member' || (!range.explicit && values.length <= maxValRange)) return { type: name, values };
    const last = Math.min(range.end, range.start + maxValRange - 1, values.length - 1);
    return { type: `member;range=${range.start}-${last >= values.length - 1 ? '*' : last}`, values: values.slice(range.start, last + 1) };
  });
  return encodeSearchEntry({ messageId: frame.messageId, dn: entry.dn, attributes });
}

/** The rootDSE slapd sent, with AD's attributes added (every one, requested or not: enough for these tests). */
function withAttributes(frame: MessageFrame, extra: Record<string, string>, names: AttributeNameCache): Buffer {
  const entry = decodeSearchEntry(frame, null, names);
  const attributes = [...entry.attributes].map(([type, values]) => ({ type, values }));
  for (const [type, value] of Object.entries(extra)) attributes.push({ type, values: [value] });
  return encodeSearchEntry({ messageId: frame.messageId, dn: entry.dn, attributes });
}
