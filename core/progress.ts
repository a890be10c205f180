/**
 * Progress on stderr: a bar with count, rate and ETA on a terminal, a line
 * every few seconds otherwise, nothing in quiet mode. Results go to stdout,
 * so progress never mixes with them.
 *
 * @module
 */

/** Options for {@link Progress}. */
export interface ProgressOptions {
  /** What is being counted, e.g. `"tiles"`. */
  unit?: string;
  /** Total expected, when known (enables the bar and ETA). */
  total?: number;
  /** Print nothing. */
  quiet?: boolean;
  /** Where to write; defaults to stderr. */
  write?: (text: string) => void;
  /** Force terminal (bar redrawn in place) or line mode. */
  tty?: boolean;
  /** Clock in ms, for tests. */
  now?: () => number;
  /** Minimum ms between line-mode reports (default 5000). */
  lineInterval?: number;
}

const encoder = new TextEncoder();

function stderrWrite(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

/** Formats seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${
      String(Math.floor((s % 3600) / 60)).padStart(2, "0")
    }m`;
  }
  if (s >= 60) {
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  }
  return `${s}s`;
}

/**
 * A progress reporter for one loop.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 * const lines: string[] = [];
 * const p = new Progress("tile", { total: 2, unit: "slides", tty: false, write: (t) => lines.push(t) });
 * p.tick(); p.tick(); p.done();
 * if (!lines.at(-1)?.includes("2/2 slides")) throw new Error("no final line");
 * ```
 */
export class Progress {
  readonly label: string;
  #count = 0;
  #total: number | undefined;
  readonly #unit: string;
  readonly #quiet: boolean;
  readonly #write: (text: string) => void;
  readonly #tty: boolean;
  readonly #now: () => number;
  readonly #start: number;
  readonly #lineInterval: number;
  #lastDraw = -Infinity;
  #note = "";
  #finished = false;

  /** Starts timing now. */
  constructor(label: string, options: ProgressOptions = {}) {
    this.label = label;
    this.#total = options.total;
    this.#unit = options.unit ?? "items";
    this.#quiet = options.quiet ?? false;
    this.#write = options.write ?? stderrWrite;
    this.#tty = options.tty ?? Deno.stderr.isTerminal();
    this.#now = options.now ?? (() => performance.now());
    this.#start = this.#now();
    this.#lineInterval = options.lineInterval ?? 5000;
  }

  /** Items counted so far. */
  get count(): number {
    return this.#count;
  }

  /** Sets or changes the expected total. */
  set total(total: number | undefined) {
    this.#total = total;
  }

  /** Counts `n` more items; `note` is shown after the figures. */
  tick(n = 1, note?: string): void {
    this.#count += n;
    if (note !== undefined) this.#note = note;
    this.#maybeDraw();
  }

  /** Shows a note (e.g. the current slide) without counting. */
  note(note: string): void {
    this.#note = note;
    this.#maybeDraw();
  }

  /** Prints a message on its own line, above the bar. */
  log(message: string): void {
    if (this.#quiet) return;
    this.#write(`${this.#tty ? "\r\x1b[2K" : ""}${message}\n`);
    if (this.#tty) {
      // Redraw the bar under the message.
      this.#lastDraw = -Infinity;
      this.#maybeDraw();
    }
  }

  /** The status line as it would be drawn now. */
  line(): string {
    const seconds = (this.#now() - this.#start) / 1000;
    const rate = seconds > 0 ? this.#count / seconds : 0;
    const parts = [this.label];
    if (this.#total !== undefined && this.#total > 0) {
      const frac = Math.min(1, this.#count / this.#total);
      if (this.#tty) {
        const width = 20, filled = Math.round(frac * width);
        parts.push(`[${"#".repeat(filled)}${"-".repeat(width - filled)}]`);
      }
      parts.push(`${this.#count}/${this.#total} ${this.#unit}`);
      parts.push(`${rate.toFixed(rate < 10 ? 2 : 0)} ${this.#unit}/s`);
      const left = rate > 0 ? (this.#total - this.#count) / rate : Infinity;
      parts.push(
        this.#count >= this.#total
          ? `in ${formatDuration(seconds)}`
          : `ETA ${formatDuration(left)}`,
      );
    } else {
      parts.push(`${this.#count} ${this.#unit}`);
      parts.push(`${rate.toFixed(rate < 10 ? 2 : 0)} ${this.#unit}/s`);
      parts.push(formatDuration(seconds));
    }
    if (this.#note) parts.push(this.#note);
    return parts.join("  ");
  }

  /** Final line; further ticks are ignored for drawing. */
  done(note?: string): void {
    if (this.#finished) return;
    if (note !== undefined) this.#note = note;
    this.#finished = true;
    if (this.#quiet) return;
    this.#write(`${this.#tty ? "\r\x1b[2K" : ""}${this.line()}\n`);
  }

  #maybeDraw(): void {
    if (this.#quiet || this.#finished) return;
    const t = this.#now();
    const interval = this.#tty ? 100 : this.#lineInterval;
    if (t - this.#lastDraw < interval) return;
    this.#lastDraw = t;
    this.#write(this.#tty ? `\r\x1b[2K${this.line()}` : `${this.line()}\n`);
  }
}
