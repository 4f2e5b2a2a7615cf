// Fernet tokens (https://github.com/fernet/spec, Spec.md) on node:crypto: the format of the product's encrypted data
// at rest and of its backups, so that Python's `cryptography.fernet.Fernet` with the same key reads them.
//   key   = base64url(signing key 16 bytes || encryption key 16 bytes)
//   token = base64url(0x80 || timestamp u64 BE || IV 16 || AES-128-CBC(PKCS#7) ciphertext || HMAC-SHA256 32)
// The HMAC covers everything before it and is checked (in constant time) before anything is decrypted.
import * as crypto from 'node:crypto';

const VERSION = 0x80;
/** How far in the future a token's timestamp may be (the spec's and Python's clock skew). */
const MAX_CLOCK_SKEW_SEC = 60;
const HEADER = 1 + 8 + 16;
const MAC = 32;

/** A token that is malformed, tampered with, made with another key, or expired. Never says which byte. */
export class InvalidToken extends Error {
  constructor(readonly reason: 'format' | 'signature' | 'expired' | 'future' | 'padding') {
    super(reason === 'expired' ? 'the encrypted data has expired'
      : reason === 'future' ? 'the encrypted data is dated in the future'
        : reason === 'signature' ? 'the encrypted data was made with another key, or changed since it was written'
          : 'the encrypted data is damaged (not a valid Fernet token)');
  }
}

function b64urlDecode(s: string): Buffer | undefined {
  // Python accepts standard padding only; the alphabet must be url-safe (no '+' or '/').
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  return Buffer.from(s, 'base64url');
}

function b64urlEncode(b: Buffer): string {
  // base64url with padding, as Python's urlsafe_b64encode writes it.
  const s = b.toString('base64url');
  return s + '='.repeat((4 - (s.length % 4)) % 4);
}

/** A new random key, in Fernet's form (44 characters). */
export function generateKey(): string {
  return b64urlEncode(crypto.randomBytes(32));
}

/** True when `key` is a Fernet key (32 bytes in url-safe base64). */
export function isFernetKey(key: string): boolean {
  return b64urlDecode(key.trim())?.length === 32;
}

export class Fernet {
  private readonly signing: Buffer;
  private readonly encryption: Buffer;

  constructor(key: string | Buffer) {
    const raw = typeof key === 'string' ? b64urlDecode(key.trim()) : key;
    if (!raw || raw.length !== 32) throw new TypeError('a Fernet key is 32 bytes in url-safe base64 (44 characters)');
    this.signing = raw.subarray(0, 16);
    this.encryption = raw.subarray(16, 32);
  }

  /** Encrypts `data`. `now` (seconds) and `iv` are for the spec's test vectors; leave them out. */
  encrypt(data: Buffer | string, opts: { now?: number; iv?: Buffer } = {}): string {
    const iv = opts.iv ?? crypto.randomBytes(16);
    const cipher = crypto.createCipheriv('aes-128-cbc', this.encryption, iv);
    const body = Buffer.concat([cipher.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data), cipher.final()]);
    const head = Buffer.alloc(9);
    head[0] = VERSION;
    head.writeBigUInt64BE(BigInt(Math.floor(opts.now ?? Date.now() / 1000)), 1);
    const signed = Buffer.concat([head, iv, body]);
    const mac = crypto.createHmac('sha256', this.signing).update(signed).digest();
    return b64urlEncode(Buffer.concat([signed, mac]));
  }

  /** The timestamp (seconds) a token was made at, after checking its signature. */
  timestamp(token: string): number {
    return Number(this.verified(token).readBigUInt64BE(1));
  }

  /**
   * Decrypts a token. `ttlSec`: refuse tokens older than this; `now` (seconds) for tests. Throws
   * {@link InvalidToken} for anything wrong, whatever it is.
   */
  decrypt(token: string, opts: { ttlSec?: number; now?: number } = {}): Buffer {
    const raw = this.verified(token);
    const ts = Number(raw.readBigUInt64BE(1));
    const now = Math.floor(opts.now ?? Date.now() / 1000);
    if (opts.ttlSec !== undefined && ts + opts.ttlSec < now) throw new InvalidToken('expired');
    if (ts > now + MAX_CLOCK_SKEW_SEC) throw new InvalidToken('future');
    const iv = raw.subarray(9, HEADER);
    const body = raw.subarray(HEADER, raw.length - MAC);
    try {
      const decipher = crypto.createDecipheriv('aes-128-cbc', this.encryption, iv);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new InvalidToken('padding');
    }
  }

  private verified(token: string): Buffer {
    const raw = b64urlDecode(token.trim());
    if (!raw || raw.length < HEADER + MAC + 16 || raw[0] !== VERSION || (raw.length - HEADER - MAC) % 16 !== 0) throw new InvalidToken('format');
    const mac = crypto.createHmac('sha256', this.signing).update(raw.subarray(0, raw.length - MAC)).digest();
    if (!crypto.timingSafeEqual(mac, raw.subarray(raw.length - MAC))) throw new InvalidToken('signature');
    return raw;
  }
}
