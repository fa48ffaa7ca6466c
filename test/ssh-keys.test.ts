// The test servers' key pairs always parse (ssh2's generator drops a leading zero byte of about one
// ed25519 public key in 220: test/helpers/ssh-keys.ts). 600 pairs meet such a key with ~93 % odds.
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { keyPair } from './helpers/ssh-keys.js';

describe('test key pairs', () => {
  it('600 ed25519 pairs: every public key is 32 bytes and both halves parse', () => {
    for (let i = 0; i < 600; i++) {
      const k = keyPair();
      const pub = ssh2.utils.parseKey(k.public);
      expect(pub instanceof Error ? pub.message : 'ok').toBe('ok');
      // The OpenSSH blob: string "ssh-ed25519", then the 32-byte key, each behind its length.
      const blob = (pub as Exclude<typeof pub, Error>).getPublicSSH();
      expect(blob.readUInt32BE(4 + 11)).toBe(32);
      expect(ssh2.utils.parseKey(k.private) instanceof Error).toBe(false);
    }
  });

  it('an ECDSA P-256 pair parses', () => {
    const k = keyPair('ecdsa');
    const pub = ssh2.utils.parseKey(k.public);
    expect(pub instanceof Error ? pub.message : (pub as Exclude<typeof pub, Error>).type).toBe('ecdsa-sha2-nistp256');
  });
});
