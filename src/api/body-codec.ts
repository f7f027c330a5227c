import { Buffer } from 'node:buffer';
import { NimbusError } from '../core/errors.ts';
import type { BodyEncoding } from './types.ts';

const STRICT_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Turns a JSON body field into bytes. base64 is checked strictly (standard alphabet,
 * padded), because a lenient decoder would silently store different bytes than meant.
 */
export function decodeBody(body: string, encoding: BodyEncoding | undefined): Uint8Array {
  if (encoding !== 'base64') {
    // A lone surrogate would be stored as U+FFFD: different bytes than meant.
    if (!body.isWellFormed()) {
      throw new NimbusError(
        'INVALID_REQUEST',
        'body is not valid Unicode text; send such bytes with bodyEncoding base64.',
      );
    }
    return utf8.encode(body);
  }
  if (body.length % 4 !== 0 || !STRICT_BASE64.test(body)) {
    throw new NimbusError('INVALID_REQUEST', 'body is not valid base64 (standard alphabet, padded with =).');
  }
  const bytes = Buffer.from(body, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Turns bytes into a JSON body field: the text itself when it is valid UTF-8, else base64. */
export function encodeBody(bytes: Uint8Array): { body: string; bodyEncoding: BodyEncoding } {
  try {
    return { body: strictUtf8.decode(bytes), bodyEncoding: 'utf8' };
  } catch {
    return {
      body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      bodyEncoding: 'base64',
    };
  }
}
