/**
 * Persists jobs as one JSON file each, `<homeDir>/jobs/<id>.json`, written atomically, so a job's
 * history survives restarts and a crash never leaves half a file.
 *
 * TODO: the store assumes one server process per home directory; replicas sharing one would each
 * mark the others' queued and running jobs failed when they start.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { asError } from '../errors/domain-errors.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { isJobId } from './job-id.js';
import { JOB_KINDS, JOB_STATES, type JobRecord } from './job.js';

/** Message of a job that was running when the server stopped. */
export const STOPPED_WHILE_RUNNING_MESSAGE = 'the server stopped while this job was running';

/** Message of a job that was still queued when the server stopped. */
export const STOPPED_BEFORE_START_MESSAGE = 'the server stopped before this job started';

/** Reads and writes the job files of one home directory. */
export class JobStore {
  /** The folder holding one `<id>.json` per job. */
  readonly directory: string;
  private readonly log: Logger;
  /** The last write of each job; the next write of the same job waits for it. */
  private readonly writes = new Map<string, Promise<void>>();
  private directoryReady: Promise<unknown> | undefined;

  constructor(homeDir: string, log: Logger = createLogger('jobs')) {
    this.directory = path.join(homeDir, 'jobs');
    this.log = log;
  }

  /**
   * Reads every stored job, newest first. Jobs found queued or running were cut short by a
   * previous server that stopped; they are marked failed, with a message that says so, and saved.
   * Files that are not valid jobs are skipped with a warning, so one bad file cannot keep the
   * server from starting.
   */
  async load(nowMs: number = Date.now()): Promise<JobRecord[]> {
    await this.ensureDirectory();
    const names = await readdir(this.directory);
    const jobs: JobRecord[] = [];
    for (const name of names) {
      if (name.startsWith('.') && name.endsWith('.tmp')) {
        // Left behind by a write that a crash interrupted before its rename.
        await rm(path.join(this.directory, name), { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const job = await this.readJob(name);
      if (job === undefined) continue;
      if (job.state === 'queued' || job.state === 'running') {
        job.message =
          job.state === 'running' ? STOPPED_WHILE_RUNNING_MESSAGE : STOPPED_BEFORE_START_MESSAGE;
        job.state = 'failed';
        job.finishedAtMs = nowMs;
        this.log.info('job state changed', { jobId: job.id, kind: job.kind, state: job.state });
        await this.save(job);
      }
      jobs.push(job);
    }
    return jobs.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  /**
   * Writes one job. The content is taken when this is called; writes of the same job happen in
   * call order, so the file always ends up holding the latest call's content.
   */
  save(job: JobRecord): Promise<void> {
    const content = JSON.stringify(job, null, 2) + '\n';
    const file = path.join(this.directory, `${job.id}.json`);
    const previous = this.writes.get(job.id) ?? Promise.resolve();
    const write = previous
      .then(() => this.ensureDirectory())
      .then(() => writeFileAtomic(file, content));
    // The chain must not break on one failed write; the caller still sees the failure.
    const settled = write.catch(() => undefined);
    this.writes.set(job.id, settled);
    void settled.then(() => {
      if (this.writes.get(job.id) === settled) this.writes.delete(job.id);
    });
    return write;
  }

  /** Resolves once every write started so far has finished (successfully or not). */
  async flush(): Promise<void> {
    await Promise.all([...this.writes.values()]);
  }

  private async ensureDirectory(): Promise<void> {
    this.directoryReady ??= mkdir(this.directory, { recursive: true }).catch((caught: unknown) => {
      // Forget the failure so that the next write tries again.
      this.directoryReady = undefined;
      throw caught;
    });
    await this.directoryReady;
  }

  private async readJob(name: string): Promise<JobRecord | undefined> {
    const file = path.join(this.directory, name);
    try {
      const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
      const problem = describeInvalidJob(parsed, name.slice(0, -'.json'.length));
      if (problem === undefined) return parsed as JobRecord;
      this.log.warn('skipping an invalid job file', { file: name, problem });
    } catch (caught) {
      this.log.warn('skipping an unreadable job file', { file: name, error: asError(caught) });
    }
    return undefined;
  }
}

/** Why `value` is not a job stored under `expectedId`, or undefined when it is one. */
function describeInvalidJob(value: unknown, expectedId: string): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const job = value as Record<string, unknown>;
  if (job.id !== expectedId || !isJobId(expectedId)) return 'the id does not match the file name';
  if (!JOB_KINDS.includes(job.kind as never)) return 'unknown kind';
  if (!JOB_STATES.includes(job.state as never)) return 'unknown state';
  if (typeof job.progress !== 'number') return 'progress is not a number';
  if (typeof job.message !== 'string') return 'message is not a string';
  if (typeof job.createdAtMs !== 'number') return 'createdAtMs is not a number';
  return undefined;
}
