import type { StoredMessage } from '../../core/model.ts';

/**
 * Binary encoding of the messages of one segment item (attribute `m`). Capacity is paid
 * per KB of item size, so a message costs its body plus ~19 bytes: one flag byte, the
 * msgId (16 raw bytes when it is 32 upper-case hex digits), and a JSON header only for
 * the optional fields that are set. A slot may be void: an offset of the segment's
 * reserved range that holds no message (its message turned out to be a duplicate).
 */

/** What a slot holds before decoding: `body` is absent when it lives in S3 (`claimKey`). */
export interface EncodedSlot {
  message: StoredMessage;
  /** S3 key of a claim-checked body; the segment then stores only the key and the length. */
  claimKey?: string;
}

export type Slot = { kind: 'void' } | { kind: 'message'; message: StoredMessage; claimKey?: string };

const VERSION = 1;
const FLAG_VOID = 1;
const FLAG_HEX_ID = 2;
const FLAG_META = 4;
const FLAG_CLAIM = 8;
const HEX_ID = /^[0-9A-F]{32}$/;

/**
 * A slot's metadata as stored: the message's optional fields, with `bornTimestamp` and
 * `expireAt` present only when different from the segment's store time / expiry.
 */
type Meta = Partial<
  Pick<
    StoredMessage,
    | 'tag'
    | 'keys'
    | 'properties'
    | 'messageId'
    | 'messageGroup'
    | 'deliverAt'
    | 'producerGroup'
    | 'bornHost'
    | 'bornTimestamp'
    | 'expireAt'
  >
>;

/** Segment-level values every slot shares unless its header says otherwise. */
export interface SegmentFrame {
  topic: string;
  queueId: number;
  firstOffset: number;
  storeTimestamp: number;
  expireAt: number;
}

export function encodeSegment(slots: readonly (EncodedSlot | null)[], frame: SegmentFrame): Uint8Array {
  const out = new ByteWriter();
  out.byte(VERSION);
  for (const slot of slots) {
    if (!slot) {
      out.byte(FLAG_VOID);
      continue;
    }
    const { message, claimKey } = slot;
    const meta = metaOf(message, frame);
    const hexId = HEX_ID.test(message.msgId);
    out.byte((hexId ? FLAG_HEX_ID : 0) | (meta ? FLAG_META : 0) | (claimKey ? FLAG_CLAIM : 0));
    if (hexId) out.bytes(Buffer.from(message.msgId, 'hex'));
    else out.text(message.msgId);
    if (meta) out.text(JSON.stringify(meta));
    if (claimKey) {
      out.text(claimKey);
      out.varint(message.body.byteLength);
    } else {
      out.varint(message.body.byteLength);
      out.bytes(message.body);
    }
  }
  return out.result();
}

/** Decodes every slot; claim-checked bodies come back empty with their `claimKey` set. */
export function decodeSegment(data: Uint8Array, count: number, frame: SegmentFrame): Slot[] {
  const input = new ByteReader(data);
  const version = input.byte();
  if (version !== VERSION) throw new Error(`Unknown segment encoding version ${version}.`);
  const slots: Slot[] = [];
  for (let i = 0; i < count; i++) {
    const flags = input.byte();
    if (flags & FLAG_VOID) {
      slots.push({ kind: 'void' });
      continue;
    }
    const msgId = flags & FLAG_HEX_ID ? Buffer.from(input.bytes(16)).toString('hex').toUpperCase() : input.text();
    const meta: Meta = flags & FLAG_META ? JSON.parse(input.text()) : {};
    let claimKey: string | undefined;
    let body: Uint8Array;
    if (flags & FLAG_CLAIM) {
      claimKey = input.text();
      input.varint();
      body = new Uint8Array(0);
    } else {
      body = input.bytes(input.varint());
    }
    const message: StoredMessage = {
      msgId,
      topic: frame.topic,
      queueId: frame.queueId,
      queueOffset: frame.firstOffset + i,
      body,
      keys: meta.keys ?? [],
      properties: meta.properties ?? {},
      bornTimestamp: meta.bornTimestamp ?? frame.storeTimestamp,
      storeTimestamp: frame.storeTimestamp,
      expireAt: meta.expireAt ?? frame.expireAt,
    };
    for (const field of OPTIONAL_FIELDS) {
      if (meta[field] !== undefined) Object.assign(message, { [field]: meta[field] });
    }
    // A `%`-key is a release's system idempotency key (held-requests.ts), not the client's messageId.
    if (message.messageId?.startsWith('%')) delete message.messageId;
    slots.push(claimKey ? { kind: 'message', message, claimKey } : { kind: 'message', message });
  }
  return slots;
}

const OPTIONAL_FIELDS = [
  'tag',
  'messageId',
  'messageGroup',
  'deliverAt',
  'producerGroup',
  'bornHost',
] as const satisfies readonly (keyof Meta & keyof StoredMessage)[];

function metaOf(message: StoredMessage, frame: SegmentFrame): Meta | undefined {
  const meta: Meta = {};
  for (const field of OPTIONAL_FIELDS) {
    if (message[field] !== undefined) Object.assign(meta, { [field]: message[field] });
  }
  if (message.keys.length > 0) meta.keys = message.keys;
  if (Object.keys(message.properties).length > 0) meta.properties = message.properties;
  if (message.bornTimestamp !== frame.storeTimestamp) meta.bornTimestamp = message.bornTimestamp;
  if (message.expireAt !== frame.expireAt) meta.expireAt = message.expireAt;
  return Object.keys(meta).length > 0 ? meta : undefined;
}

/** Encoded size of one message in a segment, for packing segments under the item size limit. */
export function encodedSize(message: StoredMessage, claimKey: string | undefined): number {
  const bodyBytes = claimKey ? claimKey.length + 8 : message.body.byteLength + 5;
  const metaBytes = JSON.stringify({ ...message, body: undefined }).length;
  return 1 + 34 + metaBytes + bodyBytes;
}

class ByteWriter {
  private chunks: Uint8Array[] = [];
  private size = 0;

  byte(value: number): void {
    this.push(Uint8Array.of(value));
  }

  varint(value: number): void {
    const bytes: number[] = [];
    let rest = value;
    do {
      let next = rest % 128;
      rest = Math.floor(rest / 128);
      if (rest > 0) next |= 128;
      bytes.push(next);
    } while (rest > 0);
    this.push(Uint8Array.from(bytes));
  }

  text(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.varint(bytes.byteLength);
    this.push(bytes);
  }

  bytes(value: Uint8Array): void {
    this.push(value);
  }

  result(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.size += chunk.byteLength;
  }
}

class ByteReader {
  private at = 0;
  private readonly data: Uint8Array;

  constructor(data: Uint8Array) {
    this.data = data;
  }

  byte(): number {
    const value = this.data[this.at];
    if (value === undefined) throw new Error('Segment data ends early.');
    this.at++;
    return value;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const next = this.byte();
      value += (next & 127) * scale;
      if (next < 128) return value;
      scale *= 128;
    }
  }

  text(): string {
    return Buffer.from(this.bytes(this.varint())).toString('utf8');
  }

  bytes(length: number): Uint8Array {
    if (this.at + length > this.data.byteLength) throw new Error('Segment data ends early.');
    const out = this.data.slice(this.at, this.at + length);
    this.at += length;
    return out;
  }
}
