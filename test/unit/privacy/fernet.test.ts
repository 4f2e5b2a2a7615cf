// Fernet tokens: the specification's own vectors (generate, verify, invalid), tampering and wrong keys, and
// interoperability both ways with Python's `cryptography.fernet.Fernet` (Debian's python3-cryptography).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Fernet, InvalidToken, generateKey, isFernetKey } from '../../../src/core/privacy/fernet';

const VECTORS = path.resolve(__dirname, '../../fixtures/fernet');
interface Vector { token: string; now: string; iv?: number[]; src?: string; secret: string; ttl_sec?: number; desc?: string }
const vectors = (name: string) => JSON.parse(fs.readFileSync(path.join(VECTORS, `${name}.json`), 'utf8')) as Vector[];
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** A Python with `cryptography` importable: Debian's (what setup installs), else the one on PATH. */
function pythonWithCryptography(): string {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import cryptography.fernet'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  throw new Error('no python3 can import cryptography: install Debian\'s python3-cryptography (scripts/setup-vscode-runtime.sh does)');
}

describe('Fernet', () => {
  describe('the specification\'s vectors', () => {
    for (const v of vectors('generate')) {
      it(`generate: ${v.src} at ${v.now} gives the spec's token`, () => {
        assert.equal(new Fernet(v.secret).encrypt(v.src!, { now: seconds(v.now), iv: Buffer.from(v.iv!) }), v.token);
      });
    }
    for (const v of vectors('verify')) {
      it(`verify: the spec's token decrypts to "${v.src}" within its ttl`, () => {
        assert.equal(new Fernet(v.secret).decrypt(v.token, { ttlSec: v.ttl_sec, now: seconds(v.now) }).toString('utf8'), v.src);
      });
    }
    for (const v of vectors('invalid')) {
      it(`invalid: ${v.desc} is refused with InvalidToken`, () => {
        assert.throws(() => new Fernet(v.secret).decrypt(v.token, { ttlSec: v.ttl_sec, now: seconds(v.now) }), InvalidToken);
      });
    }
  });

  it('round-trips any bytes; a flipped bit anywhere or another key is refused, never garbage', () => {
    const key = generateKey();
    assert.ok(isFernetKey(key));
    const f = new Fernet(key);
    for (const data of [Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(16, 7), Buffer.from([...Array(1000).keys()].map((i) => i % 256))]) {
      const token = f.encrypt(data);
      assert.deepEqual(f.decrypt(token), data);
      const raw = Buffer.from(token, 'base64url');
      for (let i = 0; i < raw.length; i += 7) {
        const bad = Buffer.from(raw);
        bad[i] ^= 0x01;
        const padded = bad.toString('base64url').padEnd(token.length, '=');
        assert.throws(() => f.decrypt(padded), (e: unknown) => e instanceof InvalidToken && (e.reason === 'signature' || (i === 0 && e.reason === 'format')), `bit flipped at byte ${i}`);
      }
      assert.throws(() => new Fernet(generateKey()).decrypt(token), (e: unknown) => e instanceof InvalidToken && e.reason === 'signature');
    }
  });

  it('refuses a key that is not 32 bytes of url-safe base64', () => {
    assert.throws(() => new Fernet('short'), TypeError);
    assert.throws(() => new Fernet(Buffer.alloc(16)), TypeError);
    assert.equal(isFernetKey('cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4='), true);
    assert.equal(isFernetKey('cw/0x689RpI+jtRR7oE8h/eQsKImvJapLeSbXpwF4e4='), false);
  });

  it('Python\'s cryptography.Fernet reads our tokens, and we read its tokens, with the same key', function () {
    this.timeout(20_000);
    const py = pythonWithCryptography();
    const key = generateKey();
    const ours = new Fernet(key).encrypt('made by SkillMeat Sync ✓');
    const script = [
      'import sys',
      'from cryptography.fernet import Fernet',
      'f = Fernet(sys.argv[1].encode())',
      'sys.stdout.write(f.decrypt(sys.argv[2].encode()).decode("utf-8") + "\\n")',
      'sys.stdout.write(f.encrypt("made by Python ✓".encode("utf-8")).decode() + "\\n")',
    ].join('\n');
    const r = spawnSync(py, ['-c', script, key, ours], { encoding: 'utf8', env: { ...process.env, PYTHONIOENCODING: 'utf-8' } });
    assert.equal(r.status, 0, r.stderr);
    const [plain, theirs] = r.stdout.trimEnd().split('\n');
    assert.equal(plain, 'made by SkillMeat Sync ✓');
    assert.equal(new Fernet(key).decrypt(theirs).toString('utf8'), 'made by Python ✓');
  });
});
