import type { AccountState } from '../targets/adapter';

/**
 * Cuts an adapter's account stream into numbered pages of `pageSize`, one page per activity. The
 * stream stays open between pages in the worker that read the previous page; a page asked of a fresh
 * pager (another worker, a retry after a failed read) re-reads and skips the accounts before it, so
 * page N always holds the same accounts whichever worker serves it.
 */
export class AccountPager {
  private iterator: AsyncIterator<AccountState> | undefined;
  /** Accounts consumed from the stream so far. */
  private position = 0;
  private exhausted = false;
  /** The stream failed mid-page: its position is unknown, so it cannot serve another page. */
  private broken = false;

  constructor(
    private readonly open: () => AsyncIterable<AccountState>,
    private readonly pageSize: number,
  ) {}

  get done(): boolean {
    return this.exhausted;
  }

  /** True when the next read would start exactly at `page` (or the pager is fresh). */
  canServe(page: number): boolean {
    return !this.broken && !this.exhausted && (this.iterator === undefined || this.position === page * this.pageSize);
  }

  async page(page: number): Promise<AccountState[]> {
    const start = page * this.pageSize;
    if (!this.canServe(page)) throw new Error(`this pager is at account ${this.position}, not ${start}`);
    this.iterator ??= this.open()[Symbol.asyncIterator]();
    try {
      while (this.position < start && !this.exhausted) await this.next();
      const accounts: AccountState[] = [];
      while (accounts.length < this.pageSize && !this.exhausted) {
        const account = await this.next();
        if (account) accounts.push(account);
      }
      // Peek so the last full page already says done, instead of one more activity returning nothing.
      if (!this.exhausted) await this.peek();
      return accounts;
    } catch (err) {
      this.broken = true;
      await this.close();
      throw err;
    }
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
    const iterator = this.iterator;
    this.iterator = undefined;
    this.exhausted = true;
    await iterator?.return?.().catch(() => undefined);
  }
}
