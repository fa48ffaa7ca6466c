// The cluster file's `node_ssh:` section: extra arguments for the ssh client a destination node runs
// when it pulls files straight from another node (`apply --transport auto|pull`), e.g. the key and
// known_hosts file the nodes use between themselves. Paths are the nodes' paths, kept as written.
import { isScalar, isSeq, type Node } from 'yaml';
import type { SectionContext } from './cluster-section.js';

export function parseNodeSshSection(node: Node | null, ctx: SectionContext): string[] {
  if (node === null || (isScalar(node) && node.value === null)) return [];
  const expected = 'a list of ssh arguments, e.g. ["-i", "/home/carbon/.ssh/shuffle_ed25519"]';
  if (!isSeq(node)) ctx.fail('node_ssh: must be a list of strings', node, expected);
  return node.items.map((item) => {
    const v = isScalar(item) ? item.value : undefined;
    if (typeof v !== 'string' && typeof v !== 'number') ctx.fail('node_ssh: every item must be a string', item as Node, expected);
    const s = String(v);
    if (s.includes('\0') || s.includes('\n')) ctx.fail('node_ssh: an argument holds a NUL or a line break', item as Node, expected);
    return s;
  });
}
