import type { Client, DeadLetterInfo, RedriveResult } from '../../sdk/index.ts';
import { intFlag, parseCommand, requirePositional, stringList, UsageError } from '../args.ts';
import { printResult, progress, table } from '../output.ts';

export const DLQ_HELP = `nimbus dlq list <group> [--limit 100] [--after TOKEN] [--all]
  One page of dead letters, oldest first; --all fetches every page (--limit letters each).
nimbus dlq redrive <group> [--msg-id ID]... [--limit N]
  Puts dead letters back into delivery: those named by --msg-id, the oldest N, or all of them
  (all: as many as the DLQ held when the command started, with progress).`;

/** What one redrive call handles at most (the API's limit). */
const REDRIVE_ROUND = 1000;

export async function dlqCommand(argv: string[], client: (endpoint: string) => Client): Promise<void> {
  const [action, ...rest] = argv;
  if (action !== 'list' && action !== 'redrive')
    throw new UsageError(`unknown dlq action "${action ?? ''}"\n${DLQ_HELP}`);
  const { values, positionals, flags } = parseCommand(rest, {
    limit: { type: 'string' },
    after: { type: 'string' },
    all: { type: 'boolean' },
    'msg-id': { type: 'string', multiple: true },
  });
  const group = requirePositional(positionals, 0, 'group');
  const api = client(flags.endpoint);
  const limit = intFlag(values.limit, 'limit');
  if (action === 'list') {
    if (values.all && values.after !== undefined) throw new UsageError('--all lists every page; drop --after');
    const page = values.all
      ? { deadLetters: await collect(api.iterateDeadLetters(group, { pageSize: limit })) }
      : await api.listDeadLetters(group, { limit, after: typeof values.after === 'string' ? values.after : undefined });
    return printResult(flags.json, page, () => {
      const rows = table(page.deadLetters as unknown as Record<string, unknown>[], [
        'msgId',
        'topic',
        'deliveryAttempts',
        'consumer',
        'reason',
      ]);
      return 'nextToken' in page && page.nextToken ? `${rows}\nmore follow: --after ${page.nextToken}` : rows;
    });
  }
  const msgIds = stringList(values['msg-id']);
  const result =
    msgIds.length > 0 || limit !== undefined
      ? await api.redriveDeadLetters(group, { msgIds: msgIds.length > 0 ? msgIds : undefined, limit })
      : await redriveAll(api, group);
  printResult(flags.json, result, () => `redriven ${result.redriven}, dropped as expired ${result.expired}`);
}

/**
 * Redrives the whole DLQ as it was when the command started: it counts the letters first,
 * then redrives round after round until that many are done or a round finds none. Letters
 * that die again meanwhile (a consumer still failing) are not chased forever.
 */
async function redriveAll(api: Client, group: string): Promise<RedriveResult> {
  let letters = 0;
  const counting = process.stderr.isTTY;
  for await (const _ of api.iterateDeadLetters(group, { pageSize: REDRIVE_ROUND })) {
    letters++;
    if (counting && letters % REDRIVE_ROUND === 0)
      process.stderr.write(`\rcounting dead letters of ${group}: ${letters}`);
  }
  if (counting && letters >= REDRIVE_ROUND) process.stderr.write('\n');
  const total = { redriven: 0, expired: 0 };
  const shown = progress(`redriving ${group}`, Math.max(1, letters));
  while (total.redriven + total.expired < letters) {
    const round = await api.redriveDeadLetters(group, {
      limit: Math.min(REDRIVE_ROUND, letters - total.redriven - total.expired),
    });
    const moved = round.redriven + round.expired;
    if (moved === 0) break;
    total.redriven += round.redriven;
    total.expired += round.expired;
    shown.tick(moved);
  }
  shown.done();
  return total;
}

async function collect(letters: AsyncIterable<DeadLetterInfo>): Promise<DeadLetterInfo[]> {
  const all: DeadLetterInfo[] = [];
  for await (const letter of letters) all.push(letter);
  return all;
}
