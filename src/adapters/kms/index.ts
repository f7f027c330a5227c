/** The KMS adapter: sealing of stored secrets with a customer-managed key. */
export { KmsSecretSealer, type KmsSecretSealerOptions } from './kms-secret-sealer.ts';
