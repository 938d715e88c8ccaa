/**
 * The scan's own BER decoder against ldapts' parser on the same bytes: random entries (multi-valued,
 * long values, invalid UTF-8, binary GUIDs, repeated descriptions) cut into random TCP-sized chunks
 * must give exactly the attribute bags entryToBag gives for ldapts' entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageParser, SearchEntry, type MessageResponse } from 'ldapts';
import { entryToBag, guidToString } from '../../directory/ldap/entry';
import { encodeSearchEntry, type RawEntry } from './support/encode-entry';
import { AttributeNameCache, LdapFrameError, LdapMessageSplitter, SEARCH_RESULT_ENTRY_TAG, decodeSearchEntry, type MessageFrame } from '../../directory/ldap/scan/ber-entries';

/** A deterministic generator, so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const TYPES = ['uid', 'mail', 'cn', 'displayName', 'objectGUID', 'description', 'title;lang-de', 'MAIL', 'jpegPhoto', 'ümlautAttr'];

function randomEntry(next: () => number, messageId: number): RawEntry {
  const text = (length: number) => Array.from({ length }, () => 'aé€𝄞zZ0 ,='.charAt(Math.floor(next() * 11))).join('');
  const attributes: { type: string; values: Buffer[] }[] = [];
  const count = Math.floor(next() * 7);
  for (let i = 0; i < count; i++) {
    const type = TYPES[Math.floor(next() * TYPES.length)]!;
    // Servers never repeat a description verbatim (ldapts would keep only the last); case variants do occur.
    if (attributes.some((a) => a.type === type)) continue;
    const valueCount = Math.floor(next() * 4);
    const values: Buffer[] = [];
    for (let v = 0; v < valueCount; v++) {
      const kind = next();
      if (type === 'objectGUID') values.push(Buffer.from(Array.from({ length: 16 }, () => Math.floor(next() * 256))));
      else if (kind < 0.1) values.push(Buffer.from([0xff, 0xfe, 0x41, 0xc3])); // not UTF-8
      else if (kind < 0.15) values.push(Buffer.alloc(70_000 + Math.floor(next() * 1000), 0x61)); // three-byte BER length
      else if (kind < 0.3) values.push(Buffer.from(text(130 + Math.floor(next() * 200)))); // two-byte BER length
      else values.push(Buffer.from(text(Math.floor(next() * 20))));
    }
    attributes.push({ type, values });
  }
  return { messageId, dn: `uid=${text(8)},ou=people,dc=example,dc=com`, attributes };
}

/** What the ldapts path yields for the same bytes: MessageParser, toObject, entryToBag. */
function viaLdapts(bytes: Buffer, binary: string[]): { dn: string; bag: Map<string, string[]> } {
  const parser = new MessageParser();
  let parsed: MessageResponse | undefined;
  parser.on('message', (message) => (parsed = message));
  parser.on('error', (err) => assert.fail(err));
  parser.read(bytes, new Map());
  assert.ok(parsed instanceof SearchEntry);
  const entry = parsed.toObject([], binary);
  return { dn: entry.dn, bag: entryToBag(entry, binary) };
}

function framesOf(stream: Buffer, chunkSizes: () => number): MessageFrame[] {
  const frames: MessageFrame[] = [];
  const splitter = new LdapMessageSplitter((frame) => frames.push({ ...frame, buffer: Buffer.from(frame.buffer) }));
  for (let offset = 0; offset < stream.length; ) {
    const size = Math.max(1, chunkSizes());
    splitter.push(stream.subarray(offset, offset + size));
    offset += size;
  }
  return frames;
}

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
  test(`random entries decode exactly as ldapts + entryToBag decode them (seed ${seed})`, () => {
    const next = random(seed);
    const entries = Array.from({ length: 40 }, (_, i) => randomEntry(next, i + 1));
    const encoded = entries.map(encodeSearchEntry);
    const stream = Buffer.concat(encoded);
    const binary = ['objectGUID'];
    const chunkers = [() => stream.length, () => 1 + Math.floor(next() * 7), () => 1 + Math.floor(next() * 65_536)];
    for (const chunkSize of chunkers) {
      const frames = framesOf(stream, chunkSize);
      assert.equal(frames.length, entries.length);
      const names = new AttributeNameCache();
      frames.forEach((frame, i) => {
        assert.equal(frame.messageId, entries[i]!.messageId);
        assert.equal(frame.operationTag, SEARCH_RESULT_ENTRY_TAG);
        const ours = decodeSearchEntry(frame, new Set(['objectguid']), names);
        const theirs = viaLdapts(encoded[i]!, binary);
        assert.equal(ours.dn, theirs.dn);
        assert.deepEqual(ours.attributes, theirs.bag, `entry ${i} of seed ${seed}`);
      });
    }
  });
}

test('an objectGUID read as binary becomes GUID text, as the ldapts path gives it', () => {
  const guid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const bytes = encodeSearchEntry({ messageId: 7, dn: 'CN=A,DC=corp', attributes: [{ type: 'objectGUID', values: [guid] }] });
  const [frame] = framesOf(bytes, () => bytes.length);
  const decoded = decodeSearchEntry(frame!, new Set(['objectguid']), new AttributeNameCache());
  assert.deepEqual(decoded.attributes.get('objectguid'), [guidToString(guid)]);
  assert.equal(guidToString(guid), '33221100-5544-7766-8899-aabbccddeeff');
});

test('malformed or hostile bytes are refused with a clear error instead of being read past', () => {
  const good = encodeSearchEntry({ messageId: 3, dn: 'uid=a,dc=x', attributes: [{ type: 'uid', values: [Buffer.from('a')] }] });
  const refuse = (bytes: Buffer, pattern: RegExp) =>
    assert.throws(() => {
      for (const frame of framesOf(bytes, () => bytes.length)) decodeSearchEntry(frame, null, new AttributeNameCache());
    }, (err: Error) => err instanceof LdapFrameError && pattern.test(err.message));

  refuse(Buffer.from([0x04, 0x01, 0x00]), /not an LDAP message/);
  refuse(Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01]), /indefinite/);
  refuse(Buffer.from([0x30, 0x85, 0x01, 0x01, 0x01, 0x01, 0x01]), /beyond any sane/);
  // The DN claims more bytes than its entry holds.
  const longDn = Buffer.from(good);
  longDn[good.indexOf(Buffer.from('uid=a,dc=x')) - 1] = 0x7f;
  refuse(longDn, /runs past/);
  // A value that is not an OCTET STRING.
  const badValue = Buffer.from(good);
  badValue[good.lastIndexOf(0x04, good.length - 2)] = 0x05;
  refuse(badValue, /a value of uid/);
});

test('a message split anywhere, even inside its length octets, comes out whole and once', () => {
  const big = encodeSearchEntry({ messageId: 9, dn: 'uid=big,dc=x', attributes: [{ type: 'jpegPhoto', values: [Buffer.alloc(300_000, 1)] }] });
  const small = encodeSearchEntry({ messageId: 10, dn: 'uid=s,dc=x', attributes: [] });
  const stream = Buffer.concat([big, small, small]);
  for (const cut of [1, 2, 3, 4, 5, 100, big.length - 1, big.length, big.length + 1]) {
    const frames: number[] = [];
    const splitter = new LdapMessageSplitter((frame) => frames.push(frame.end - frame.start));
    splitter.push(stream.subarray(0, cut));
    splitter.push(stream.subarray(cut));
    assert.deepEqual(frames, [big.length, small.length, small.length], `cut at ${cut}`);
  }
});
