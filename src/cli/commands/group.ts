import type { Client } from '../../sdk/index.ts';
import { intFlag, parseCommand, requirePositional, stringList, UsageError } from '../args.ts';
import { printResult, table } from '../output.ts';
import { groupStats, resetOffset } from './group-offsets.ts';

export const GROUP_HELP = `nimbus group create <name> --subscribe <topic>[=<tagExpression>] [--subscribe ...] [--broadcasting] [--orderly] [--max-attempts 16]
nimbus group list
nimbus group delete <name>
nimbus group stats <name>
nimbus group reset-offset <name> --topic T (--timestamp <time> | --offset <queueId>=<offset> ...) [--client-id C] [--yes]`;

export async function groupCommand(argv: string[], client: (endpoint: string) => Client): Promise<void> {
  const [action, ...rest] = argv;
  const { values, positionals, flags } = parseCommand(rest, {
    subscribe: { type: 'string', multiple: true },
    broadcasting: { type: 'boolean' },
    orderly: { type: 'boolean' },
    'max-attempts': { type: 'string' },
    topic: { type: 'string' },
    timestamp: { type: 'string' },
    offset: { type: 'string', multiple: true },
    'client-id': { type: 'string' },
    yes: { type: 'boolean' },
  });
  const api = client(flags.endpoint);
  switch (action) {
    case 'create': {
      const name = requirePositional(positionals, 0, 'group name');
      const subscriptions = stringList(values.subscribe).map(parseSubscription);
      if (subscriptions.length === 0) throw new UsageError('a group needs at least one --subscribe <topic>[=<tags>]');
      const group = await api.createGroup(name, {
        subscriptions,
        consumeMode: values.broadcasting ? 'BROADCASTING' : undefined,
        maxDeliveryAttempts: intFlag(values['max-attempts'], 'max-attempts'),
        orderly: values.orderly ? true : undefined,
      });
      return printResult(
        flags.json,
        group,
        () => `group ${group.name} ready (${group.consumeMode}${group.orderly ? ', orderly' : ''})`,
      );
    }
    case 'list': {
      const groups = await api.listGroups();
      const rows = groups.map((group) => ({
        ...group,
        subscriptions: group.subscriptions.map((sub) => `${sub.topic}=${sub.tagExpression}`).join(', '),
      }));
      return printResult(flags.json, groups, () =>
        table(rows, ['name', 'consumeMode', 'orderly', 'maxDeliveryAttempts', 'subscriptions']),
      );
    }
    case 'delete': {
      const name = requirePositional(positionals, 0, 'group name');
      await api.deleteGroup(name);
      return printResult(flags.json, { deleted: name }, () => `group ${name} deleted`);
    }
    case 'stats':
      return groupStats(api, requirePositional(positionals, 0, 'group name'), flags.json);
    case 'reset-offset':
      return resetOffset(api, requirePositional(positionals, 0, 'group name'), values, flags.json);
    default:
      throw new UsageError(`unknown group action "${action ?? ''}"\n${GROUP_HELP}`);
  }
}

/** `orders` or `orders=TagA || TagB`. */
function parseSubscription(text: string): { topic: string; tagExpression: string } {
  const eq = text.indexOf('=');
  if (eq === -1) return { topic: text, tagExpression: '*' };
  return { topic: text.slice(0, eq), tagExpression: text.slice(eq + 1) || '*' };
}
