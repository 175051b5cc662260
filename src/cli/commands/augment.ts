/**
 * `labelwise augment`: starts an Augment job and follows it.
 */
import { numberOption, requiredStringOption, stringOption } from '../command-line.js';
import { DATA_SET_OPTIONS, jobCommand, setIfDefined } from '../job-command.js';

/** The `augment` subcommand. */
export const augmentCommand = jobCommand({
  name: 'augment',
  method: 'Augment',
  description: `
Starts an augmentation job that fills small clusters (policy "clusters", using the assignment
file of a cluster job) or rare labels (policy "labels") with augmented copies, writes a new
manifest, follows the job and prints how many images it added. Paths are relative to the
server's data directory.`,
  options: {
    ...DATA_SET_OPTIONS,
    clusters: {
      type: 'string',
      valueName: 'FILE',
      description: 'assignment file of a cluster job (policy clusters)',
    },
    'output-manifest': { type: 'string', valueName: 'FILE', description: 'manifest to write' },
    'output-dir': { type: 'string', valueName: 'DIR', description: 'folder for the new images' },
    seed: { type: 'string', valueName: 'N', description: 'random seed' },
    policy: {
      type: 'string',
      valueName: 'NAME',
      description: 'clusters or labels',
      defaultText: 'clusters',
    },
    'target-ratio': {
      type: 'string',
      valueName: 'X',
      description: 'fill to this fraction of the largest group',
      defaultText: '1',
    },
  },
  buildRequest(values) {
    const request: Record<string, unknown> = {
      manifest: requiredStringOption(values, 'manifest'),
      imageDir: requiredStringOption(values, 'image-dir'),
    };
    setIfDefined(request, 'clusters', stringOption(values, 'clusters'));
    setIfDefined(request, 'outputManifest', stringOption(values, 'output-manifest'));
    setIfDefined(request, 'outputDir', stringOption(values, 'output-dir'));
    setIfDefined(request, 'seed', numberOption(values, 'seed', { min: 0, integer: true }));
    setIfDefined(request, 'policy', stringOption(values, 'policy'));
    setIfDefined(request, 'targetRatio', numberOption(values, 'target-ratio', { min: 0 }));
    return request;
  },
});
