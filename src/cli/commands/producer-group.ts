import type { Client, PutProducerGroupRequest } from '../../sdk/index.ts';
import { intFlag, parseCommand, requirePositional, UsageError } from '../args.ts';
import { printResult, table } from '../output.ts';

export const PRODUCER_GROUP_HELP = `nimbus producer-group put <name> --checker poll|webhook|lambda [--url URL --secret-env VAR | --secret S]
    [--function NAME_OR_ARN] [--first-check-after 6000] [--check-interval 30000] [--max-checks 15]
  Registers a transactional producer group and who answers its check-backs. Prefer
  --secret-env (the secret's environment variable) to --secret, which shell history keeps.
nimbus producer-group get <name>
nimbus producer-group list
nimbus producer-group delete <name>`;

export async function producerGroupCommand(argv: string[], client: (endpoint: string) => Client): Promise<void> {
  const [action, ...rest] = argv;
  const { values, positionals, flags } = parseCommand(rest, {
    checker: { type: 'string' },
    url: { type: 'string' },
    secret: { type: 'string' },
    'secret-env': { type: 'string' },
    function: { type: 'string' },
    'first-check-after': { type: 'string' },
    'check-interval': { type: 'string' },
    'max-checks': { type: 'string' },
  });
  const api = client(flags.endpoint);
  switch (action) {
    case 'put': {
      const name = requirePositional(positionals, 0, 'producer group name');
      const group = await api.putProducerGroup(name, {
        checker: checkerFrom(values),
        firstCheckAfterMs: intFlag(values['first-check-after'], 'first-check-after'),
        checkIntervalMs: intFlag(values['check-interval'], 'check-interval'),
        maxChecks: intFlag(values['max-checks'], 'max-checks'),
      });
      return printResult(flags.json, group, () => `producer group ${group.name} ready (${group.checker.type} checker)`);
    }
    case 'get': {
      const group = await api.getProducerGroup(requirePositional(positionals, 0, 'producer group name'));
      return printResult(flags.json, group, () => table([row(group)], COLUMNS));
    }
    case 'list': {
      const groups = await api.listProducerGroups();
      return printResult(flags.json, groups, () => table(groups.map(row), COLUMNS));
    }
    case 'delete': {
      const name = requirePositional(positionals, 0, 'producer group name');
      await api.deleteProducerGroup(name);
      return printResult(flags.json, { deleted: name }, () => `producer group ${name} deleted`);
    }
    default:
      throw new UsageError(`unknown producer-group action "${action ?? ''}"\n${PRODUCER_GROUP_HELP}`);
  }
}

const COLUMNS = ['name', 'checker', 'firstCheckAfterMs', 'checkIntervalMs', 'maxChecks'];

function row(group: Awaited<ReturnType<Client['getProducerGroup']>>): Record<string, unknown> {
  const { checker } = group;
  const target = checker.type === 'webhook' ? checker.url : checker.type === 'lambda' ? checker.functionArn : '';
  return { ...group, checker: `${checker.type} ${target}`.trim() };
}

function checkerFrom(values: Record<string, unknown>): PutProducerGroupRequest['checker'] {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  switch (text('checker')) {
    case 'poll':
      return { type: 'poll' };
    case 'lambda': {
      const functionArn = text('function');
      if (!functionArn) throw new UsageError('a lambda checker needs --function NAME_OR_ARN');
      return { type: 'lambda', functionArn };
    }
    case 'webhook': {
      const url = text('url');
      const variable = text('secret-env');
      const secret = variable === undefined ? text('secret') : process.env[variable];
      if (!url) throw new UsageError('a webhook checker needs --url URL');
      if (!secret) throw new UsageError('a webhook checker needs --secret-env VAR (set) or --secret S');
      return { type: 'webhook', url, secret };
    }
    default:
      throw new UsageError('--checker must be poll, webhook or lambda');
  }
}
