/**
 * Writes jobs to a `JobStore` for the `JobManager`: a state change is saved at once, while
 * progress, which a training step may report many times a second, is saved at most once per
 * interval so the disk does not see a write per step.
 */
import { asError } from '../errors/domain-errors.js';
import type { Logger } from '../logging/logger.js';
import type { JobStore } from './job-store.js';
import type { JobRecord } from './job.js';

/** When a job was last saved, and the delayed save of its latest progress, if one is pending. */
interface SaveState {
  lastSaveMs: number;
  timer?: NodeJS.Timeout;
}

/** Saves job records now or, for progress, throttled per job; failed writes are logged. */
export class JobSaver {
  private readonly states = new Map<string, SaveState>();

  /**
   * @param progressIntervalMs Shortest time between two progress-only writes of the same job.
   * @param log The jobs logger; a failed write is an error event on it.
   */
  constructor(
    private readonly store: JobStore,
    private readonly progressIntervalMs: number,
    private readonly log: Logger,
  ) {}

  /** Saves `record` now, replacing a save of it that `saveSoon` has pending. */
  saveNow(record: JobRecord): void {
    const state = this.stateOf(record.id);
    if (state.timer !== undefined) {
      clearTimeout(state.timer);
      state.timer = undefined;
    }
    state.lastSaveMs = Date.now();
    const jobId = record.id;
    this.store.save(record).catch((caught: unknown) => {
      this.log.error('saving a job failed', { jobId, error: asError(caught) });
    });
  }

  /**
   * Saves `record` at most once per `progressIntervalMs`, always saving its latest state: the
   * record is read when the delayed write happens, not when this is called.
   */
  saveSoon(record: JobRecord): void {
    const state = this.stateOf(record.id);
    if (state.timer !== undefined) return;
    const waitMs = state.lastSaveMs + this.progressIntervalMs - Date.now();
    if (waitMs <= 0) {
      this.saveNow(record);
      return;
    }
    state.timer = setTimeout(() => {
      state.timer = undefined;
      this.saveNow(record);
    }, waitMs);
  }

  private stateOf(jobId: string): SaveState {
    let state = this.states.get(jobId);
    if (state === undefined) {
      state = { lastSaveMs: 0 };
      this.states.set(jobId, state);
    }
    return state;
  }
}
