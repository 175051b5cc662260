/**
 * Structured logging: one JSON object per line on stderr, each with a `component` field.
 *
 * The level comes from `LABELWISE_LOG_LEVEL` (debug, info, warn, error; default info).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function configuredLevel(): LogLevel {
  const level = process.env.LABELWISE_LOG_LEVEL;
  return level === 'debug' || level === 'warn' || level === 'error' ? level : 'info';
}

let minimumRank = LEVEL_RANK[configuredLevel()];

/** Fields attached to one event; ids of the request, job or model belong here. */
export type LogFields = Record<string, unknown>;

/** A logger bound to one component of the service. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger whose every event carries `fields` as well. */
  child(fields: LogFields): Logger;
}

/** Changes the minimum level at run time (tests silence the logs this way). */
export function setLogLevel(level: LogLevel): void {
  minimumRank = LEVEL_RANK[level];
}

function write(level: LogLevel, bound: LogFields, event: string, fields?: LogFields): void {
  if (LEVEL_RANK[level] < minimumRank) return;
  const line = { time: new Date().toISOString(), level, ...bound, event, ...fields };
  process.stderr.write(JSON.stringify(line, errorReplacer) + '\n');
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}

function bind(bound: LogFields): Logger {
  return {
    debug: (event, fields) => write('debug', bound, event, fields),
    info: (event, fields) => write('info', bound, event, fields),
    warn: (event, fields) => write('warn', bound, event, fields),
    error: (event, fields) => write('error', bound, event, fields),
    child: (fields) => bind({ ...bound, ...fields }),
  };
}

/** The logger of one component, e.g. `createLogger('model-store')`. */
export function createLogger(component: string): Logger {
  return bind({ component });
}
