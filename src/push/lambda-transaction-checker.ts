import { checkPayload, decisionOf } from '../adapters/webhook/check-payload.ts';
import type { TransactionCheck, TransactionChecker, TransactionDecision } from '../core/ports/transaction-checker.ts';
import type { ProducerGroup } from '../core/producer-group.ts';
import type { FunctionInvoker } from './function-invoker.ts';

/**
 * Checks transactions by invoking the producer group's Lambda function synchronously with
 * the same JSON a webhook gets; it returns `{ decision }`. A function error, a timeout or an
 * unreadable answer is UNKNOWN.
 * @example
 * const checker = new LambdaTransactionChecker(awsLambdaInvoker(), { timeoutMs: 5_000 });
 */
export class LambdaTransactionChecker implements TransactionChecker {
  private readonly invoker: FunctionInvoker;
  private readonly timeoutMs: number;

  constructor(invoker: FunctionInvoker, options: { timeoutMs?: number } = {}) {
    this.invoker = invoker;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  async check(group: ProducerGroup, check: TransactionCheck): Promise<TransactionDecision> {
    if (group.checker.type !== 'lambda') return 'UNKNOWN';
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.timeoutMs);
    });
    try {
      const outcome = await Promise.race([
        this.invoker.invoke(group.checker.functionArn, checkPayload(check)),
        timeout,
      ]);
      if (!outcome || outcome.functionError) return 'UNKNOWN';
      return decisionOf(JSON.parse(outcome.payload));
    } catch {
      return 'UNKNOWN';
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The broker's checker: each producer group's check goes to its kind of checker. Poll
 * groups are never called (their producers receive the checks).
 * @example
 * const checker = checkerByType({ webhook: new WebhookChecker(), lambda: new LambdaTransactionChecker(invoker) });
 */
export function checkerByType(checkers: {
  webhook: TransactionChecker;
  lambda: TransactionChecker;
}): TransactionChecker {
  return {
    check(group, check) {
      if (group.checker.type === 'webhook') return checkers.webhook.check(group, check);
      if (group.checker.type === 'lambda') return checkers.lambda.check(group, check);
      return Promise.resolve('UNKNOWN');
    },
  };
}
