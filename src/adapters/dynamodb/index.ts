/** The DynamoDB adapter: the storage port on DynamoDB, its schema, and capacity accounting. */
export type { CapacityCounter, CapacityKind, CapacitySnapshot, CapacityTotals } from './capacity.ts';
export type { ClaimCheckOptions } from './claim-check.ts';
export { createTableInput, ensureTables } from './create-tables.ts';
export { DynamoDbStore, openDynamoDbStore } from './dynamodb-store.ts';
export type { DueCursor, DueEntry, DuePage, DueWindow } from './held-due-pages.ts';
export type { DynamoDbStoreHooks, DynamoDbStoreOptions, WriteStep } from './options.ts';
export type { ProducerSecretOptions, SecretSealer } from './secret-sealer.ts';
export * from './table-definitions.ts';
