import type { StartServer } from '../support/server.ts';
import { describeAdminSuite } from './admin-suite.ts';
import { describeClusteringSuite } from './clustering-suite.ts';
import { describeDeadLetterSuite } from './dead-letter-suite.ts';
import { describeDelaySuite } from './delay-suite.ts';
import { describeDeliverySuite } from './delivery-suite.ts';
import { describeFifoSuite } from './fifo-suite.ts';
import { describeIntegritySuite } from './integrity-suite.ts';
import { describeLimitsSuite } from './limits-suite.ts';
import { describeLongPollSuite } from './long-poll-suite.ts';
import { describeMalformedSuite } from './malformed-suite.ts';
import { describeOffsetSuite } from './offset-suite.ts';
import { describePushConsumerSuite } from './push-consumer-suite.ts';
import { describeQuerySuite } from './query-suite.ts';
import { describeRetentionSuite } from './retention-suite.ts';
import { describeTransactionSuite } from './transaction-suite.ts';

/**
 * Every HTTP suite against one kind of server. Each store kind calls this once with its
 * own factory, so the HTTP contract is proven the same way on every store.
 */
export function describeHttpSuite(label: string, start: StartServer): void {
  describeAdminSuite(label, start);
  describeDeliverySuite(label, start);
  describeClusteringSuite(label, start);
  describeIntegritySuite(label, start);
  describeDelaySuite(label, start);
  describeFifoSuite(label, start);
  describeDeadLetterSuite(label, start);
  describeLimitsSuite(label, start);
  describeMalformedSuite(label, start);
  describeLongPollSuite(label, start);
  describePushConsumerSuite(label, start);
  describeRetentionSuite(label, start);
  describeTransactionSuite(label, start);
  describeQuerySuite(label, start);
  describeOffsetSuite(label, start);
}
