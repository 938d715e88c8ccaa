/**
 * Where a reconciliation run keeps its files. Everything lives under the report directory (default:
 * `reconcile/` next to the audit log, a volume every worker shares), so any worker can pick up any
 * page and workflow history carries counts, never accounts.
 *
 *   <reportDir>/<runKey>.json, <runKey>.csv       the report (kept)
 *   <reportDir>/.runs/<runKey>/people.ndjson      everyone in the directory at the start, one person a line
 *   <reportDir>/.runs/<runKey>/index.json         links and approvals as read at the start (written last)
 *   <reportDir>/.runs/<runKey>/<target>/<page>.json   one page's rows
 *   <reportDir>/.runs/<runKey>/plan.json          events and suspensions to apply
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import type { IdsyncConfig } from '../app/config';
import type { Person } from '../domain/person';
import type { AppliedPlan, ReconcileRow } from '../policy/reconcile';

export interface RunIndexFacts {
  asOf: string;
  /** Person anchor -> "<target>:<accountId>" links from the person workflows' IdsyncLinks. */
  links: Record<string, string[]>;
  /** grantKey-style keys "anchor\0target\0kind\0name" of privileged grants approved in the audit log. */
  approvals: string[];
}

export interface RunIndex extends RunIndexFacts {
  people: Person[];
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

  /**
   * People are written one a line as the directory yields them, so the directory activity never
   * holds everyone at once; the facts file comes last, so it exists only beside a complete people file.
   */
  async writeIndex(people: AsyncIterable<Person>, facts: () => Promise<RunIndexFacts>): Promise<number> {
    let count = 0;
    async function* lines() {
      for await (const person of people) {
        count += 1;
        yield JSON.stringify(person);
      }
    }
    await writeLines(join(this.runDir, 'people.ndjson'), lines());
    await writeAtomically(join(this.runDir, 'index.json'), JSON.stringify(await facts()));
    return count;
  }

  async readIndex(): Promise<RunIndex> {
    const facts = JSON.parse(await readFile(join(this.runDir, 'index.json'), 'utf8')) as RunIndexFacts;
    const people: Person[] = [];
    const input = createReadStream(join(this.runDir, 'people.ndjson'), 'utf8');
    for await (const line of createInterface({ input, crlfDelay: Infinity })) if (line) people.push(JSON.parse(line) as Person);
    return { ...facts, people };
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

/** A file written line by line into a temporary name, renamed into place once complete. */
class LineFile {
  private readonly tmp: string;
  private readonly out: WriteStream;

  constructor(private readonly path: string) {
    this.tmp = `${path}.${process.pid}.tmp`;
    this.out = createWriteStream(this.tmp, { mode: 0o600 });
  }

  static async open(path: string): Promise<LineFile> {
    await mkdir(dirname(path), { recursive: true });
    return new LineFile(path);
  }

  async write(line: string): Promise<void> {
    if (!this.out.write(`${line}\n`)) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    this.out.end();
    await once(this.out, 'finish');
    await rename(this.tmp, this.path);
  }
}

/** Writes line by line (many thousand lines never sit in memory as one string), then renames into place. */
async function writeLines(path: string, lines: Iterable<string> | AsyncIterable<string>): Promise<void> {
  const file = await LineFile.open(path);
  for await (const line of lines) await file.write(line);
  await file.close();
}

/**
 * The report as JSON (the run's facts, then one row per line) and as CSV, both written in one pass
 * over `rows`, which may be produced a target at a time so the whole run's rows never sit in memory.
 */
export async function writeReport(files: RunFiles, meta: Record<string, unknown>, rows: Iterable<ReconcileRow> | AsyncIterable<ReconcileRow>): Promise<void> {
  const [json, csv] = await Promise.all([LineFile.open(files.reportJson), LineFile.open(files.reportCsv)]);
  const head = JSON.stringify(meta).slice(0, -1);
  await json.write(`${head}${Object.keys(meta).length > 0 ? ',' : ''}"rows":[`);
  await csv.write(CSV_COLUMNS.join(','));
  // Each row's separator comes with the next row, so the last needs no look-ahead.
  let first = true;
  for await (const row of rows) {
    await json.write(`${first ? '' : ','}${JSON.stringify(row)}`);
    await csv.write(csvLine(row));
    first = false;
  }
  await json.write(']}');
  await Promise.all([json.close(), csv.close()]);
}
