/**
 * Orders strings by UTF-16 code units, the same on every machine and in workflow code (unlike
 * localeCompare, whose result depends on the ICU data and locale of the process). For sort()
 * callbacks that must give the same order wherever a plan or a history is computed.
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
