import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

/**
 * Writes `text` to `temp` (mode 0600: state files may hold personal data or seeded passwords),
 * fsyncs it and renames it over `path`: readers and crashes see the old file or the new one, whole.
 * Callers choose the temporary name, so each can recognise and clean up its own leftovers.
 */
export function writeFileAtomically(path: string, text: string, temp: string): void {
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
