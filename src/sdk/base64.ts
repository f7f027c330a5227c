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

const CHUNK = 0x8000;

export function bytesToBase64(bytes: Uint8Array): string {
  const native = (bytes as NativeBase64).toBase64;
  if (native) return native.call(bytes);
  let binary = '';
  // Chunks keep String.fromCharCode's argument list within engine limits.
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

export function base64ToBytes(text: string): Uint8Array {
  const native = (Uint8Array as NativeBase64Static).fromBase64;
  if (native) return native(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
