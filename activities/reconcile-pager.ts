import type { AccountState } from '../domain/account';

/**
 * Cuts an adapter's account stream into numbered pages of `pageSize`, one page per activity. The
 * stream stays open between pages in the worker that read the previous page; a page asked of a fresh
 * pager (another worker, a retry after a failed read) re-reads and skips the accounts before it, so
 * page N always holds the same accounts whichever worker serves it.
 *
 * After serving a page the pager reads the next one in the background, so the target's request
 * overlaps the workflow's round trip instead of following it. It never runs more than one page
 * ahead of the rate-limited activities: the queue's limit still paces the reads.
 */
export class AccountPager {
  private iterator: AsyncIterator<AccountState> | undefined;
  /** Accounts consumed from the stream so far (prefetched ones included). */
  private position = 0;
  private exhausted = false;
  /** The stream failed: its position is unknown, so it cannot serve another page. */
  private broken = false;
  /** The next page, being read ahead: its first account index and its outcome. */
  private ahead: { start: number; read: Promise<AccountState[]> } | undefined;

  constructor(
    private readonly open: () => AsyncIterable<AccountState>,
    private readonly pageSize: number,
  ) {}

  /** True once the stream has ended and every account read has been served. */
  get done(): boolean {
    return this.exhausted && this.ahead === undefined;
  }

  /** True when the next read would start exactly at `page` (or the pager is fresh). */
  canServe(page: number): boolean {
    if (this.broken || this.done) return false;
    const next = this.ahead?.start ?? this.position;
    return this.iterator === undefined || next === page * this.pageSize;
  }

  async page(page: number): Promise<AccountState[]> {
    const start = page * this.pageSize;
    if (!this.canServe(page)) throw new Error(`this pager is not at account ${start}`);
    try {
      let accounts: AccountState[];
      if (this.ahead) {
        const ahead = this.ahead;
        this.ahead = undefined;
        accounts = await ahead.read;
      } else {
        this.iterator ??= this.open()[Symbol.asyncIterator]();
        while (this.position < start && !this.exhausted) await this.next();
        accounts = await this.take();
      }
      if (!this.exhausted) this.readAhead();
      return accounts;
    } catch (err) {
      this.broken = true;
      await this.close();
      throw err;
    }
  }

  private readAhead(): void {
    const start = this.position;
    const read = this.take();
    // A failure surfaces when the page is asked for (and breaks the pager then), never as unhandled.
    read.catch(() => undefined);
    this.ahead = { start, read };
  }

  private async take(): Promise<AccountState[]> {
    const accounts: AccountState[] = [];
    while (accounts.length < this.pageSize && !this.exhausted) {
      const account = await this.next();
      if (account) accounts.push(account);
    }
    // Ending exactly on a page boundary: find out now, so the last full page already says done.
    if (!this.exhausted && accounts.length === this.pageSize) await this.peek();
    return accounts;
  }

  private peeked: AccountState | undefined;

  private async next(): Promise<AccountState | undefined> {
    if (this.peeked) {
      const account = this.peeked;
      this.peeked = undefined;
      this.position += 1;
      return account;
    }
    const result = await this.iterator!.next();
    if (result.done) {
      this.exhausted = true;
      return undefined;
    }
    this.position += 1;
    return result.value;
  }

  private async peek(): Promise<void> {
    const result = await this.iterator!.next();
    if (result.done) this.exhausted = true;
    else this.peeked = result.value;
  }

  async close(): Promise<void> {
    const { iterator, ahead } = this;
    this.iterator = undefined;
    this.ahead = undefined;
    this.exhausted = true;
    await ahead?.read.catch(() => undefined);
    await iterator?.return?.().catch(() => undefined);
  }
}
