/**
 * Which model versions are in memory, and which one is active. Follows the store's active
 * pointer: a new version is loaded and warmed up before it replaces the old one, the old one
 * finishes its in-flight batches and is then disposed, and a version that fails to load or warm up
 * never replaces a working one.
 */
import { PreconditionError } from '../errors/domain-errors.js';
import { createLogger } from '../logging/logger.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import type { ModelStore } from '../store/model-store.js';
import type { InferenceWorker } from './inference-worker.js';
import { ServedModel } from './served-model.js';

const log = createLogger('model-registry');

/** Non-active versions kept in memory for callers that ask for them by name. */
const MAX_INACTIVE_LOADED = 2;

/** Keeps the active model warm and swaps it without dropping a request. */
export class ModelRegistry {
  private active: ServedModel | undefined;
  /** Loaded non-active versions, least recently used first. */
  private readonly inactive = new Map<string, ServedModel>();
  private readonly loading = new Map<string, Promise<ServedModel>>();
  /** Serialises swaps so that pointer changes apply in order. */
  private swapChain: Promise<void> = Promise.resolve();
  /** The last pointer value that failed to load, so polling does not retry it forever. */
  private failedVersion: string | undefined;
  private stopWatching: (() => void) | undefined;
  private readonly readyListeners = new Set<(ready: boolean) => void>();

  constructor(
    private readonly store: ModelStore,
    private readonly inference: InferenceWorker,
    private readonly metrics: ServiceMetrics,
  ) {}

  /** The active version's name, or undefined before any model is loaded. */
  get activeVersion(): string | undefined {
    return this.active?.version;
  }

  /** Calls `listener` with true once a model serves, and false if none does anymore. */
  onReadyChange(listener: (ready: boolean) => void): void {
    this.readyListeners.add(listener);
  }

  /** Loads the version the store points at, then follows the pointer until `close`. */
  async start(pollIntervalMs: number): Promise<void> {
    await this.syncWithStore();
    this.stopWatching = this.store.watchActiveVersion(() => {
      void this.syncWithStore();
    }, pollIntervalMs);
  }

  /**
   * Takes a reference to `version` (the active one when empty), loading it if needed.
   * The caller must `release()` it. Throws PreconditionError when no model is active and
   * NotFoundError for an unknown version.
   */
  async acquire(version = ''): Promise<ServedModel> {
    const active = this.active;
    if (version === '' || version === active?.version) {
      if (active === undefined) {
        throw new PreconditionError('no model is active yet; train or activate one first');
      }
      return active.acquire();
    }
    const loaded = this.inactive.get(version);
    if (loaded !== undefined) {
      this.inactive.delete(version);
      this.inactive.set(version, loaded);
      return loaded.acquire();
    }
    const model = await this.load(version);
    // The model may have become active, or been loaded by another caller, while this one waited.
    if (this.active?.version === version) return this.active.acquire();
    const cached = this.inactive.get(version);
    if (cached !== undefined && cached !== model) {
      model.retire();
      return cached.acquire();
    }
    this.keepInactive(model);
    return model.acquire();
  }

  /**
   * Loads and warms `version`, points the store at it, and serves it. A version that cannot
   * serve is refused before the pointer moves, so no replica tries it.
   */
  activate(version: string): Promise<void> {
    return this.serialized(async () => {
      await this.store.readMetadata(version);
      await this.swapNow(version, () => this.store.setActiveVersion(version));
    });
  }

  /** Stops following the store and disposes every loaded model once its callers are done. */
  async close(): Promise<void> {
    this.stopWatching?.();
    await this.swapChain;
    this.active?.retire();
    this.active = undefined;
    for (const model of this.inactive.values()) model.retire();
    this.inactive.clear();
  }

  /**
   * Runs `change` after every change queued before it. Reading the pointer and swapping happen in
   * one such step, so a slow poll cannot swap back to a pointer value that has since moved on.
   */
  private serialized(change: () => Promise<void>): Promise<void> {
    const run = this.swapChain.then(change);
    this.swapChain = run.catch(() => undefined);
    return run;
  }

  private syncWithStore(): Promise<void> {
    return this.serialized(async () => {
      let version: string | undefined;
      try {
        version = await this.store.readActiveVersion();
      } catch (caught) {
        log.warn('could not read the active version pointer', { error: caught });
        return;
      }
      if (version === undefined || version === this.active?.version) return;
      if (version === this.failedVersion) return;
      await this.swapNow(version).catch(() => undefined);
    });
  }

  /** Loads `version` if needed, runs `beforeSwap` (e.g. writing the pointer), then serves it. */
  private async swapNow(version: string, beforeSwap?: () => Promise<void>): Promise<void> {
    if (this.active?.version === version) {
      await beforeSwap?.();
      return;
    }
    let next: ServedModel;
    try {
      next = this.inactive.get(version) ?? (await this.load(version));
    } catch (caught) {
      this.failedVersion = version;
      this.metrics.modelSwaps.inc({ outcome: 'failed' });
      log.warn('model version failed to load; keeping the current one', {
        modelVersion: version,
        keptVersion: this.active?.version,
        error: caught,
      });
      throw caught;
    }
    try {
      await beforeSwap?.();
    } catch (caught) {
      this.keepInactive(next);
      throw caught;
    }
    this.inactive.delete(version);
    const previous = this.active;
    this.active = next;
    this.failedVersion = undefined;
    // In-flight callers hold their own references, so the old model lives until they finish.
    previous?.retire();
    this.metrics.setActiveModel(version);
    this.metrics.modelSwaps.inc({ outcome: 'ok' });
    log.info('active model swapped', { modelVersion: version, previousVersion: previous?.version });
    if (previous === undefined) for (const listener of this.readyListeners) listener(true);
  }

  private load(version: string): Promise<ServedModel> {
    const pending = this.loading.get(version);
    if (pending !== undefined) return pending;
    const promise = this.loadAndWarmUp(version).finally(() => this.loading.delete(version));
    this.loading.set(version, promise);
    return promise;
  }

  private async loadAndWarmUp(version: string): Promise<ServedModel> {
    const startedAtMs = Date.now();
    const metadata = await this.store.readMetadata(version);
    const model = await ServedModel.load(version, metadata, this.inference);
    this.metrics.modelLoadDuration.observe((Date.now() - startedAtMs) / 1000);
    log.info('model version loaded', { modelVersion: version, loadMs: Date.now() - startedAtMs });
    return model;
  }

  private keepInactive(model: ServedModel): void {
    this.inactive.set(model.version, model);
    while (this.inactive.size > MAX_INACTIVE_LOADED) {
      const [oldestVersion, oldest] = this.inactive.entries().next().value as [string, ServedModel];
      this.inactive.delete(oldestVersion);
      oldest.retire();
    }
  }
}
