import { Client, NimbusApiError, type RequestSigner } from '../sdk/index.ts';
import { takeToken, UsageError } from './args.ts';
import { AUTH_HELP, authCommand } from './commands/auth.ts';
import { DLQ_HELP, dlqCommand } from './commands/dlq.ts';
import { GROUP_HELP, groupCommand } from './commands/group.ts';
import { MESSAGE_HELP, messageCommand } from './commands/message.ts';
import { PRODUCER_GROUP_HELP, producerGroupCommand } from './commands/producer-group.ts';
import { RECEIVE_HELP, receiveCommand } from './commands/receive.ts';
import { SCHEDULED_HELP, scheduledCommand } from './commands/scheduled.ts';
import { SEND_HELP, sendCommand } from './commands/send.ts';
import { START_HELP, startCommand } from './commands/start.ts';
import { TOPIC_HELP, topicCommand } from './commands/topic.ts';
import { TRANSACTION_HELP, transactionCommand } from './commands/transaction.ts';

const HELP = `Nimbus MQ command line

${START_HELP}

${TOPIC_HELP}

${GROUP_HELP}

${SEND_HELP}

${RECEIVE_HELP}

${DLQ_HELP}

${SCHEDULED_HELP}

${AUTH_HELP}

${PRODUCER_GROUP_HELP}

${TRANSACTION_HELP}

Every command but start takes --endpoint URL (env NIMBUS_ENDPOINT, default http://127.0.0.1:9800),
--token TOKEN (env NIMBUS_TOKEN; the access token of a broker started with --auth-file) and --json.`;

/** A client for a command; a token (for a broker with --auth-file) goes as a bearer token instead of a signature. */
const clientWith = (token: string | undefined) => (endpoint: string) =>
  token === undefined
    ? new Client({ endpoint, signer: lazySigner(checkedEndpoint(endpoint)) })
    : new Client({ endpoint: checkedEndpoint(endpoint), token });

/** A mistyped --endpoint is a usage error, not a network failure. */
function checkedEndpoint(endpoint: string): string {
  const url = URL.parse(endpoint);
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new UsageError(`--endpoint must be an http:// or https:// URL (got "${endpoint}")`);
  }
  return endpoint;
}

/**
 * SigV4 for AWS deployments (see src/signer). The signer and its AWS credential chain load
 * on the first request that may need them, so commands against a local broker stay fast.
 */
function lazySigner(endpoint: string): RequestSigner | undefined {
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(new URL(endpoint).hostname);
  if (loopback && !process.env.NIMBUS_AUTH) return undefined;
  let signer: Promise<RequestSigner | undefined> | undefined;
  return async (request) => {
    signer ??= import('../signer/aws-sigv4-signer.ts').then((module) => module.signerForEndpoint(endpoint));
    const sign = await signer;
    return sign ? sign(request) : request;
  };
}

const COMMAND_HELP: Record<string, string> = {
  start: START_HELP,
  topic: TOPIC_HELP,
  group: GROUP_HELP,
  message: MESSAGE_HELP,
  send: SEND_HELP,
  receive: RECEIVE_HELP,
  dlq: DLQ_HELP,
  scheduled: SCHEDULED_HELP,
  auth: AUTH_HELP,
  'producer-group': PRODUCER_GROUP_HELP,
  transaction: TRANSACTION_HELP,
};

/** `--help` or `-h` among a command's flags (not after `--`, where everything is positional). */
function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** Runs one CLI invocation; exit code 2 for usage errors, 1 for broker and network errors. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  // A command asked for help prints it and does nothing else: `start --help` must not start a broker.
  const commandHelp = command === undefined ? undefined : COMMAND_HELP[command];
  if (commandHelp !== undefined && asksForHelp(args)) {
    const also = command === 'start' || command === 'auth' ? '' : 'Also: --endpoint URL, --token TOKEN, --json.';
    console.log(`${commandHelp}\n\n${also}`.trimEnd());
    return 0;
  }
  try {
    // start and auth take no client token; every other command may.
    const { token, rest } =
      command === 'start' || command === 'auth' ? { token: undefined, rest: args } : takeToken(args);
    const clientFor = clientWith(token);
    switch (command) {
      case 'start':
        await startCommand(rest);
        return -1;
      case 'topic':
        await topicCommand(rest, clientFor);
        return 0;
      case 'group':
        await groupCommand(rest, clientFor);
        return 0;
      case 'send':
        await sendCommand(rest, clientFor);
        return 0;
      case 'message':
        await messageCommand(rest, clientFor);
        return 0;
      case 'receive':
        await receiveCommand(rest, clientFor);
        return 0;
      case 'dlq':
        await dlqCommand(rest, clientFor);
        return 0;
      case 'scheduled':
        await scheduledCommand(rest, clientFor);
        return 0;
      case 'auth':
        await authCommand(rest);
        return 0;
      case 'producer-group':
        await producerGroupCommand(rest, clientFor);
        return 0;
      case 'transaction':
        await transactionCommand(rest, clientFor);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(HELP);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    return reportFailure(error, argv.includes('--json'));
  }
}

/**
 * Prints a failure on stderr (stdout stays for results) and picks the exit code: 2 for
 * usage errors, 1 for everything else. With --json the error is one JSON object, so a
 * script can read its code.
 */
function reportFailure(error: unknown, json: boolean): number {
  const usage = error instanceof UsageError;
  const message = error instanceof Error ? error.message : String(error);
  if (json) {
    const details =
      error instanceof NimbusApiError
        ? { code: error.code, message, status: error.status, requestId: error.requestId }
        : { code: usage ? 'USAGE' : 'ERROR', message };
    process.stderr.write(`${JSON.stringify({ error: details })}\n`);
  } else if (usage) {
    console.error(`nimbus: ${message}\nRun "nimbus help" for usage.`);
  } else {
    console.error(`nimbus: ${error instanceof NimbusApiError ? `${error.code}: ` : ''}${message}`);
  }
  return usage ? 2 : 1;
}

if (import.meta.main) {
  const code = await main(process.argv.slice(2));
  // `start` keeps running until a signal closes the server.
  if (code >= 0) process.exitCode = code;
}
