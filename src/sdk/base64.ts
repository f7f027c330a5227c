/**
 * Base64 without node:buffer, so the SDK runs in browsers too. Uses the native
 * Uint8Array base64 methods where the runtime has them.
 */
interface NativeBase64 {
  toBase64?: () => string;
}
interface NativeBase64Static {
  fromBase64?: (text: string) => Uint8Array;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const CODES = Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0));
const PAD = '='.charCodeAt(0);
const ascii = new TextDecoder('latin1');

/**
 * Standard padded base64 of some bytes.
 * @example
 * bytesToBase64(new Uint8Array([0, 1, 2, 255])); // 'AAEC/w=='
 */
export function bytesToBase64(bytes: Uint8Array): string {
  const native = (bytes as NativeBase64).toBase64;
  if (native) return native.call(bytes);
  // Writes the ASCII codes into one buffer and decodes it once: far faster than string concatenation.
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out[o++] = CODES[n >> 18] as number;
    out[o++] = CODES[(n >> 12) & 63] as number;
    out[o++] = CODES[(n >> 6) & 63] as number;
    out[o++] = CODES[n & 63] as number;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = ((bytes[i] as number) << 16) | (rest === 2 ? (bytes[i + 1] as number) << 8 : 0);
    out[o++] = CODES[n >> 18] as number;
    out[o++] = CODES[(n >> 12) & 63] as number;
    out[o++] = rest === 2 ? (CODES[(n >> 6) & 63] as number) : PAD;
    out[o++] = PAD;
  }
  return ascii.decode(out);
}

/**
 * The bytes of standard base64 text.
 * @example
 * base64ToBytes('AAEC/w=='); // Uint8Array [0, 1, 2, 255]
 */
export function base64ToBytes(text: string): Uint8Array {
  const native = (Uint8Array as NativeBase64Static).fromBase64;
  if (native) return native(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
