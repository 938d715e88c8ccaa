const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses "30d", "12h", "90s", "1500ms", "1h30m" into milliseconds; throws a message naming the value. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g)];
  const rebuilt = parts.map((p) => p[0]).join('').replace(/\s+/g, '');
  if (parts.length === 0 || rebuilt !== trimmed.replace(/\s+/g, '')) {
    throw new Error(`"${text}" is not a duration; use e.g. 30d, 12h, 15m, 10s, 500ms`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
}

export function isDuration(text: string): boolean {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}
