/**
 * The versioned model store: `<home>/models/<n>/` holds one version (TensorFlow.js `model.json`,
 * its weight files and `metadata.json`), versions are monotonic integers as in TensorFlow Serving,
 * and `<home>/models/ACTIVE` names the version being served.
 *
 * A version is written in a hidden temporary folder and renamed into place, so a folder with a
 * version's name is always complete. The pointer is replaced atomically. Several server replicas
 * may share one store; each follows the pointer (see `watchActiveVersion`).
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel, type LayersModel } from '@tensorflow/tfjs-layers';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { InvalidInputError, NotFoundError } from '../errors/domain-errors.js';
import { createLogger } from '../logging/logger.js';
import { fsyncDirectory, writeFileAtomic } from './atomic-write.js';
import { parseModelMetadata, type ModelMetadata } from './model-metadata.js';

const log = createLogger('model-store');

const ACTIVE_POINTER = 'ACTIVE';
const METADATA_FILE = 'metadata.json';
const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';
const TEMPORARY_PREFIX = '.tmp-';
/** Temporary folders older than this are left-overs of a crashed writer. */
const STALE_TEMPORARY_AGE_MS = 60 * 60 * 1000;

/** A model read from the store, not yet warmed up. */
export interface StoredModel {
  version: string;
  model: LayersModel | GraphModel;
  metadata: ModelMetadata;
}

interface ModelJson {
  modelTopology?: unknown;
  format?: string;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

function isVersionName(name: string): boolean {
  return /^[1-9][0-9]{0,15}$/.test(name);
}

function isErrnoCode(caught: unknown, ...codes: string[]): boolean {
  return caught instanceof Error && codes.includes((caught as NodeJS.ErrnoException).code ?? '');
}

function concatenateWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const buffers = Array.isArray(data) ? data : [data];
  return Buffer.concat(buffers.map((b) => new Uint8Array(b)));
}

/** Reads and writes model versions under one home directory. */
export class ModelStore {
  readonly modelsDir: string;

  constructor(readonly homeDir: string) {
    this.modelsDir = path.join(homeDir, 'models');
  }

  /** Creates the store's folder and removes temporary folders a crashed writer left behind. */
  async init(): Promise<void> {
    await mkdir(this.modelsDir, { recursive: true });
    for (const name of await readdir(this.modelsDir)) {
      if (!name.startsWith(TEMPORARY_PREFIX) && !name.startsWith(`.${ACTIVE_POINTER}.`)) continue;
      const full = path.join(this.modelsDir, name);
      const ageMs = Date.now() - (await stat(full)).mtimeMs;
      if (ageMs > STALE_TEMPORARY_AGE_MS) await rm(full, { recursive: true, force: true });
    }
  }

  /** Every complete version, oldest first. */
  async listVersions(): Promise<string[]> {
    const names = await readdir(this.modelsDir).catch(() => [] as string[]);
    return names.filter(isVersionName).sort((a, b) => Number(a) - Number(b));
  }

  /** The metadata of `version`; NotFoundError when there is no such version. */
  async readMetadata(version: string): Promise<ModelMetadata> {
    const file = path.join(this.versionDir(version), METADATA_FILE);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (caught) {
      if (isErrnoCode(caught, 'ENOENT', 'ENOTDIR')) {
        throw new NotFoundError(`model version "${version}" does not exist`);
      }
      throw caught;
    }
    return parseModelMetadata(JSON.parse(text), `model version ${version}`);
  }

  /** Loads `version`'s model and metadata into memory on the current backend. */
  async loadModel(version: string): Promise<StoredModel> {
    const metadata = await this.readMetadata(version);
    const dir = this.versionDir(version);
    const modelJson = JSON.parse(await readFile(path.join(dir, MODEL_FILE), 'utf8')) as ModelJson;
    const groups = modelJson.weightsManifest ?? [];
    const weightSpecs = groups.flatMap((group) => group.weights);
    const shards: Buffer[] = [];
    for (const group of groups) {
      for (const shard of group.paths) {
        // Shard names come from the file itself: keep them inside the version's folder.
        if (path.basename(shard) !== shard) {
          throw new InvalidInputError(
            `model version ${version}: weight path "${shard}" is invalid`,
          );
        }
        shards.push(await readFile(path.join(dir, shard)));
      }
    }
    const weightData = new Uint8Array(Buffer.concat(shards)).buffer;
    const handler = tf.io.fromMemory({
      modelTopology: modelJson.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs,
      weightData,
      format: modelJson.format,
    });
    const model =
      metadata.format === 'graph' ? await loadGraphModel(handler) : await loadLayersModel(handler);
    return { version, model, metadata };
  }

  /**
   * Saves a layers model as a new version and returns its name. Nothing is visible under the
   * version's name until every file is written and flushed.
   */
  async saveModel(model: LayersModel, metadata: ModelMetadata): Promise<string> {
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (saved) => {
        artifacts = saved;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(saved) };
      }),
    );
    if (artifacts === undefined) throw new Error('the model produced no artifacts to save');
    return this.saveArtifacts(artifacts, metadata);
  }

  /** Saves model artifacts (topology, weight specs and data) as a new version. */
  async saveArtifacts(artifacts: tf.io.ModelArtifacts, metadata: ModelMetadata): Promise<string> {
    await mkdir(this.modelsDir, { recursive: true });
    const temporary = path.join(
      this.modelsDir,
      `${TEMPORARY_PREFIX}${randomBytes(6).toString('hex')}`,
    );
    await mkdir(temporary);
    try {
      const modelJson: ModelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeSynced(
        path.join(temporary, WEIGHTS_FILE),
        concatenateWeightData(artifacts.weightData),
      );
      await writeSynced(path.join(temporary, MODEL_FILE), JSON.stringify(modelJson));
      await writeSynced(path.join(temporary, METADATA_FILE), JSON.stringify(metadata, null, 2));
      await fsyncDirectory(temporary);
      const version = await this.renameIntoNextVersion(temporary);
      log.info('model version saved', { modelVersion: version, jobId: metadata.jobId });
      return version;
    } catch (caught) {
      await rm(temporary, { recursive: true, force: true });
      throw caught;
    }
  }

  /** The version the pointer names, or undefined when none was ever activated. */
  async readActiveVersion(): Promise<string | undefined> {
    try {
      const version = (await readFile(path.join(this.modelsDir, ACTIVE_POINTER), 'utf8')).trim();
      return isVersionName(version) ? version : undefined;
    } catch (caught) {
      if (isErrnoCode(caught, 'ENOENT')) return undefined;
      throw caught;
    }
  }

  /** Points the store at `version` after checking that it exists and its metadata is sound. */
  async setActiveVersion(version: string): Promise<void> {
    if (!isVersionName(version)) {
      throw new InvalidInputError(`"${version}" is not a model version (a positive integer)`);
    }
    await this.readMetadata(version);
    await writeFileAtomic(path.join(this.modelsDir, ACTIVE_POINTER), version + '\n');
    log.info('active version pointer set', { modelVersion: version });
  }

  /**
   * Calls `onChange` whenever the active pointer may have changed: on file-system events, and
   * every `pollIntervalMs` as a fallback for shared volumes where events are not delivered.
   * Returns a function that stops watching.
   */
  watchActiveVersion(onChange: () => void, pollIntervalMs: number): () => void {
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(this.modelsDir, (_event, name) => {
        if (name === ACTIVE_POINTER) onChange();
      });
      watcher.on('error', () => watcher?.close());
    } catch (caught) {
      log.warn('file watching unavailable; polling only', { error: caught });
    }
    const timer = pollIntervalMs > 0 ? setInterval(onChange, pollIntervalMs) : undefined;
    timer?.unref();
    return () => {
      watcher?.close();
      if (timer !== undefined) clearInterval(timer);
    };
  }

  private versionDir(version: string): string {
    if (!isVersionName(version))
      throw new NotFoundError(`model version "${version}" does not exist`);
    return path.join(this.modelsDir, version);
  }

  private async renameIntoNextVersion(temporary: string): Promise<string> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const versions = await this.listVersions();
      const next = String(Number(versions.at(-1) ?? '0') + 1);
      try {
        await rename(temporary, path.join(this.modelsDir, next));
        await fsyncDirectory(this.modelsDir);
        return next;
      } catch (caught) {
        // Another writer took this number first: try the next one.
        if (!isErrnoCode(caught, 'EEXIST', 'ENOTEMPTY')) throw caught;
      }
    }
    throw new Error('could not allocate a model version number');
  }
}

async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  await writeFile(file, data, { flush: true });
}
