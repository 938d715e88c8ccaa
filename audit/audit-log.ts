import { createHash } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditRecordInput, AuditSink } from './types';
import { canonicalJson } from './canonical-json';
import { acquireLock } from './file-lock';

/** What one line of the audit log holds. `hash` covers every other field, `prevHash` links the chain. */
export interface AuditRecord extends AuditRecordInput {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);
/** Idempotency keys remembered for de-duplication; retries happen within minutes, not thousands of records later. */
const REMEMBERED_KEYS = 50_000;

export function recordHash(record: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex');
}

interface ChainTip {
  seq: number;
  hash: string;
  /** File size after our last write: a different size means someone else appended, so re-read the tip. */
  size: number;
  keys: Set<string>;
  /** The file's inode at the last check: the append handle is reused only while it is the same file. */
  inode?: number;
}

/** Makes what was written through the handle durable. Injectable so tests can count group commits. */
export type AuditSync = (handle: FileHandle) => Promise<void>;

export interface FileAuditLogOptions {
  clock?: () => Date;
  /** Default: fdatasync. */
  sync?: AuditSync;
}

const datasync: AuditSync = (handle) => handle.datasync();

/** A record waiting for the next group commit; its append resolves once the group is durable. */
interface PendingRecord {
  input: AuditRecordInput;
  clock: () => Date;
  sync: AuditSync;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Bounds one write (and the memory of one group); a larger burst simply takes several groups. */
const MAX_GROUP = 1000;

/**
 * Append-only, hash-chained JSON-lines audit log. Appends to one file path from this process (any
 * number of instances) go through one group committer: records that arrive while a commit is under
 * way, or while it waits for the lock, are chained, written and fdatasync'ed together, and each
 * append resolves only after its group is durable. Processes on the host share the chain through a
 * lock file, so concurrent activities never interleave lines or fork the chain. The file lives
 * outside Temporal, so it outlives history retention.
 */
export class FileAuditLog implements AuditSink {
  private static committers = new Map<string, GroupCommitter>();
  private readonly clock: () => Date;
  private readonly sync: AuditSync;

  constructor(
    readonly path: string,
    options: FileAuditLogOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.sync = options.sync ?? datasync;
  }

  append(input: AuditRecordInput): Promise<void> {
    let committer = FileAuditLog.committers.get(this.path);
    if (!committer) FileAuditLog.committers.set(this.path, (committer = new GroupCommitter(this.path)));
    return committer.enqueue(input, this.clock, this.sync);
  }
}

class GroupCommitter {
  private pending: PendingRecord[] = [];
  private committing = false;
  private tip: ChainTip | undefined;
  private append: { handle: FileHandle; inode: number } | undefined;

  constructor(private readonly path: string) {}

  enqueue(input: AuditRecordInput, clock: () => Date, sync: AuditSync): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ input, clock, sync, resolve, reject });
      if (!this.committing) void this.drain();
    });
  }

  /** One commit at a time; whatever queued up meanwhile becomes the next group. */
  private async drain(): Promise<void> {
    this.committing = true;
    try {
      while (this.pending.length > 0) await this.commitGroup();
    } finally {
      this.committing = false;
    }
  }

  private async commitGroup(): Promise<void> {
    let group: PendingRecord[] = [];
    try {
      // Once per committer, and again after a failure (the directory may have been the problem).
      if (!this.tip) mkdirSync(dirname(this.path), { recursive: true });
      const release = await acquireLock(`${this.path}.lock`);
      try {
        // Taken under the lock, so every record that arrived while we waited for it joins this group.
        group = this.pending.splice(0, MAX_GROUP);
        await this.writeDurably(group);
      } finally {
        await release();
      }
    } catch (err) {
      // The file may hold part of the group: re-read the tip next time; keyed records retried by their activity are stored once.
      this.tip = undefined;
      await this.closeAppendHandle();
      for (const entry of group.length > 0 ? group : this.pending.splice(0)) entry.reject(err);
      return;
    }
    for (const entry of group) entry.resolve();
  }

  private async writeDurably(group: PendingRecord[]): Promise<void> {
    const tip = await this.currentTip();
    let { seq, hash } = tip;
    const keys = new Set<string>();
    const lines: string[] = [];
    for (const { input, clock } of group) {
      if (input.key && (tip.keys.has(input.key) || keys.has(input.key))) continue;
      const body: Omit<AuditRecord, 'hash'> = { ...stripUndefined(input), seq: seq + 1, at: clock().toISOString(), prevHash: hash };
      const record: AuditRecord = { ...body, hash: recordHash(body) };
      lines.push(`${canonicalJson(record)}\n`);
      seq = record.seq;
      hash = record.hash;
      if (input.key) keys.add(input.key);
    }
    const text = lines.join('');
    const handle = await this.appendHandle(tip.inode);
    if (text) await handle.writeFile(text);
    // Also when every record was a duplicate: its first copy may be the one whose sync failed.
    for (const sync of new Set(group.map((entry) => entry.sync))) await sync(handle);
    tip.seq = seq;
    tip.hash = hash;
    tip.size += Buffer.byteLength(text);
    for (const key of keys) remember(tip.keys, key);
  }

  private async currentTip(): Promise<ChainTip> {
    // One local metadata call, synchronous like the lock's (file-lock.ts): no thread-pool round trip per group.
    const { size, inode } = fileIdentity(this.path);
    if (this.tip && this.tip.size === size) {
      this.tip.inode = inode;
      return this.tip;
    }
    this.tip = { ...(await readTip(this.path, size)), inode };
    return this.tip;
  }

  /**
   * The append handle, kept open from one group to the next (an open and a close per group were two
   * more thread-pool round trips and a FileHandle each). Opened again when the path no longer names
   * the file it was opened on (the log was moved or deleted and created anew), so records never go
   * to an unlinked file.
   */
  private async appendHandle(inode: number | undefined): Promise<FileHandle> {
    if (this.append && inode !== undefined && this.append.inode === inode) return this.append.handle;
    await this.closeAppendHandle();
    const handle = await open(this.path, 'a', 0o600); // created owner-only: the log names people and their access
    this.append = { handle, inode: (await handle.stat()).ino };
    return handle;
  }

  /** After a failed commit nothing about the open file is trusted: the next group opens it again. */
  async closeAppendHandle(): Promise<void> {
    const current = this.append;
    this.append = undefined;
    await current?.handle.close().catch(() => undefined);
  }
}

function fileIdentity(path: string): { size: number; inode?: number } {
  try {
    const stats = statSync(path);
    return { size: stats.size, inode: stats.ino };
  } catch {
    return { size: 0 };
  }
}

function remember(keys: Set<string>, key: string): void {
  keys.add(key);
  if (keys.size > REMEMBERED_KEYS) keys.delete(keys.values().next().value as string);
}

function stripUndefined(input: AuditRecordInput): AuditRecordInput {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as AuditRecordInput;
}

async function readTip(path: string, size: number): Promise<ChainTip> {
  const tip: ChainTip = { seq: 0, hash: GENESIS_HASH, size, keys: new Set() };
  if (size === 0) return tip;
  const text = await readFile(path, 'utf8');
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const record = JSON.parse(line) as AuditRecord;
    tip.seq = record.seq;
    tip.hash = record.hash;
    if (record.key) remember(tip.keys, record.key);
  }
  tip.size = Buffer.byteLength(text);
  return tip;
}

export interface AuditVerification {
  ok: boolean;
  records: number;
  /** 1-based line number of the first line that does not belong to an intact chain. */
  brokenLine?: number;
  problem?: string;
}

/**
 * Walks the chain: every line must parse, hash to its own `hash`, point at the previous line's hash
 * and carry the next sequence number. An edited line fails its hash; a removed or reordered line
 * breaks the link to its neighbour. (A removed *last* line is only visible against a copy of the head hash.)
 */
export async function verifyAuditLog(path: string): Promise<AuditVerification> {
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let prevHash = GENESIS_HASH;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let record: AuditRecord;
    try {
      record = JSON.parse(lines[i]!) as AuditRecord;
    } catch {
      return { ok: false, records: i, brokenLine: lineNo, problem: `line ${lineNo} is not valid JSON` };
    }
    const { hash, ...body } = record;
    if (recordHash(body) !== hash) return { ok: false, records: i, brokenLine: lineNo, problem: `line ${lineNo} was edited: its content does not match its hash` };
    if (record.prevHash !== prevHash) {
      return { ok: false, records: i, brokenLine: lineNo, problem: `line ${lineNo} does not follow line ${lineNo - 1}: a line before it was removed, inserted or reordered` };
    }
    if (record.seq !== lineNo) {
      return { ok: false, records: i, brokenLine: lineNo, problem: `line ${lineNo} carries sequence ${record.seq}: lines were removed or reordered` };
    }
    prevHash = hash;
  }
  return { ok: true, records: lines.length };
}

/** Reads every record (for the CLI and tests); does not verify. */
export async function readAuditLog(path: string): Promise<AuditRecord[]> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as AuditRecord);
}
