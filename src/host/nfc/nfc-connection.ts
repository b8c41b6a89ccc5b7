import type { Socket } from 'node:net';
import tls from 'node:tls';
import { AuthdLineSplitter, bannerReply, encodeAuthdReply, type AuthdReply } from '../../nfc/authd-line.js';
import { AuthdDialogue, type AuthdHost } from './authd-dialogue.js';
import { FeedDuplex } from './feed-duplex.js';
import { NfcSession, type NfcSessionContext } from './nfc-session.js';

// One TCP connection to the NFC port (vsphere-remote.md §3.1, §3.4, §4.1, §4.9):
//
//   plaintext 220 banner → TLS#1 (authd lines) → `200 Connect ha-nfc[ssl]` → splice:
//     nbd:    NFC in clear on the same socket
//     nbdssl: a new TLS handshake (TLS#2) on the same socket, NFC inside it
//
// The socket is read here and its bytes routed: into TLS#1 through a pipe (so TLS#1 can be
// abandoned mid-stream without a close_notify), then to the NFC session or into TLS#2. Between the
// PROXY line and the moment `200 Connect` has left, arriving bytes are held, so nothing the client
// sends after the splice reaches the wrong layer. A deadline covers everything up to the end of the
// classic handshake (a silent or dribbling client is dropped); after it, an idle timeout.

export interface NfcConnectionOptions {
  secureContext: tls.SecureContext;
  authd: AuthdHost;
  session: Omit<NfcSessionContext, 'grant' | 'nonce'>;
  handshakeTimeoutMs: number;
  idleTimeoutMs: number;
  log: (line: string) => void;
}

export class NfcConnection {
  private route: 'tls1' | 'hold' | 'nfc' | 'closed' = 'tls1';
  private readonly held: Buffer[] = [];
  private readonly feed1: FeedDuplex;
  private readonly tls1: tls.TLSSocket;
  private tls2: tls.TLSSocket | null = null;
  private readonly onData = (chunk: Buffer) => this.onSocketData(chunk);
  private closedOnce = false;
  private session: NfcSession | null = null;
  private readonly lines = new AuthdLineSplitter();
  private readonly dialogue: AuthdDialogue;
  private deadline: NodeJS.Timeout | null;
  private ending = false;
  private resolveClosed!: () => void;
  /** Settles once the socket is closed and the session has released its files. */
  readonly closed = new Promise<void>((resolve) => { this.resolveClosed = resolve; });
  private readonly peer: string;

  constructor(private readonly socket: Socket, private readonly options: NfcConnectionOptions) {
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.dialogue = new AuthdDialogue(options.authd);
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', (err) => this.end(`socket error: ${err.message}`));
    socket.on('close', () => void this.onClose());
    this.deadline = setTimeout(() => this.end(`no NFC session within ${options.handshakeTimeoutMs} ms`), options.handshakeTimeoutMs);
    socket.write(encodeAuthdReply(bannerReply()));
    this.feed1 = new FeedDuplex((chunk, done) => socket.write(chunk, done), () => {
      if (this.route === 'tls1') socket.resume();
    });
    this.tls1 = new tls.TLSSocket(this.feed1 as unknown as Socket, { isServer: true, secureContext: options.secureContext });
    this.tls1.on('data', (chunk: Buffer) => this.onAuthdBytes(chunk));
    this.tls1.on('error', (err) => this.end(`authd TLS: ${err.message}`));
  }

  /** Close now (the endpoint is closing, or the connection failed). */
  destroy(reason: string): void {
    this.end(reason);
  }

  private onSocketData(chunk: Buffer): void {
    switch (this.route) {
      case 'tls1':
        if (!this.feed1.feed(chunk)) this.socket.pause();
        return;
      case 'hold':
        this.held.push(chunk);
        this.socket.pause();
        return;
      case 'nfc':
        this.session!.push(chunk);
        return;
      case 'closed':
        return;
    }
  }

  // ---- authd -----------------------------------------------------------------------------------

  private onAuthdBytes(chunk: Buffer): void {
    let pos = 0;
    try {
      while (this.route === 'tls1' && pos < chunk.length) {
        const r = this.lines.push(chunk.subarray(pos));
        pos += r.used;
        if (r.text === null) break;
        const step = this.dialogue.receive(r.text);
        if (step.kind === 'continue') {
          if (step.reply) this.tls1.write(encodeAuthdReply(step.reply));
        } else if (step.kind === 'refuse') {
          this.route = 'closed';
          this.replyThenClose(step.reply, `authd refused PROXY: ${step.reason}`);
        } else {
          if (pos < chunk.length || this.lines.pending > 0) {
            this.end('authd: bytes after PROXY inside the authd TLS session');
            return;
          }
          // From here on, arriving bytes belong to NFC: hold them until `200 Connect` has left.
          this.route = 'hold';
          this.socket.pause();
          const { grant, ssl, nonce } = step;
          this.tls1.write(encodeAuthdReply(step.reply), () => {
            this.feed1.detach();
            if (this.route !== 'hold') return;
            this.options.log(`NFC: ${this.peer} connected (${ssl ? 'nbdssl' : 'nbd'}) for ${grant.userName} to ${grant.vm.value}`);
            this.splice(new NfcSession(this.transport(ssl), { ...this.options.session, grant, nonce }), ssl);
          });
        }
      }
    } catch (err) {
      this.end(`authd: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private replyThenClose(reply: AuthdReply, reason: string): void {
    this.tls1.write(encodeAuthdReply(reply), () => this.end(reason));
  }

  // ---- splice ----------------------------------------------------------------------------------

  private transport(ssl: boolean) {
    const self = this;
    return {
      get out() {
        return ssl ? self.tls2! : self.socket;
      },
      pauseInput: () => (ssl ? self.tls2!.pause() : self.socket.pause()),
      resumeInput: () => (ssl ? self.tls2!.resume() : self.socket.resume()),
      handshakeDone: () => {
        if (self.deadline) clearTimeout(self.deadline);
        self.deadline = null;
        (ssl ? self.tls2! : self.socket).setTimeout(self.options.idleTimeoutMs, () => self.end(`idle for ${self.options.idleTimeoutMs} ms`));
      },
      end: (reason: string | null) => (reason === null ? self.finish() : self.end(reason)),
    };
  }

  private splice(session: NfcSession, ssl: boolean): void {
    this.session = session;
    const held = this.held.splice(0);
    if (!ssl) {
      this.route = 'nfc';
      for (const chunk of held) session.push(chunk);
    } else {
      // nbdssl: a brand-new TLS handshake on the same TCP connection, the client again TLS client.
      // TLS#2 owns the socket (native TLS, as fast as any TLS server of ours): the bytes already
      // read go back into the socket's buffer, which a new TLSSocket consumes before reading more.
      this.socket.off('data', this.onData);
      for (const chunk of held.reverse()) this.socket.unshift(chunk);
      this.tls2 = new tls.TLSSocket(this.socket, { isServer: true, secureContext: this.options.secureContext });
      this.tls2.on('data', (chunk: Buffer) => session.push(chunk));
      this.tls2.on('error', (err) => this.end(`NFC TLS: ${err.message}`));
      this.tls2.on('end', () => this.finish());
      this.tls2.on('close', () => void this.onClose());
      return;
    }
    if (!this.ending) this.socket.resume();
  }

  // ---- ending ----------------------------------------------------------------------------------

  /** The client closed its session (classic 4 or end of its TLS): flush what is queued, then close. */
  private finish(): void {
    if (this.ending) return;
    this.ending = true;
    this.route = 'closed';
    this.clearDeadline();
    (this.tls2 ?? this.socket).end();
    setTimeout(() => this.destroySockets(), 2000).unref();
  }

  /** Close at once; `reason` is logged (it never holds a ticket or a password). */
  private end(reason: string): void {
    if (this.ending && this.socket.destroyed && (this.tls2?.destroyed ?? true)) return;
    if (!this.ending) this.options.log(`NFC: ${this.peer} closed: ${reason}`);
    this.ending = true;
    this.route = 'closed';
    this.clearDeadline();
    this.destroySockets();
  }

  private destroySockets(): void {
    this.tls2?.destroy();
    this.socket.destroy();
  }

  private clearDeadline(): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.deadline = null;
  }

  private async onClose(): Promise<void> {
    if (this.closedOnce) return;
    this.closedOnce = true;
    this.ending = true;
    this.route = 'closed';
    this.clearDeadline();
    this.tls1.destroy();
    this.tls2?.destroy();
    try {
      await this.session?.shutdown();
    } catch (err) {
      this.options.log(`NFC: ${this.peer}: closing its files failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.resolveClosed();
  }
}
