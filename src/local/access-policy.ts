import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/** PUB sends, SUB receives and settles on a group, ADMIN does everything else. */
export const ACTIONS = ['PUB', 'SUB', 'ADMIN'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * `*`, or a kind and a name; a trailing `*` makes the name a prefix (`topic:orders*`,
 * `group:*`). Names follow the topic and group name rule.
 */
const RESOURCE = /^(?:\*|(?:topic|group|producer-group):(?:[A-Za-z0-9_-]{1,64}|[A-Za-z0-9_-]{0,63}\*))$/;

const PermissionSchema = z.strictObject({
  resource: z.string().regex(RESOURCE, 'resource is *, topic:NAME, group:NAME or producer-group:NAME (NAME* a prefix)'),
  actions: z.array(z.enum(ACTIONS)).min(1),
});

const PrincipalSchema = z.strictObject({
  name: z.string().min(1).max(128),
  tokenSha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'tokenSha256 is the hex SHA-256 of the token'),
  permissions: z.array(PermissionSchema),
});

/** The auth file (`nimbus start --auth-file FILE`); strict, so a misspelt field is an error, not a silent grant or denial. */
export const AuthFileSchema = z.strictObject({ principals: z.array(PrincipalSchema) });
export type AuthFile = z.infer<typeof AuthFileSchema>;
export type PrincipalEntry = z.infer<typeof PrincipalSchema>;

/** A caller the auth file names. */
export interface Principal {
  name: string;
  /** True when a permission grants `action` on `resource` (a name, or a `kind:*` for all of a kind). */
  permits(action: Action, resource: string): boolean;
}

/** Who may do what: the parsed auth file. */
export interface AccessPolicy {
  /** The principal whose token this is, or undefined for an unknown token. */
  authenticate(token: string): Principal | undefined;
  readonly principalCount: number;
}

/** The hex SHA-256 of a token: what the auth file stores instead of the token. */
export function tokenSha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Builds the policy of a parsed auth file. Tokens are looked up by their hash, so the
 * lookup reveals nothing about tokens through its timing.
 * @example
 * const policy = accessPolicyFrom({ principals: [{ name: 'app', tokenSha256: tokenSha256('t'), permissions: [] }] });
 * policy.authenticate('t')?.name; // 'app'
 */
export function accessPolicyFrom(file: AuthFile): AccessPolicy {
  const byHash = new Map<string, Principal>();
  const names = new Set<string>();
  for (const entry of file.principals) {
    const hash = entry.tokenSha256.toLowerCase();
    if (byHash.has(hash)) throw new Error(`two principals share one token (tokenSha256 ${hash.slice(0, 12)}...)`);
    if (names.has(entry.name)) throw new Error(`principal "${entry.name}" is listed twice`);
    names.add(entry.name);
    byHash.set(hash, principalFrom(entry));
  }
  return {
    authenticate: (token) => byHash.get(tokenSha256(token)),
    principalCount: byHash.size,
  };
}

function principalFrom(entry: PrincipalEntry): Principal {
  const grants = entry.permissions.map((permission) => ({
    actions: new Set<Action>(permission.actions),
    covers: resourcePattern(permission.resource),
  }));
  return {
    name: entry.name,
    permits: (action, resource) => grants.some((grant) => grant.actions.has(action) && grant.covers(resource)),
  };
}

/**
 * A pattern covers a resource when it is `*`, equals it, or is a prefix pattern the
 * resource starts with. A requirement on all of a kind (`topic:*`) is covered only by
 * `*` or `topic:*` itself, since it starts with no longer prefix.
 */
function resourcePattern(pattern: string): (resource: string) => boolean {
  if (pattern === '*') return () => true;
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (resource) => resource.startsWith(prefix);
  }
  return (resource) => resource === pattern;
}

/**
 * Reads and checks an auth file; throws an Error naming the file and the first problems.
 * @example
 * const policy = await loadAccessPolicy('./nimbus-auth.json');
 */
export async function loadAccessPolicy(path: string): Promise<AccessPolicy> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`auth file ${path}: ${(error as Error).message}`);
  }
  const parsed = AuthFileSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`)
      .join('; ');
    throw new Error(`auth file ${path} is invalid: ${problems}`);
  }
  try {
    return accessPolicyFrom(parsed.data);
  } catch (error) {
    throw new Error(`auth file ${path} is invalid: ${(error as Error).message}`);
  }
}
