/**
 * The result of evaluating predicted probabilities against 0/1 targets. Field for field it mirrors
 * the `EvaluateResult` and `LabelReport` messages of `proto/labelwise/v1/labelwise.proto` (less
 * the model version, which the caller knows), so the gRPC layer can copy it without arithmetic.
 */

/** Metrics of one label at its decision threshold. */
export interface LabelReport {
  label: string;
  /** Number of images whose target contains the label. */
  support: number;
  /** TP / (TP + FP); 0 when the label is never predicted. */
  precision: number;
  /** TP / (TP + FN); 0 when the label has no positives. */
  recall: number;
  /** 2 TP / (2 TP + FP + FN); 0 when the label is neither present nor predicted. */
  f1: number;
  /** A probability at or above this predicts the label. */
  threshold: number;
  /** Average precision as scikit-learn computes it; 0 when the label has no positives. */
  averagePrecision: number;
}

/** Aggregate metrics over all images and labels, plus one `LabelReport` per label. */
export interface EvaluationReport {
  /** F1 of the TP, FP and FN counts pooled over all labels. */
  f1Micro: number;
  /** Unweighted mean of the per-label F1 over all labels, including labels without positives. */
  f1Macro: number;
  /** Mean over images of each image's F1 between its true and predicted label sets. */
  f1Samples: number;
  precisionMicro: number;
  precisionMacro: number;
  recallMicro: number;
  recallMacro: number;
  /** Mean of `averagePrecision` over the labels that have at least one positive. */
  meanAveragePrecision: number;
  /** Binary cross-entropy of the probabilities, averaged over all images and labels. */
  bceLoss: number;
  /** Number of images evaluated. */
  images: number;
  /** One entry per label, in label order. */
  labels: LabelReport[];
}
