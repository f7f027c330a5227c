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

/**
 * Takes the global `--token T` / `--token=T` out of a command's arguments (before any `--`);
 * `NIMBUS_TOKEN` is the default. The token goes to the client as a bearer token.
 */
export function takeToken(argv: string[]): { token: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let token = process.env.NIMBUS_TOKEN || undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--token') {
      token = argv[++i];
      if (token === undefined || token === '') throw new UsageError('--token needs a value');
    } else if (arg.startsWith('--token=')) {
      token = arg.slice('--token='.length);
    } else {
      rest.push(arg);
    }
  }
  return { token, rest };
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
