import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import {
  BindRequest,
  ExtendedRequest,
  FilterParser,
  MessageParser,
  PagedResultsControl,
  SearchReference,
  SearchRequest,
  StatusCodeParser,
  UnbindRequest,
  type Message,
  type MessageResponse,
} from 'ldapts';
import type { LdapDirectoryConfig } from '../../config';
import { bindPassword, connectFailure, parseLdapUrl, tlsConnectOptions } from '../connection';
import { AttributeNameCache, LdapFrameError, LdapMessageSplitter, SEARCH_RESULT_ENTRY_TAG, decodeSearchEntry, type DecodedEntry, type MessageFrame } from './ber-entries';

const START_TLS_OID = '1.3.6.1.4.1.1466.20037';
/** Complete pages a scan may hold ahead of its caller (each about a page's size in bytes, not decoded). */
const PAGES_AHEAD = 2;

export interface ScanRequest {
  baseDn: string;
  scope: 'one' | 'sub';
  /** Trusted filter text (configuration, or built with ldapts' filter classes). */
  filter: string;
  attributes: string[];
  /** Attributes whose values are bytes (AD objectGUID), decoded as entryToBag would. */
  binaryAttributes: string[];
  pageSize: number;
}

interface SearchPage {
  /** The page's SearchResultEntry messages, still encoded: they are decoded as the caller reads them. */
  entries: MessageFrame[];
  /** Empty when the server has no more pages. */
  cookie: Buffer;
}

interface PendingOperation {
  resolve(response: MessageResponse): void;
  reject(error: Error): void;
  /** Set for searches: where this operation's entry messages are collected. */
  entries?: MessageFrame[];
}

/**
 * A connection used only for full scans: binds like the ldapts client (same TLS settings, same
 * credentials) and runs paged searches whose entries are decoded by ber-entries.ts. Requests are
 * encoded and non-entry responses decoded by ldapts, so result codes surface as the same ldapts
 * error classes the rest of the source already classifies.
 */
export class ScanConnection {
  private readonly splitter = new LdapMessageSplitter((frame) => this.onFrame(frame));
  private readonly responses = new MessageParser();
  private readonly names = new AttributeNameCache();
  private readonly pending = new Map<number, PendingOperation>();
  private lastMessageId = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private failure: Error | null = null;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);

  private constructor(
    private socket: Socket,
    private readonly config: LdapDirectoryConfig,
  ) {
    this.responses.on('message', (message) => this.settle(message));
    this.responses.on('error', (err) => this.fail(err));
    this.watch(socket);
  }

  /** Connects (LDAPS or StartTLS when configured) and binds; errors never carry the password. */
  static async open(config: LdapDirectoryConfig, env: NodeJS.ProcessEnv): Promise<ScanConnection> {
    const password = bindPassword(config, env);
    const target = parseLdapUrl(config.url);
    let connection: ScanConnection | null = null;
    try {
      connection = new ScanConnection(await connectSocket(config, target), config);
      if (config.tls.startTls && !target.secure) await connection.startTls(target.host);
      if (config.bindDn) await connection.bind(config.bindDn, password ?? '');
      return connection;
    } catch (err) {
      connection?.destroy();
      throw connectFailure(err, config);
    }
  }

  /**
   * Pages of entries, in server order. The next page is requested as soon as the previous one is
   * complete and fewer than PAGES_AHEAD wait for the caller, so the server works while the caller
   * maps; at most PAGES_AHEAD + 1 pages are held, as bytes.
   * A page holds its entries as the bytes the server sent and decodes each one when the caller
   * reaches it: a decoded page is several times larger, and holding two of them alive made every
   * young-generation GC copy them (a third of a 100,000-person scan's CPU). A malformed entry
   * throws `malformed(its LdapFrameError)` from the page's iteration.
   */
  async *pages(request: ScanRequest, malformed: (error: LdapFrameError) => Error = (error) => error): AsyncGenerator<Iterable<DecodedEntry>> {
    const binary = request.binaryAttributes.length > 0 ? new Set(request.binaryAttributes.map((a) => a.toLowerCase())) : null;
    const filter = FilterParser.parseString(request.filter);
    // Pages the server has sent and the caller has not taken yet; the next is asked for as soon as
    // one arrives while fewer than PAGES_AHEAD wait, so the server keeps working while the caller
    // maps (a caller that waited for its own turn to ask left the server idle for a page's mapping).
    const ready: SearchPage[] = [];
    let lastCookie: Buffer = Buffer.alloc(0);
    let asking = false;
    let finished = false;
    let failure: unknown = null;
    let wake: (() => void) | null = null;
    const askIfRoom = () => {
      if (asking || finished || failure !== null || ready.length >= PAGES_AHEAD) return;
      asking = true;
      this.searchPage(request, filter, lastCookie).then(
        (page) => {
          asking = false;
          ready.push(page);
          lastCookie = page.cookie;
          finished = page.cookie.length === 0;
          askIfRoom();
          wake?.();
        },
        (err: unknown) => {
          asking = false;
          failure = err;
          wake?.();
        },
      );
    };
    askIfRoom();
    for (;;) {
      const page = ready.shift();
      if (page) {
        askIfRoom();
        yield new DecodingPage(page.entries, binary, this.names, malformed);
        continue;
      }
      // Pages that arrived before a failure are still the caller's; the failure comes after them.
      if (failure !== null) throw failure;
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
    }
  }

  private async searchPage(request: ScanRequest, filter: ReturnType<typeof FilterParser.parseString>, cookie: Buffer): Promise<SearchPage> {
    const entries: MessageFrame[] = [];
    const messageId = this.nextMessageId();
    const message = new SearchRequest({
      messageId,
      baseDN: request.baseDn,
      scope: request.scope,
      filter,
      attributes: request.attributes,
      timeLimit: Math.ceil(this.config.timeoutMs / 1000),
      controls: [new PagedResultsControl({ value: { size: request.pageSize, cookie } })],
    });
    const response = await this.send(message, { entries });
    if (response.status !== 0) throw StatusCodeParser.parse(response);
    const paging = response.controls?.find((control): control is PagedResultsControl => control instanceof PagedResultsControl);
    return { entries, cookie: paging?.value?.cookie ?? Buffer.alloc(0) };
  }

  /** Unbinds politely when idle; a scan abandoned mid-page just drops the socket. */
  async close(): Promise<void> {
    if (this.failure) return;
    if (this.pending.size === 0 && !this.socket.destroyed) {
      await new Promise<void>((resolve) => this.socket.write(new UnbindRequest({ messageId: this.nextMessageId() }).write(), () => resolve()));
    }
    this.destroy();
  }

  private destroy(): void {
    this.fail(new Error('the scan connection was closed'));
  }

  private async startTls(host: string): Promise<void> {
    const response = await this.send(new ExtendedRequest({ messageId: this.nextMessageId(), oid: START_TLS_OID }));
    if (response.status !== 0) throw StatusCodeParser.parse(response);
    const plain = this.socket;
    plain.removeListener('data', this.onData);
    const secure = connectTls({ ...tlsConnectOptions(this.config, host), socket: plain });
    this.socket = secure;
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    this.watch(secure);
  }

  private async bind(dn: string, password: string): Promise<void> {
    const response = await this.send(new BindRequest({ messageId: this.nextMessageId(), dn, password }));
    if (response.status !== 0) throw StatusCodeParser.parse(response);
  }

  private send(message: Message, search?: Pick<PendingOperation, 'entries'>): Promise<MessageResponse> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(message.messageId, { resolve, reject, ...search });
      this.armIdleTimer();
      this.socket.write(message.write());
    });
  }

  private nextMessageId(): number {
    this.lastMessageId = this.lastMessageId >= 0x7fffffff ? 1 : this.lastMessageId + 1;
    return this.lastMessageId;
  }

  private watch(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error(`the directory at ${this.config.url} closed the connection`)));
  }

  private receive(chunk: Buffer): void {
    this.armIdleTimer();
    try {
      this.splitter.push(chunk);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private onFrame(frame: MessageFrame): void {
    const operation = this.pending.get(frame.messageId);
    if (frame.operationTag === SEARCH_RESULT_ENTRY_TAG && operation?.entries) {
      operation.entries.push(frame);
      return;
    }
    if (frame.operationTag === SEARCH_RESULT_ENTRY_TAG) return; // an entry of an abandoned search
    this.responses.read(frame.buffer.subarray(frame.start, frame.end), new Map());
  }

  private settle(response: MessageResponse): void {
    if (response.messageId === 0) {
      // Unsolicited notification (RFC 4511 4.4), e.g. the server is going away.
      this.fail(new Error(`the directory at ${this.config.url} ended the session: ${response.errorMessage || `result code ${response.status}`}`));
      return;
    }
    const operation = this.pending.get(response.messageId);
    // Continuation references (AD answers subtree searches with them) are not followed, as on the ldapts path.
    if (!operation || response instanceof SearchReference) return;
    this.pending.delete(response.messageId);
    if (this.pending.size === 0) this.clearIdleTimer();
    operation.resolve(response);
  }

  /** Fails every pending operation and closes the socket; the first failure is the one reported. */
  private fail(error: Error): void {
    if (!this.failure) this.failure = error;
    this.clearIdleTimer();
    const operations = [...this.pending.values()];
    this.pending.clear();
    for (const operation of operations) operation.reject(this.failure);
    if (!this.socket.destroyed) this.socket.destroy();
  }

  /** The server must keep talking while something is pending; silence for timeoutMs ends the scan. */
  private armIdleTimer(): void {
    this.clearIdleTimer();
    if (this.pending.size === 0) return;
    this.idleTimer = setTimeout(() => this.fail(new Error(`the directory at ${this.config.url} sent nothing for ${this.config.timeoutMs} ms`)), this.config.timeoutMs);
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

/**
 * A page's entry messages, decoded one at a time as the caller iterates (a plain iterator: a
 * generator's resume per entry showed in the profile of a 100,000-person scan). A malformed entry
 * throws what `malformed` makes of its LdapFrameError.
 */
class DecodingPage implements Iterable<DecodedEntry>, Iterator<DecodedEntry> {
  private next_ = 0;
  private readonly result: IteratorResult<DecodedEntry> = { done: false, value: undefined as unknown as DecodedEntry };

  constructor(
    private readonly frames: MessageFrame[],
    private readonly binary: ReadonlySet<string> | null,
    private readonly names: AttributeNameCache,
    private readonly malformed: (error: LdapFrameError) => Error,
  ) {}

  [Symbol.iterator](): Iterator<DecodedEntry> {
    return this;
  }

  next(): IteratorResult<DecodedEntry> {
    if (this.next_ >= this.frames.length) return { done: true, value: undefined };
    const frame = this.frames[this.next_++]!;
    try {
      // One result object per page: for-of reads the value before asking for the next one.
      this.result.value = decodeSearchEntry(frame, this.binary, this.names);
    } catch (err) {
      throw err instanceof LdapFrameError ? this.malformed(err) : err;
    }
    return this.result;
  }
}

async function connectSocket(config: LdapDirectoryConfig, target: { host: string; port: number; secure: boolean }): Promise<Socket> {
  const socket = target.secure ? connectTls({ ...tlsConnectOptions(config, target.host), host: target.host, port: target.port }) : connectTcp({ host: target.host, port: target.port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('Connection timeout'));
    }, Math.min(config.timeoutMs, 10_000));
    socket.once(target.secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  return socket;
}
