import { open, stat, unlink } from 'node:fs/promises';

/** A lock older than this belongs to a process that died while appending (a group commit takes milliseconds). */
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 30_000;

/**
 * Exclusive-create lock file, so worker processes on one host sharing the audit log keep one linear
 * chain: under the lock each group commit re-reads the tip if the file grew since its own last write.
 */
export async function acquireLock(lockPath: string): Promise<() => Promise<void>> {
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
