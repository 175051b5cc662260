/**
 * Option parsing and help text for the subcommands, on top of `node:util` `parseArgs`: each
 * command declares its options once and gets both the parser and its `--help` from them.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

/** One `--option` of a subcommand. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** One line for `--help`. */
  description: string;
  /** Name of the value in `--help`, e.g. `N` or `FILE`. */
  valueName?: string;
  /** Shown in `--help`; the parser leaves unset options undefined either way. */
  defaultText?: string;
}

/** Options of a subcommand by long name, without the leading dashes. */
export type OptionSpecs = Record<string, OptionSpec>;

/** What `--help` shows for a subcommand. */
export interface CommandHelp {
  /** The synopsis after `usage: `, e.g. `labelwise predict [options] <files...>`. */
  usage: string;
  /** A few sentences about what the command does. */
  description: string;
  options: OptionSpecs;
}

/** Parsed option values by long name. */
export type OptionValues = Record<string, string | boolean | undefined>;

/** The result of parsing a subcommand's arguments. */
export interface CommandLine {
  values: OptionValues;
  positionals: string[];
  /** `--help` or `-h` was given: print help and do nothing else. */
  help: boolean;
}

/** Parses `argv` against `options`; unknown options and missing values are UsageErrors. */
export function parseCommandLine(argv: readonly string[], options: OptionSpecs): CommandLine {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(options)) config[name] = { type: spec.type };
  try {
    const parsed = parseArgs({ args: [...argv], options: config, allowPositionals: true });
    const values = parsed.values as OptionValues;
    return { values, positionals: parsed.positionals, help: values.help === true };
  } catch (caught) {
    // parseArgs errors read well ("Unknown option '--x'") but carry a code we do not show.
    throw new UsageError(caught instanceof Error ? caught.message : String(caught));
  }
}

/** The `--help` text of a command. */
export function formatHelp(help: CommandHelp): string {
  const rows = Object.entries(help.options).map(([name, spec]) => {
    const flag = spec.type === 'string' ? `--${name} ${spec.valueName ?? 'VALUE'}` : `--${name}`;
    const fallback = spec.defaultText === undefined ? '' : ` (default ${spec.defaultText})`;
    return `  ${flag.padEnd(30)} ${spec.description}${fallback}`;
  });
  rows.push(`  ${'--help'.padEnd(30)} show this help`);
  return `usage: ${help.usage}\n\n${help.description.trim()}\n\noptions:\n${rows.join('\n')}\n`;
}

/** A string option, or undefined when not given. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A number option within `[min, max]`, integer when asked; undefined when not given. */
export function numberOption(
  values: OptionValues,
  name: string,
  limits: { min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const { min = -Infinity, max = Infinity, integer = false } = limits;
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    const lower = Number.isFinite(min) ? ` >= ${min}` : '';
    const upper = Number.isFinite(max) ? ` <= ${max}` : '';
    const range = `${lower}${upper}`;
    throw new UsageError(`--${name} must be a number${range}, got "${raw}"`);
  }
  if (integer && !Number.isInteger(value)) {
    throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  }
  return value;
}

/** A boolean option; false when not given. */
export function booleanOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** A string option that must be given. */
export function requiredStringOption(values: OptionValues, name: string): string {
  const value = stringOption(values, name);
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}
