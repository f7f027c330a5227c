import type { Client } from '../../sdk/index.ts';
import { intFlag, parseCommand, requirePositional, stringList, UsageError } from '../args.ts';
import { printResult, table } from '../output.ts';

export const DLQ_HELP = `nimbus dlq list <group> [--limit 100]
nimbus dlq redrive <group> [--msg-id ID]...   (all dead letters unless --msg-id names some)`;

export async function dlqCommand(argv: string[], client: (endpoint: string) => Client): Promise<void> {
  const [action, ...rest] = argv;
  if (action !== 'list' && action !== 'redrive')
    throw new UsageError(`unknown dlq action "${action ?? ''}"\n${DLQ_HELP}`);
  const { values, positionals, flags } = parseCommand(rest, {
    limit: { type: 'string' },
    'msg-id': { type: 'string', multiple: true },
  });
  const group = requirePositional(positionals, 0, 'group');
  const api = client(flags.endpoint);
  if (action === 'list') {
    const letters = await api.listDeadLetters(group, { limit: intFlag(values.limit, 'limit') });
    return printResult(flags.json, letters, () =>
      table(letters as unknown as Record<string, unknown>[], [
        'msgId',
        'topic',
        'deliveryAttempts',
        'consumer',
        'reason',
      ]),
    );
  }
  const msgIds = stringList(values['msg-id']);
  const result = await api.redriveDeadLetters(group, {
    msgIds: msgIds.length > 0 ? msgIds : undefined,
    limit: intFlag(values.limit, 'limit'),
  });
  printResult(flags.json, result, () => `redriven ${result.redriven}, dropped as expired ${result.expired}`);
}
