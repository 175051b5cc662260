/**
 * Converts stored model metadata into the API's `Model` message.
 */
import type { ModelMetadata } from '../store/model-metadata.js';

/** The `labelwise.v1.Model` message as proto-loader expects it. */
export interface ModelMessage {
  version: string;
  active: boolean;
  labels: string[];
  inputSize: number;
  threshold: number;
  labelThresholds: Record<string, number>;
  metrics: Record<string, number>;
  architecture: string;
  createdAt: { seconds: number; nanos: number };
  jobId: string;
  parentVersion: string;
}

/** A `google.protobuf.Timestamp` for epoch milliseconds. */
export function toTimestamp(epochMs: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(epochMs / 1000), nanos: (epochMs % 1000) * 1_000_000 };
}

/** The Model message of `version`. */
export function toModelMessage(
  version: string,
  metadata: ModelMetadata,
  active: boolean,
): ModelMessage {
  return {
    version,
    active,
    labels: metadata.labels,
    inputSize: metadata.inputSize,
    threshold: metadata.threshold,
    labelThresholds: metadata.labelThresholds,
    metrics: metadata.metrics,
    architecture: metadata.architecture,
    createdAt: toTimestamp(Date.parse(metadata.createdAt) || 0),
    jobId: metadata.jobId,
    parentVersion: metadata.parentVersion,
  };
}
