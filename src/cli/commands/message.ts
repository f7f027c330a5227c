import type { MessagePage } from '../../api/types.ts';
import type { Client } from '../../sdk/index.ts';
import { intFlag, parseCommand, requirePositional, UsageError } from '../args.ts';
import { printResult, table } from '../output.ts';

export const MESSAGE_HELP = `nimbus message get <msgId>
nimbus message query <topic> (--key K | --start <time> [--end <time>]) [--limit 100] [--all]
nimbus message trace <msgId>
Times are epoch ms or ISO 8601 (2026-11-29T10:00:00Z). --all follows nextToken to the end.`;

export async function messageCommand(argv: string[], client: (endpoint: string) => Client): Promise<void> {
  const [action, ...rest] = argv;
  const { values, positionals, flags } = parseCommand(rest, {
    key: { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    limit: { type: 'string' },
    all: { type: 'boolean' },
    after: { type: 'string' },
  });
  const api = client(flags.endpoint);
  switch (action) {
    case 'get': {
      const message = await api.getMessage(requirePositional(positionals, 0, 'msgId'));
      return printResult(flags.json, message, () =>
        Object.entries(message)
          .map(([name, value]) => `${name}: ${typeof value === 'object' ? JSON.stringify(value) : value}`)
          .join('\n'),
      );
    }
    case 'query': {
      const topic = requirePositional(positionals, 0, 'topic');
      const key = values.key as string | undefined;
      const startTime = timeFlag(values.start, 'start');
      if (key === undefined && startTime === undefined) throw new UsageError('message query needs --key or --start');
      const options = { key, startTime, endTime: timeFlag(values.end, 'end'), limit: intFlag(values.limit, 'limit') };
      const messages: MessagePage['messages'] = [];
      let nextToken = values.after as string | undefined;
      do {
        const page = await api.queryMessages(topic, { ...options, nextToken });
        messages.push(...page.messages);
        nextToken = page.nextToken;
      } while (values.all === true && nextToken !== undefined);
      const result = nextToken === undefined ? { messages } : { messages, nextToken };
      return printResult(flags.json, result, () => {
        const rows = table(messages, ['msgId', 'queueId', 'queueOffset', 'tag', 'keys', 'storeTimestamp']);
        return nextToken === undefined ? rows : `${rows}\nmore: --after ${nextToken}`;
      });
    }
    case 'trace': {
      const trace = await api.traceMessage(requirePositional(positionals, 0, 'msgId'));
      const rows = trace.events.map((event) => ({ ...event, time: new Date(event.time).toISOString() }));
      return printResult(flags.json, trace, () =>
        table(rows, ['time', 'type', 'group', 'clientId', 'attempt', 'queueId', 'queueOffset', 'reason']),
      );
    }
    default:
      throw new UsageError(`unknown message action "${action ?? ''}"\n${MESSAGE_HELP}`);
  }
}

/** Epoch ms, or an ISO 8601 date. */
export function timeFlag(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const time = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(time) || time < 0) throw new UsageError(`--${name} must be epoch ms or an ISO 8601 date`);
  return time;
}
