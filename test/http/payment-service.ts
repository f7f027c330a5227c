import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DatabaseSync } from 'node:sqlite';
import {
  type Client,
  type TransactionCheck,
  type TransactionDecision,
  TransactionProducer,
  webhookCheckHandler,
} from '../../src/sdk/index.ts';

/** One transfer: `amount` from `from` to `to`. */
export interface Transfer {
  id: string;
  from: string;
  amount: number;
}

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/**
 * The payment service of the transfer scenario: debits an account in its own database
 * (SQLite in memory) and publishes "transfer done" as a transactional message. Its checker
 * answers from that database: a recorded transfer commits, a missing one rolls back.
 */
export class PaymentService {
  readonly db = new DatabaseSync(':memory:');
  readonly producer: TransactionProducer;

  constructor(client: Client, producerGroup: string) {
    this.producer = new TransactionProducer(client, { producerGroup });
    this.db.exec('CREATE TABLE accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0))');
    this.db.exec('CREATE TABLE transfers (id TEXT PRIMARY KEY, amount INTEGER NOT NULL)');
  }

  openAccount(id: string, balance: number): void {
    this.db.prepare('INSERT INTO accounts (id, balance) VALUES (?, ?)').run(id, balance);
  }

  balance(id: string): number {
    return Number(
      (this.db.prepare('SELECT balance FROM accounts WHERE id = ?').get(id) as { balance: number }).balance,
    );
  }

  /** The local transaction: debit and record the transfer atomically, or neither (insufficient funds throws). */
  debit(transfer: Transfer): void {
    this.db.exec('BEGIN');
    try {
      this.db.prepare('UPDATE accounts SET balance = balance - ? WHERE id = ?').run(transfer.amount, transfer.from);
      this.db.prepare('INSERT INTO transfers (id, amount) VALUES (?, ?)').run(transfer.id, transfer.amount);
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** The check-back: the local database knows whether the transfer happened. */
  decide(check: TransactionCheck): TransactionDecision {
    const id = check.keys[0] ?? '';
    return this.db.prepare('SELECT 1 FROM transfers WHERE id = ?').get(id) ? 'COMMIT' : 'ROLLBACK';
  }

  /** The "transfer done" message of a transfer. */
  static message(transfer: Transfer) {
    return { body: JSON.stringify(transfer), keys: [transfer.id], tag: 'transfer-done' };
  }
}

/** What the webhook saw of one check. */
export interface SeenCheck {
  transactionId: string;
  checkAttempt: number;
  decision: TransactionDecision;
}

/**
 * A real webhook checker on port 0: verifies the signature with the SDK's handler, then
 * answers with `behaviour` (which may also stall, to make the broker time out).
 */
export class WebhookServer {
  readonly seen: SeenCheck[] = [];
  readonly refused: number[] = [];
  behaviour: (check: TransactionCheck) => Promise<TransactionDecision> | TransactionDecision = () => 'UNKNOWN';
  private readonly server: Server;

  constructor() {
    const handle = webhookCheckHandler({
      secret: WEBHOOK_SECRET,
      check: async (check) => {
        const decision = await this.behaviour(check);
        this.seen.push({ transactionId: check.transactionId, checkAttempt: check.checkAttempt, decision });
        return decision;
      },
    });
    this.server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const signature = request.headers['x-nimbus-signature'];
      const reply = await handle(
        Buffer.concat(chunks).toString('utf8'),
        typeof signature === 'string' ? signature : undefined,
      );
      if (reply.status !== 200) this.refused.push(reply.status);
      if (!response.destroyed) response.writeHead(reply.status, reply.headers).end(reply.body);
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/check`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
