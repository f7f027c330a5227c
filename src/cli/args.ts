import { parseArgs } from 'node:util';

/** Flags every command accepts. */
export interface GlobalFlags {
  endpoint: string;
  json: boolean;
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:9800';

export class UsageError extends Error {
  override name = 'UsageError';
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

/** Parses a command's arguments strictly: unknown flags are usage errors, not silently ignored. */
export function parseCommand(argv: string[], options: OptionSpec) {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, endpoint: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    const flags: GlobalFlags = {
      endpoint: (values.endpoint as string | undefined) ?? process.env.NIMBUS_ENDPOINT ?? DEFAULT_ENDPOINT,
      json: values.json === true,
    };
    return { values: values as Record<string, string | boolean | string[] | undefined>, positionals, flags };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function intFlag(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer`);
  return n;
}

export function stringList(value: unknown): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as string[]) : [String(value)];
}

export function requirePositional(positionals: string[], index: number, what: string): string {
  const value = positionals[index];
  if (value === undefined) throw new UsageError(`missing ${what}`);
  return value;
}
