import { createWriteStream, type WriteStream } from 'node:fs';
import type { VixDiskLibGenericLogFunc } from './types.js';

// The three sinks InitEx takes (log, warn, panic). A null sink gets a default that honours the
// configured log level: vixDiskLib.transport.LogLevel 0 panic, 1 error, 2 warning, 3 audit
// (default), 4 info, 5 verbose, 6 trivia. Lines may go to log.fileName as well.

export const LOG_PANIC = 0;
export const LOG_ERROR = 1;
export const LOG_WARNING = 2;
export const LOG_AUDIT = 3;
export const LOG_INFO = 4;
export const LOG_VERBOSE = 5;
export const LOG_TRIVIA = 6;

export class VixLogger {
  private stream: WriteStream | null = null;

  constructor(
    private readonly logSink: VixDiskLibGenericLogFunc | null,
    private readonly warnSink: VixDiskLibGenericLogFunc | null,
    private readonly panicSink: VixDiskLibGenericLogFunc | null,
    readonly level: number = LOG_AUDIT,
    private fileName: string | null = null,
  ) {}

  /** A line at `level`: dropped above the configured level, else to the log sink. */
  log(level: number, message: string): void {
    if (level > this.level) return;
    const line = `VixDiskLib: ${message}`;
    this.toFile(line);
    if (this.logSink) this.call(this.logSink, line);
    else if (level <= LOG_WARNING) process.stderr.write(`${line}\n`);
  }

  warn(message: string): void {
    const line = `VixDiskLib: ${message}`;
    this.toFile(line);
    if (this.warnSink) this.call(this.warnSink, line);
    else if (this.level >= LOG_WARNING) process.stderr.write(`${line}\n`);
  }

  /** A panic ends the operation in progress (the caller throws); it never ends the process. */
  panic(message: string): void {
    const line = `VixDiskLib: PANIC: ${message}`;
    this.toFile(line);
    if (this.panicSink) this.call(this.panicSink, line);
    else process.stderr.write(`${line}\n`);
  }

  private call(sink: VixDiskLibGenericLogFunc, line: string): void {
    try {
      sink(line);
    } catch {
      // A throwing callback must not break the library's own error handling.
    }
  }

  private toFile(line: string): void {
    if (!this.fileName) return;
    if (!this.stream) {
      this.stream = createWriteStream(this.fileName, { flags: 'a' });
      // Logging must never fail an operation: a log file that cannot be written is dropped.
      this.stream.on("error", () => { this.stream = null; this.fileName = null; });
    }
    this.stream.write(`${new Date().toISOString()} ${line}\n`);
  }

  close(): void {
    this.stream?.end();
    this.stream = null;
  }
}
