import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest, RequestSigner } from '../sdk/index.ts';

/**
 * Signs the console's calls with AWS Signature Version 4 for an IAM-protected deployment,
 * with credentials the visitor typed in. The SDK's Node signer (src/signer) reads the AWS
 * credential chain, which a browser has not; this one takes the keys as given.
 * @example
 * const signer = sigV4Signer({ region: 'eu-west-1', accessKeyId, secretAccessKey, sessionToken });
 */
export function sigV4Signer(
  keys: { region: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  /** The signing time; tests fix it. */
  now: () => Date = () => new Date(),
): RequestSigner {
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: keys.accessKeyId,
      secretAccessKey: keys.secretAccessKey,
      sessionToken: keys.sessionToken || undefined,
    },
    region: keys.region,
    service: 'execute-api',
    sha256: Sha256,
    applyChecksum: false,
  });
  return async (request: HttpRequest) => {
    const url = new URL(request.url);
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const existing = query[name];
      query[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    const signed = await signer.sign(
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
      { signingDate: now() },
    );
    // The browser sets Host itself and refuses to let a page set it.
    const { host: _host, ...headers } = signed.headers;
    return { ...request, headers };
  };
}
