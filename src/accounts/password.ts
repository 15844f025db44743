// Password hashing with node's scrypt (no native add-on to build): a random salt per password, the cost
// parameters stored beside the hash so that they can be raised later without invalidating old hashes.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LEN = 32;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LEN, { N: n, r, p, maxmem: 256 * n * r }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const f = stored.split('$');
  if (f.length !== 6 || f[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(f[1]), Number(f[2]), Number(f[3])];
  if (![n, r, p].every((x) => Number.isSafeInteger(x) && x > 0) || n > 1 << 20) return false;
  const want = Buffer.from(f[5]!, 'base64url');
  const got = await derive(password, Buffer.from(f[4]!, 'base64url'), n, r, p);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Why a new password is refused, or null. */
export function passwordProblem(password: string, username: string): string | null {
  if (password.length < 10) return 'a password needs at least 10 characters';
  if (password.length > 200) return 'a password has at most 200 characters';
  if (password.toLowerCase().includes(username.toLowerCase()))
    return 'a password must not contain the user name';
  if (new Set(password).size < 5) return 'a password needs at least 5 different characters';
  return null;
}

/** A hash to compare against when the user does not exist, so that a wrong name costs as long as a wrong password. */
export const DUMMY_HASH = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_LEN).toString('base64url')}`;
