// Key pairs for the in-process test servers and for tests that need a second key. ssh2's
// generateKeyPairSync('ed25519') drops a leading zero byte of the public key (about 1 pair in 220:
// a 31-byte key that its own parser then refuses, public and private alike: "Malformed OpenSSH
// public key", a CI flake). Such a pair is generated again. OpenSSH's own keys are not affected.
import ssh2 from 'ssh2';

const { utils } = ssh2;

/** An ed25519 (default) or ECDSA P-256 key pair whose public and private halves both parse. */
export function keyPair(type: 'ed25519' | 'ecdsa' = 'ed25519'): { public: string; private: string } {
  for (let attempt = 0; attempt < 50; attempt++) {
    const k = type === 'ecdsa' ? utils.generateKeyPairSync('ecdsa', { bits: 256 }) : utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(k.public) instanceof Error) && !(utils.parseKey(k.private) instanceof Error)) return k;
  }
  throw new Error(`ssh2 generated 50 ${type} key pairs it cannot parse`);
}
