/**
 * The CLI's connection to a running server: one channel for both services (so that a job and
 * its WatchJob reach the same replica behind a connection-level load balancer), the admin token
 * as call metadata, and promise-returning calls.
 */
import * as grpc from '@grpc/grpc-js';
import { labelwiseV1 } from '../grpc/proto-definition.js';
import type { OptionSpecs, OptionValues } from './command-line.js';
import { numberOption, stringOption } from './command-line.js';
import type { JobMessage } from './api-messages.js';

/** Where the server listens when `--address` is not given. */
export const DEFAULT_ADDRESS = 'localhost:50051';

/** Environment variable whose value is sent as `authorization: Bearer <token>`. */
export const ADMIN_TOKEN_ENV = 'LABELWISE_ADMIN_TOKEN';

const DEFAULT_DEADLINE_SECONDS = 120;

/** Largest message the CLI sends or accepts; Predict batches stay well below it. */
const MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

/** The options every client command accepts. */
export const CONNECTION_OPTIONS: OptionSpecs = {
  address: {
    type: 'string',
    valueName: 'HOST:PORT',
    description: 'server to call',
    defaultText: DEFAULT_ADDRESS,
  },
  'deadline-seconds': {
    type: 'string',
    valueName: 'S',
    description: 'give up on a call (not on following a job) after this long',
    defaultText: String(DEFAULT_DEADLINE_SECONDS),
  },
};

type Service = 'classifier' | 'trainer';

/** A connection to one labelwise server. */
export class LabelwiseClient {
  private readonly classifier: grpc.Client;
  private readonly trainer: grpc.Client;
  private readonly metadata = new grpc.Metadata();

  constructor(
    readonly address: string,
    private readonly deadlineMs: number,
    token: string | undefined,
  ) {
    const options: grpc.ChannelOptions = {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    };
    const credentials = grpc.credentials.createInsecure();
    this.classifier = new labelwiseV1.Classifier(address, credentials, options);
    // Sharing the first client's channel keeps every call of this connection on one HTTP/2
    // connection, hence on one server replica.
    this.trainer = new labelwiseV1.Trainer(address, credentials, {
      ...options,
      channelOverride: this.classifier.getChannel(),
    });
    if (token !== undefined && token !== '') this.metadata.set('authorization', `Bearer ${token}`);
  }

  /** Connects as the command line and environment say. */
  static fromOptions(values: OptionValues, env: NodeJS.ProcessEnv = process.env): LabelwiseClient {
    const deadlineSeconds =
      numberOption(values, 'deadline-seconds', { min: 0.001 }) ?? DEFAULT_DEADLINE_SECONDS;
    return new LabelwiseClient(
      stringOption(values, 'address') ?? DEFAULT_ADDRESS,
      deadlineSeconds * 1000,
      env[ADMIN_TOKEN_ENV],
    );
  }

  /** Calls a unary method; rejects with the grpc-js ServiceError on failure. */
  call<Response>(service: Service, method: string, request: object): Promise<Response> {
    const client = service === 'classifier' ? this.classifier : this.trainer;
    const fn = (client as unknown as Record<string, Function>)[method];
    if (typeof fn !== 'function') throw new Error(`labelwise.v1 has no method ${method}`);
    const options: grpc.CallOptions = { deadline: Date.now() + this.deadlineMs };
    return new Promise((resolve, reject) => {
      fn.call(client, request, this.metadata, options, (error: Error | null, response: Response) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  /**
   * Follows a job with WatchJob, calling `onUpdate` for each state, and resolves with the last
   * one. No deadline: training takes as long as it takes.
   */
  watchJob(id: string, onUpdate: (job: JobMessage) => void): Promise<JobMessage | undefined> {
    const stream = (
      this.trainer as unknown as {
        WatchJob(request: object, metadata: grpc.Metadata): grpc.ClientReadableStream<JobMessage>;
      }
    ).WatchJob({ id }, this.metadata);
    return new Promise((resolve, reject) => {
      let last: JobMessage | undefined;
      stream.on('data', (job: JobMessage) => {
        last = job;
        onUpdate(job);
      });
      stream.on('end', () => resolve(last));
      stream.on('error', reject);
    });
  }

  /** Closes the channel. */
  close(): void {
    this.trainer.close();
    this.classifier.close();
  }
}
