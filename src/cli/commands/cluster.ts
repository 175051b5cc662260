/**
 * `labelwise cluster`: starts a Cluster job and follows it.
 */
import { numberOption, requiredStringOption, stringOption } from '../command-line.js';
import { DATA_SET_OPTIONS, jobCommand, setIfDefined } from '../job-command.js';

/** The `cluster` subcommand. */
export const clusterCommand = jobCommand({
  name: 'cluster',
  method: 'Cluster',
  description: `
Starts a clustering job (PCA then k-means over a model's penultimate features, or over pixel
descriptors when no model is served), follows it, and prints the cluster sizes and the
assignment file written. Paths are relative to the server's data directory.`,
  options: {
    ...DATA_SET_OPTIONS,
    clusters: {
      type: 'string',
      valueName: 'N',
      description: 'number of clusters',
      defaultText: '5',
    },
    'pca-components': {
      type: 'string',
      valueName: 'N',
      description: 'PCA components',
      defaultText: '50',
    },
    output: {
      type: 'string',
      valueName: 'FILE',
      description: 'assignment file to write (.xlsx or .csv), required',
    },
    'model-version': {
      type: 'string',
      valueName: 'V',
      description: 'model giving the features',
      defaultText: 'the active one',
    },
    seed: { type: 'string', valueName: 'N', description: 'random seed' },
    split: {
      type: 'string',
      valueName: 'NAME',
      description: 'only rows of this split',
      defaultText: 'train',
    },
  },
  buildRequest(values) {
    const request: Record<string, unknown> = {
      manifest: requiredStringOption(values, 'manifest'),
      imageDir: requiredStringOption(values, 'image-dir'),
      output: requiredStringOption(values, 'output'),
    };
    setIfDefined(request, 'clusters', numberOption(values, 'clusters', { min: 1, integer: true }));
    setIfDefined(
      request,
      'pcaComponents',
      numberOption(values, 'pca-components', { min: 1, integer: true }),
    );
    setIfDefined(request, 'modelVersion', stringOption(values, 'model-version'));
    setIfDefined(request, 'seed', numberOption(values, 'seed', { min: 0, integer: true }));
    setIfDefined(request, 'split', stringOption(values, 'split'));
    return request;
  },
});
