/**
 * Loads `proto/labelwise/v1/labelwise.proto`, the single source of the API, for servers and
 * clients alike. Messages are plain objects with camelCase fields and enums as their names.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Path of the API's proto file. */
export const PROTO_PATH = fileURLToPath(
  new URL('../../../proto/labelwise/v1/labelwise.proto', import.meta.url),
);

/** proto-loader options shared by the server, the CLI client and the tests. */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [],
};

/** The loaded package definition (reflection serves it as is). */
export const packageDefinition = protoLoader.loadSync(PROTO_PATH, PROTO_LOADER_OPTIONS);

interface LabelwiseV1 {
  Classifier: grpc.ServiceClientConstructor;
  Trainer: grpc.ServiceClientConstructor;
}

/** Client constructors and service definitions of `labelwise.v1`. */
export const labelwiseV1 = (
  grpc.loadPackageDefinition(packageDefinition) as unknown as { labelwise: { v1: LabelwiseV1 } }
).labelwise.v1;

/** Fully qualified service names, as health checks and reflection use them. */
export const CLASSIFIER_SERVICE = 'labelwise.v1.Classifier';
export const TRAINER_SERVICE = 'labelwise.v1.Trainer';
