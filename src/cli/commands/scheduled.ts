import type { Client } from '../../sdk/index.ts';
import { intFlag, parseCommand, requirePositional, UsageError } from '../args.ts';
import { printResult, table } from '../output.ts';

export const SCHEDULED_HELP = `nimbus scheduled list <topic> [--limit 100] [--after TOKEN]
  One page of a DELAY topic's pending messages, earliest due first.
nimbus scheduled cancel <topic> <msgId>
  Cancels a pending message: it is never delivered (an error once it was).`;

export async function scheduledCommand(argv: string[], client: (endpoint: string) => Client): Promise<void> {
  const [action, ...rest] = argv;
  if (action !== 'list' && action !== 'cancel') {
    throw new UsageError(`unknown scheduled action "${action ?? ''}"\\n${SCHEDULED_HELP}`);
  }
  const { values, positionals, flags } = parseCommand(rest, { limit: { type: 'string' }, after: { type: 'string' } });
  const topic = requirePositional(positionals, 0, 'topic');
  const api = client(flags.endpoint);
  if (action === 'cancel') {
    const msgId = requirePositional(positionals, 1, 'msgId');
    await api.cancelScheduled(topic, msgId);
    return printResult(flags.json, { topic, msgId, cancelled: true }, () => `cancelled ${msgId} on ${topic}`);
  }
  const page = await api.listScheduled(topic, {
    limit: intFlag(values.limit, 'limit'),
    after: typeof values.after === 'string' ? values.after : undefined,
  });
  printResult(flags.json, page, () => {
    const rows = table(
      page.scheduled.map((entry) => ({ ...entry, deliverAt: new Date(entry.deliverAt).toISOString() })),
      ['msgId', 'deliverAt', 'tag', 'bodySize'],
    );
    return page.nextToken ? `${rows}\nmore follow: --after ${page.nextToken}` : rows;
  });
}
