import { closeSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';

/** A lock older than this belongs to a process that died while appending (a group commit takes milliseconds). */
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 30_000;

/**
 * Exclusive-create lock file, so worker processes on one host sharing the audit log keep one linear
 * chain: under the lock each group commit re-reads the tip if the file grew since its own last write.
 * The lock file's create, write, close and unlink are synchronous: each is one local metadata call of
 * microseconds, while their promise versions cost a thread-pool round trip and a FileHandle each, and
 * took about 1 s of the worker's CPU per 100 joiners (bench/orchestration.ts --cpu-prof-dir). Only the
 * wait for another process's lock is asynchronous.
 */
export async function acquireLock(lockPath: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      return async () => unlinkQuietly(lockPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const age = lockAgeMs(lockPath);
    if (age > STALE_LOCK_MS) unlinkQuietly(lockPath);
    else if (Date.now() > deadline) throw new Error(`audit log ${lockPath} stayed locked for ${LOCK_WAIT_MS / 1000}s`);
    else await new Promise((r) => setTimeout(r, 2 + Math.random() * 8));
  }
}

function lockAgeMs(lockPath: string): number {
  try {
    return Date.now() - statSync(lockPath).mtimeMs;
  } catch {
    return 0; // released meanwhile
  }
}

function unlinkQuietly(lockPath: string): void {
  try {
    unlinkSync(lockPath);
  } catch {
    // already gone (released, or removed as stale by another process)
  }
}
