/** Salesforce-shaped ids: 3-char key prefix, 15 case-sensitive characters, 3-character case-safe suffix. */
const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

export function toEighteen(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15[chunk * 5 + i];
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[bits];
  }
  return id15 + suffix;
}

export function isWellFormedId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/.test(value);
}

export class IdGenerator {
  /** Ids handed out so far; saved with the emulator's state so ids stay unique across a restart. */
  counter = 0;
  constructor(private readonly pod = '5e') {}

  next(keyPrefix: string): string {
    this.counter += 1;
    const serial = this.counter.toString(36).toUpperCase().padStart(8, '0');
    return toEighteen(`${keyPrefix}${this.pod}00${serial}`);
  }
}
