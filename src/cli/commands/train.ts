/**
 * `labelwise train`: starts a Train job and follows it.
 */
import {
  booleanOption,
  numberOption,
  requiredStringOption,
  stringOption,
} from '../command-line.js';
import { DATA_SET_OPTIONS, jobCommand, setIfDefined } from '../job-command.js';

/** The `train` subcommand. */
export const trainCommand = jobCommand({
  name: 'train',
  method: 'Train',
  description: `
Starts a training job on the server and follows it with a progress bar on stderr (epoch, loss,
validation macro F1, time left), then prints the new model version and its validation figures.
Paths are relative to the server's data directory. Unset options keep the server's defaults.
Exits 1 when the job fails or is cancelled.`,
  options: {
    ...DATA_SET_OPTIONS,
    epochs: { type: 'string', valueName: 'N', description: 'epochs', defaultText: '20' },
    'batch-size': {
      type: 'string',
      valueName: 'N',
      description: 'images per step',
      defaultText: '32',
    },
    'learning-rate': {
      type: 'string',
      valueName: 'X',
      description: 'learning rate',
      defaultText: '0.001',
    },
    'input-size': {
      type: 'string',
      valueName: 'PX',
      description: 'side of the model input in pixels',
      defaultText: '64',
    },
    architecture: {
      type: 'string',
      valueName: 'NAME',
      description: 'small-cnn, seed-cnn or reference-cnn',
      defaultText: 'small-cnn',
    },
    loss: {
      type: 'string',
      valueName: 'NAME',
      description: 'weighted-bce, bce, focal or asl',
      defaultText: 'weighted-bce',
    },
    activate: { type: 'boolean', description: 'serve the new version as soon as it is saved' },
    'validation-fraction': {
      type: 'string',
      valueName: 'X',
      description: 'part of the train split held out',
      defaultText: '0.1',
    },
    seed: { type: 'string', valueName: 'N', description: 'random seed' },
    patience: {
      type: 'string',
      valueName: 'N',
      description: 'epochs without a better validation F1 before stopping',
      defaultText: '5',
    },
  },
  buildRequest(values) {
    const request: Record<string, unknown> = {
      manifest: requiredStringOption(values, 'manifest'),
      imageDir: requiredStringOption(values, 'image-dir'),
      activate: booleanOption(values, 'activate'),
    };
    setIfDefined(request, 'epochs', numberOption(values, 'epochs', { min: 1, integer: true }));
    setIfDefined(
      request,
      'batchSize',
      numberOption(values, 'batch-size', { min: 1, integer: true }),
    );
    setIfDefined(request, 'learningRate', numberOption(values, 'learning-rate', { min: 0 }));
    setIfDefined(
      request,
      'inputSize',
      numberOption(values, 'input-size', { min: 8, integer: true }),
    );
    setIfDefined(request, 'architecture', stringOption(values, 'architecture'));
    setIfDefined(request, 'loss', stringOption(values, 'loss'));
    setIfDefined(
      request,
      'validationFraction',
      numberOption(values, 'validation-fraction', { min: 0, max: 0.9 }),
    );
    setIfDefined(request, 'seed', numberOption(values, 'seed', { min: 0, integer: true }));
    setIfDefined(request, 'patience', numberOption(values, 'patience', { min: 0, integer: true }));
    return request;
  },
});
