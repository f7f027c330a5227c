import { Client, type RequestSigner } from '../sdk/index.ts';
import { sigV4Signer } from './sigv4.ts';

/**
 * How the page reaches the broker. The embedded broker serves the console itself, so the
 * endpoint is the page's own origin and only a token may be needed; a console hosted apart
 * from an AWS deployment takes the API URL and the visitor's own IAM credentials.
 */
export interface Connection {
  endpoint: string;
  token?: string;
  aws?: { region: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

const STORAGE_KEY = 'nimbus-console-connection';

/**
 * The connection kept for this tab. sessionStorage, not localStorage: a token or key ends
 * with the tab and is never shared with other tabs or left on disk for the next visitor.
 */
export function loadConnection(): Connection {
  const saved = sessionStorage.getItem(STORAGE_KEY);
  if (saved !== null) {
    try {
      return JSON.parse(saved) as Connection;
    } catch {
      sessionStorage.removeItem(STORAGE_KEY);
    }
  }
  return { endpoint: location.origin };
}

export function saveConnection(connection: Connection): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(connection));
}

export function forgetConnection(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** The SDK client for a connection: a bearer token, SigV4 signing, or neither. */
export function clientFor(connection: Connection): Client {
  let signer: RequestSigner | undefined;
  if (connection.aws) signer = sigV4Signer(connection.aws);
  return new Client({ endpoint: connection.endpoint, token: connection.token || undefined, signer });
}
