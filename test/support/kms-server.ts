import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the KMS client sent it: its X-Amz-Target and JSON body. */
export interface KmsRequest {
  target: string;
  body: Record<string, unknown>;
}

/** A KMS endpoint for tests: Encrypt and Decrypt of the KMS JSON protocol, on port 0. */
export interface KmsServer {
  endpoint: string;
  /** The ARN of its one symmetric key. */
  keyArn: string;
  requests: KmsRequest[];
  close(): Promise<void>;
}

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';

/**
 * There is no KMS emulator, so this speaks the wire protocol (`X-Amz-Target:
 * TrentService.Encrypt/Decrypt`, `application/x-amz-json-1.1`) and encrypts for real:
 * AES-256-GCM under a random key, with the key ARN and the encryption context as
 * authenticated data. As in KMS, a ciphertext decrypts only with the context it was
 * encrypted with (else InvalidCiphertextException) and only under its own key (else
 * IncorrectKeyException).
 */
export async function startKmsServer(): Promise<KmsServer> {
  const material = randomBytes(32);
  const requests: KmsRequest[] = [];
  const server = createServer((request, response) => {
    void answer(request, response).catch((error: unknown) => {
      reply(response, 500, { __type: 'KMSInternalException', message: String(error) });
    });
  });

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    requests.push({ target, body });
    const keyId = String(body['KeyId'] ?? '');
    const context = (body['EncryptionContext'] ?? {}) as Record<string, string>;
    if (target === 'TrentService.Encrypt') {
      if (keyId !== KEY_ARN) return reply(response, 400, { __type: 'NotFoundException', message: 'No such key.' });
      const plaintext = Buffer.from(String(body['Plaintext']), 'base64');
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', material, iv).setAAD(authenticated(context));
      const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const blob = Buffer.concat([iv, cipher.getAuthTag(), sealed]);
      return reply(response, 200, {
        CiphertextBlob: blob.toString('base64'),
        KeyId: KEY_ARN,
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      });
    }
    if (target === 'TrentService.Decrypt') {
      if (keyId !== '' && keyId !== KEY_ARN) {
        return reply(response, 400, { __type: 'IncorrectKeyException', message: 'Not the key of this ciphertext.' });
      }
      const blob = Buffer.from(String(body['CiphertextBlob']), 'base64');
      try {
        const decipher = createDecipheriv('aes-256-gcm', material, blob.subarray(0, 12))
          .setAAD(authenticated(context))
          .setAuthTag(blob.subarray(12, 28));
        const plaintext = Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
        return reply(response, 200, {
          Plaintext: plaintext.toString('base64'),
          KeyId: KEY_ARN,
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        });
      } catch {
        return reply(response, 400, { __type: 'InvalidCiphertextException', message: '' });
      }
    }
    reply(response, 400, { __type: 'UnknownOperationException', message: target });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    keyArn: KEY_ARN,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The key and the context, in a fixed order (KMS ignores the order of context pairs). */
function authenticated(context: Record<string, string>): Buffer {
  return Buffer.from(JSON.stringify([KEY_ARN, Object.entries(context).sort()]));
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  response.end(JSON.stringify(body));
}
