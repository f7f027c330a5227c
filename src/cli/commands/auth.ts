import { randomBytes } from 'node:crypto';
import { ACTIONS, type Action, AuthFileSchema, type PrincipalEntry, tokenSha256 } from '../../local/access-policy.ts';
import { parseCommand, stringList, UsageError } from '../args.ts';

export const AUTH_HELP = `nimbus auth token --name NAME [--allow RESOURCE=ACTIONS]...
  Prints a new access token and the principal entry to add to the --auth-file of
  "nimbus start" (the file keeps only the token's SHA-256). RESOURCE is *, topic:NAME,
  group:NAME or producer-group:NAME (a trailing * makes a prefix); ACTIONS are PUB, SUB
  and ADMIN, comma-separated. Example: --allow 'topic:orders*=PUB' --allow group:billing=SUB`;

/** `nimbus auth token`: a fresh token and its principal entry; nothing is sent anywhere. */
export async function authCommand(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  if (action !== 'token') throw new UsageError(`unknown auth action "${action ?? ''}"\n${AUTH_HELP}`);
  const { values, positionals, flags } = parseCommand(rest, {
    name: { type: 'string' },
    allow: { type: 'string', multiple: true },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const name = values.name as string | undefined;
  if (name === undefined) throw new UsageError('--name is required: it names the principal in the log and in errors');
  const token = newToken();
  const principal: PrincipalEntry = {
    name,
    tokenSha256: tokenSha256(token),
    permissions: stringList(values.allow).map(parsePermission),
  };
  const checked = AuthFileSchema.safeParse({ principals: [principal] });
  if (!checked.success) throw new UsageError(checked.error.issues[0]?.message ?? 'invalid principal');
  if (flags.json) {
    console.log(JSON.stringify({ token, principal }));
    return;
  }
  console.log(`Token (shown once; give it to the client as --token, NIMBUS_TOKEN or Client({ token })):
${token}

Add this entry to "principals" in the auth file, then send the broker SIGHUP to load it:
${JSON.stringify(principal, null, 2)}`);
}

/** 32 random bytes: far beyond guessing, and URL- and header-safe. */
function newToken(): string {
  return `nmq_${randomBytes(32).toString('base64url')}`;
}

function parsePermission(text: string): PrincipalEntry['permissions'][number] {
  const at = text.lastIndexOf('=');
  if (at <= 0) throw new UsageError(`--allow takes RESOURCE=ACTIONS, e.g. topic:orders=PUB (got "${text}")`);
  const actions = text
    .slice(at + 1)
    .split(',')
    .map((action) => action.trim().toUpperCase());
  const unknown = actions.find((action) => !(ACTIONS as readonly string[]).includes(action));
  if (unknown !== undefined) throw new UsageError(`unknown action "${unknown}": use ${ACTIONS.join(', ')}`);
  return { resource: text.slice(0, at), actions: actions as Action[] };
}
