/**
 * Where a reconciliation run keeps its files. Everything lives under the report directory (default:
 * `reconcile/` next to the audit log, a volume every worker shares), so any worker can pick up any
 * page and workflow history carries counts, never accounts.
 *
 *   <reportDir>/<runKey>.json, <runKey>.csv       the report (kept)
 *   <reportDir>/.runs/<runKey>/index.json         people, links, approvals as read at the start
 *   <reportDir>/.runs/<runKey>/<target>/<page>.json   one page's rows
 *   <reportDir>/.runs/<runKey>/plan.json          events and suspensions to apply
 */
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import type { IdsyncConfig } from '../app/config';
import type { Person } from '../domain/person';
import type { AppliedPlan, ReconcileRow } from '../policy/reconcile';

export interface RunIndex {
  asOf: string;
  people: Person[];
  /** Person anchor -> "<target>:<accountId>" links from the person workflows' IdsyncLinks. */
  links: Record<string, string[]>;
  /** grantKey-style keys "anchor\0target\0kind\0name" of privileged grants approved in the audit log. */
  approvals: string[];
}

export function reportDirOf(config: IdsyncConfig): string {
  return config.reconcile?.reportDir ?? join(dirname(config.audit.path), 'reconcile');
}

/** Workflow ids become file names: anything but letters, digits, dot, dash and underscore becomes "_". */
export function safeRunKey(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_');
}

export class RunFiles {
  readonly runDir: string;

  constructor(
    readonly reportDir: string,
    readonly runKey: string,
  ) {
    this.runDir = join(reportDir, '.runs', safeRunKey(runKey));
  }

  get reportJson(): string {
    return join(this.reportDir, `${safeRunKey(this.runKey)}.json`);
  }

  get reportCsv(): string {
    return join(this.reportDir, `${safeRunKey(this.runKey)}.csv`);
  }

  writeIndex(index: RunIndex): Promise<void> {
    return writeAtomically(join(this.runDir, 'index.json'), JSON.stringify(index));
  }

  async readIndex(): Promise<RunIndex> {
    return JSON.parse(await readFile(join(this.runDir, 'index.json'), 'utf8')) as RunIndex;
  }

  /** Rewriting a page on retry replaces it: the same page always holds the same accounts. */
  writePage(target: string, page: number, rows: ReconcileRow[]): Promise<void> {
    return writeAtomically(join(this.runDir, safeRunKey(target), `${String(page).padStart(6, '0')}.json`), JSON.stringify(rows));
  }

  async readRows(target: string): Promise<ReconcileRow[]> {
    const dir = join(this.runDir, safeRunKey(target));
    const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => /^\d+\.json$/.test(f)).sort();
    const rows: ReconcileRow[] = [];
    for (const f of files) rows.push(...(JSON.parse(await readFile(join(dir, f), 'utf8')) as ReconcileRow[]));
    return rows;
  }

  writePlan(plan: AppliedPlan): Promise<void> {
    return writeAtomically(join(this.runDir, 'plan.json'), JSON.stringify(plan));
  }

  async readPlan(): Promise<AppliedPlan> {
    return JSON.parse(await readFile(join(this.runDir, 'plan.json'), 'utf8')) as AppliedPlan;
  }

  /** The working files go once the run is over; the report stays. */
  removeWorkingFiles(): Promise<void> {
    return rm(this.runDir, { recursive: true, force: true });
  }
}

export async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, path);
}

const CSV_COLUMNS = ['target', 'accountId', 'situation', 'personAnchor', 'reaction', 'username', 'detail', 'also'] as const;

function csvField(value: unknown): string {
  const text = value === undefined || value === null ? '' : Array.isArray(value) ? value.join(' ') : String(value);
  // A leading =, +, - or @ would run as a formula in a spreadsheet.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const csvLine = (row: ReconcileRow) => CSV_COLUMNS.map((c) => csvField(row[c])).join(',');

export function toCsv(rows: readonly ReconcileRow[]): string {
  return `${[CSV_COLUMNS.join(','), ...rows.map(csvLine)].join('\n')}\n`;
}

/** Writes line by line (a report of many thousand rows never sits in memory as one string), then renames into place. */
async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(tmp, { mode: 0o600 });
  for (const line of lines) if (!out.write(`${line}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  await rename(tmp, path);
}

/** The report as JSON (the run's facts, then one row per line) and as CSV. */
export async function writeReport(files: RunFiles, meta: Record<string, unknown>, rows: readonly ReconcileRow[]): Promise<void> {
  const head = JSON.stringify(meta).slice(0, -1);
  function* json() {
    yield `${head}${Object.keys(meta).length > 0 ? ',' : ''}"rows":[`;
    for (let i = 0; i < rows.length; i++) yield `${JSON.stringify(rows[i])}${i < rows.length - 1 ? ',' : ''}`;
    yield ']}';
  }
  function* csv() {
    yield CSV_COLUMNS.join(',');
    for (const row of rows) yield csvLine(row);
  }
  await writeLines(files.reportJson, json());
  await writeLines(files.reportCsv, csv());
}
