/**
 * The progress line shown on stderr while the CLI follows a job: a bar, the percentage and, for
 * training, epoch, loss, validation F1 and the estimated time left. On a terminal the line is
 * redrawn in place; otherwise (a log file, CI) a new line is written only when the state, the
 * epoch or (for jobs without epochs) the message changes, so logs stay short.
 */
import type { JobMessage } from './api-messages.js';
import { shortState } from './api-messages.js';

const BAR_WIDTH = 24;

/** Seconds as `1h02m`, `3m05s` or `42s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const secs = whole % 60;
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m${String(secs).padStart(2, '0')}s`;
  return `${secs}s`;
}

/** The text of the progress line for `job`, without any terminal control characters. */
export function formatProgressLine(job: JobMessage): string {
  const fraction = Math.min(1, Math.max(0, job.progress));
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const progress = job.trainProgress;
  if (progress && progress.epoch > 0) {
    const parts = [
      `epoch ${progress.epoch}/${progress.epochs}`,
      `loss ${progress.loss.toFixed(4)}`,
      progress.validationF1Macro > 0 || progress.epoch > 1
        ? `val F1 ${progress.validationF1Macro.toFixed(3)}`
        : 'val F1 -',
      `ETA ${formatDuration(progress.etaSeconds)}`,
    ];
    return `${bar} ${percent} ${parts.join('  ')}`;
  }
  return `${bar} ${percent} ${shortState(job.state)}${job.message ? `: ${job.message}` : ''}`;
}

/** Draws a job's progress on a stream. */
export class JobProgressBar {
  private lastLine = '';
  private lastMilestone = '';
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream | NodeJS.WritableStream = process.stderr,
    private readonly interactive = (stream as NodeJS.WriteStream).isTTY === true,
  ) {}

  /** Shows `job`'s current progress. */
  update(job: JobMessage): void {
    const line = formatProgressLine(job);
    if (this.interactive) {
      if (line === this.lastLine) return;
      // Erase the whole line first: the new text may be shorter than the old.
      this.stream.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      // A training job's message changes every step; its epoch is the pace a log can take.
      const epoch = job.trainProgress?.epoch ?? 0;
      const milestone = `${job.state}|${epoch > 0 ? `epoch ${epoch}` : job.message}`;
      if (milestone === this.lastMilestone) return;
      this.lastMilestone = milestone;
      this.stream.write(`${line}\n`);
    }
    this.lastLine = line;
  }

  /** Ends the progress line so that later output starts on a line of its own. */
  finish(): void {
    if (this.interactive && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
