/**
 * An emulator's data kept in one JSON file, so the embedded demo comes back after a restart with the
 * accounts (and their ids) it had. Writes are atomic: the whole state goes to a temporary file beside
 * the target, is fsynced, then renamed over it, so a crash at any moment leaves either the previous
 * or the next complete file, never a torn one. Writes are coalesced (a burst of requests costs one
 * write) and `close()` writes whatever is pending.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomically } from '../lib/atomic-file';
import { basename, dirname, join } from 'node:path';

/** Bumped when the saved shape changes incompatibly; an older file is refused, not misread. */
export const STATE_FORMAT = 1;

export type EmulatorKind = 'salesforce' | 'hubspot' | 'scim' | 'highspot';

interface SavedEnvelope<T> {
  format: number;
  emulator: EmulatorKind;
  savedAt: string;
  state: T;
}

/** Temporary files are `<name>.<pid>.tmp` beside the state file. */
const tempFileOf = (path: string) => `${path}.${process.pid}.tmp`;
const isTempFileOf = (path: string, candidate: string) => new RegExp(`^${escapeRegExp(basename(path))}\\.\\d+\\.tmp$`).test(candidate);

/**
 * The saved state, or undefined when there is no file yet (first start: use the seed). A file that
 * cannot be read as this emulator's state is an error naming the file: silently starting from the
 * seed again would lose the demo's accounts, which is what this file exists to prevent.
 */
export function loadEmulatorState<T>(path: string, emulator: EmulatorKind): T | undefined {
  removeLeftoverTempFiles(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const startOver = `delete it to start this emulator from its seed`;
  let saved: SavedEnvelope<T>;
  try {
    saved = JSON.parse(text) as SavedEnvelope<T>;
  } catch {
    throw new Error(`${path} is not valid JSON; ${startOver}`);
  }
  if (saved?.emulator !== emulator) throw new Error(`${path} holds ${String(saved?.emulator)} emulator state, not ${emulator}; ${startOver}`);
  if (saved.format !== STATE_FORMAT) throw new Error(`${path} has state format ${String(saved.format)}, this emulator reads ${STATE_FORMAT}; ${startOver}`);
  return saved.state;
}

/** Writes `snapshot()` to `path` after changes, at most once per `delayMs`, and on `close()`. */
export class EmulatorStateFile {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly emulator: EmulatorKind,
    private readonly snapshot: () => unknown,
    private readonly delayMs = 100,
  ) {
    mkdirSync(dirname(path), { recursive: true });
  }

  /** Something changed: schedule a write (one write covers every change until it runs). */
  changed(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        this.writeNow();
      } catch (err) {
        // A full disk must not take the demo down with it: the previous file stays whole, and the
        // next change (or close) tries again.
        console.error(`${this.emulator} emulator: could not save its state to ${this.path}: ${(err as Error).message}`);
      }
    }, this.delayMs);
  }

  /** Writes the current state now (also the first state after a start from the seed). */
  writeNow(): void {
    const envelope: SavedEnvelope<unknown> = { format: STATE_FORMAT, emulator: this.emulator, savedAt: new Date().toISOString(), state: this.snapshot() };
    writeFileAtomically(this.path, JSON.stringify(envelope), tempFileOf(this.path));
  }

  /** Writes what is pending; later changes are ignored (the server is going away). */
  close(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.writeNow();
    this.closed = true;
  }
}


/** A process that died mid-write leaves its temporary file; it was never the state, so it goes. */
function removeLeftoverTempFiles(path: string): void {
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) if (isTempFileOf(path, name)) rmSync(join(dirname(path), name), { force: true });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
