/**
 * Converts stored model metadata into the API's `Model` message.
 */
import type { ModelMetadata } from '../store/model-metadata.js';
import type { ModelMessage, TimestampMessage } from './api-messages.js';

/** A `google.protobuf.Timestamp` for epoch milliseconds. */
export function toTimestamp(epochMs: number): TimestampMessage {
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
