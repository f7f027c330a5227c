import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest, RequestSigner } from '../sdk/client.ts';

/** Static credentials or a provider of them, as the AWS SDK accepts. */
export type AwsCredentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

export interface AwsSigV4SignerOptions {
  /** Default: the region in an `execute-api` host name, else `AWS_REGION`. */
  region?: string;
  /** Default: the standard AWS credential chain (environment, profile, SSO, instance role). */
  credentials?: AwsCredentials;
  /** Default `execute-api`, the service of API Gateway's IAM authorization. */
  service?: string;
  /** The signing time; tests fix it. */
  now?: () => Date;
}

const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/**
 * Signs SDK requests with AWS Signature Version 4, for a Nimbus MQ deployment whose HTTP
 * API requires IAM auth. Kept out of the SDK so the SDK itself carries no AWS code.
 * @example
 * const client = new Client({ endpoint: apiUrl, signer: awsSigV4Signer() });
 */
export function awsSigV4Signer(options: AwsSigV4SignerOptions = {}): RequestSigner {
  const credentials = options.credentials ?? defaultProvider();
  const service = options.service ?? 'execute-api';
  const signers = new Map<string, SignatureV4>();
  const signerFor = (region: string) => {
    let signer = signers.get(region);
    if (!signer) {
      // No x-amz-content-sha256 header: API Gateway verifies the payload hash without it.
      signer = new SignatureV4({ credentials, region, service, sha256: Sha256, applyChecksum: false });
      signers.set(region, signer);
    }
    return signer;
  };

  return async (request: HttpRequest): Promise<HttpRequest> => {
    const url = new URL(request.url);
    const region = options.region ?? url.hostname.match(EXECUTE_API_HOST)?.[1] ?? process.env['AWS_REGION'];
    if (!region) {
      throw new Error('awsSigV4Signer needs a region: pass { region } or set AWS_REGION.');
    }
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const existing = query[name];
      query[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    const signed = await signerFor(region).sign(
      {
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port === '' ? undefined : Number(url.port),
        path: url.pathname,
        query,
        headers: { ...request.headers, host: url.host },
        body: request.body,
      },
      options.now ? { signingDate: options.now() } : undefined,
    );
    // fetch sets Host itself (to the same value that was signed).
    const { host: _host, ...headers } = signed.headers as Record<string, string>;
    return { ...request, headers };
  };
}

/**
 * The signer a client needs for an endpoint: SigV4 for API Gateway hosts
 * (`*.execute-api.<region>.amazonaws.com`) or whenever `NIMBUS_AUTH=aws-sigv4` (custom
 * domains); none for anything else, such as the embedded broker. `NIMBUS_AUTH=none` turns
 * signing off.
 * @example
 * const client = new Client({ endpoint, signer: signerForEndpoint(endpoint) });
 */
export function signerForEndpoint(
  endpoint: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): RequestSigner | undefined {
  const mode = env['NIMBUS_AUTH']?.toLowerCase();
  if (mode === 'none') return undefined;
  if (mode === 'aws-sigv4') return awsSigV4Signer();
  if (mode !== undefined && mode !== '') {
    throw new Error(`NIMBUS_AUTH must be aws-sigv4 or none (got ${env['NIMBUS_AUTH']}).`);
  }
  return EXECUTE_API_HOST.test(new URL(endpoint).hostname) ? awsSigV4Signer() : undefined;
}
