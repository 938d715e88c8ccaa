import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditRecordInput, AuditSink } from './types';
import { canonicalJson } from './canonical-json';

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
}

/**
 * Append-only, hash-chained JSON-lines audit log. Appends are serialised per file path within the
 * process (every instance for the same path shares one queue) and across processes on the host by a
 * lock file, so concurrent activities never interleave lines or fork the chain. The file lives
 * outside Temporal, so it outlives history retention.
 */
export class FileAuditLog implements AuditSink {
  private static queues = new Map<string, Promise<unknown>>();
  private tip: ChainTip | undefined;

  constructor(
    readonly path: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  append(input: AuditRecordInput): Promise<void> {
    const previous = FileAuditLog.queues.get(this.path) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.appendNow(input));
    FileAuditLog.queues.set(this.path, next);
    return next;
  }

  private async appendNow(input: AuditRecordInput): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true });
    const release = await acquireLock(`${this.path}.lock`);
    try {
      await this.appendLocked(input);
    } finally {
      await release();
    }
  }

  private async appendLocked(input: AuditRecordInput): Promise<void> {
    const tip = await this.currentTip();
    if (input.key && tip.keys.has(input.key)) return;
    const body: Omit<AuditRecord, 'hash'> = { ...stripUndefined(input), seq: tip.seq + 1, at: this.clock().toISOString(), prevHash: tip.hash };
    const record: AuditRecord = { ...body, hash: recordHash(body) };
    const line = `${canonicalJson(record)}\n`;
    const handle = await open(this.path, 'a', 0o600); // created owner-only: the log names people and their access
    try {
      await handle.write(line);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    tip.seq = record.seq;
    tip.hash = record.hash;
    tip.size += Buffer.byteLength(line);
    if (input.key) remember(tip.keys, input.key);
  }

  private async currentTip(): Promise<ChainTip> {
    const size = await stat(this.path).then((s) => s.size, () => 0);
    if (this.tip && this.tip.size === size) return this.tip;
    this.tip = await readTip(this.path, size);
    return this.tip;
  }
}

/** A lock older than this belongs to a process that died while appending (an append takes milliseconds). */
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 30_000;

/**
 * Exclusive-create lock file, so worker processes on one host sharing the log keep one linear chain:
 * under the lock each append re-reads the tip if the file grew since its own last write.
 */
async function acquireLock(lockPath: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.write(String(process.pid));
      await handle.close();
      return () => unlink(lockPath).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > STALE_LOCK_MS) await unlink(lockPath).catch(() => undefined);
    else if (Date.now() > deadline) throw new Error(`audit log ${lockPath} stayed locked for ${LOCK_WAIT_MS / 1000}s`);
    else await new Promise((r) => setTimeout(r, 2 + Math.random() * 8));
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
