import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { writeFileAtomically } from '../../lib/atomic-file';
import { join } from 'node:path';
import { nonRetryable } from '../../lib/errors';
import { emptyState, type WatcherState } from './types';

const KEEP_GENERATIONS = 4;
const fileFor = (generation: number) => `state-${String(generation).padStart(12, '0')}.json`;


/**
 * Watcher state as immutable generation files. A poll reads generation N and writes N+1, so an
 * activity retried after a crash re-reads N and recomputes the same events (same ids). The workflow
 * only carries the generation number; the files hold the cursor and the snapshot.
 */
export class WatcherStateStore {
  /** The last generation read or written by this process: a 100k snapshot is not re-parsed every 2 s. Never mutated. */
  private cached: WatcherState | null = null;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  generations(): number[] {
    return readdirSync(this.dir)
      .map((name) => /^state-(\d{12})\.json$/.exec(name)?.[1])
      .filter((g): g is string => g !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** `null` asks for the newest generation on disk (a freshly started watcher). Callers must not mutate the result. */
  load(generation: number | null): WatcherState {
    const all = this.generations();
    const wanted = generation ?? all.at(-1) ?? null;
    if (wanted === null) return emptyState(0);
    if (this.cached?.generation === wanted && all.includes(wanted)) return this.cached;
    const path = join(this.dir, fileFor(wanted));
    if (!existsSync(path)) {
      if (all.length === 0) return emptyState(wanted);
      throw nonRetryable('ConfigError', `watcher state generation ${wanted} is missing from ${this.dir} (newest is ${all.at(-1)}); restart the watcher without a generation to resume from the newest`, {
        target: 'directory',
        field: 'watcher.stateDir',
      });
    }
    this.cached = JSON.parse(readFileSync(path, 'utf8')) as WatcherState;
    return this.cached;
  }

  /** Writes `state` as the next generation after `from` and returns it; keeps the last few for retries. */
  save(state: WatcherState, from: number): WatcherState {
    const next = { ...state, generation: from + 1 };
    const path = join(this.dir, fileFor(next.generation));
    writeFileAtomically(path, JSON.stringify(next), `${path}.tmp-${process.pid}`);
    this.cached = next;
    for (const old of this.generations()) {
      if (old <= next.generation - KEEP_GENERATIONS) rmSync(join(this.dir, fileFor(old)), { force: true });
    }
    return next;
  }
}
