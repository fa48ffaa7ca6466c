// The build's output: the CLI starts from oclif.manifest.json (scripts/oclif-manifest.mjs, run by
// `npm run build`) instead of importing every command, and runs the esbuild bundle of each command
// (dist/bundle, scripts/bundle-cli.mjs); a manifest older than the build would hide new commands. The
// integration tier builds first (test/helpers/build-once.ts), so all of it must be there.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './helpers/project-root.js';

describe('oclif manifest', () => {
  const manifest = join(PROJECT_ROOT, 'oclif.manifest.json');
  const commands = join(PROJECT_ROOT, 'dist/bundle/commands');

  it('the build is current (built by the integration tier when stale)', () => {
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build-if-stale.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('lists exactly the built commands and is newer than all of them', () => {
    const built = (readdirSync(commands, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.js'))
      .map((f) => f.slice(0, -3).split(/[\\/]/).join(':'))
      .sort();
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { commands: Record<string, { relativePath?: string[] }> };
    const listed = Object.keys(m.commands).sort();
    expect(listed).toEqual(built);
    // every command as tsc compiled it is bundled, and oclif loads the bundled one
    const compiled = (readdirSync(join(PROJECT_ROOT, 'dist/commands'), { recursive: true }) as string[]).filter((f) => f.endsWith('.js'));
    expect(compiled.length).toBe(built.length);
    for (const [id, c] of Object.entries(m.commands)) expect(c.relativePath?.slice(0, 3), id).toEqual(['dist', 'bundle', 'commands']);
    const newest = Math.max(...built.map((id) => statSync(join(commands, ...id.split(':')) + '.js').mtimeMs));
    expect(statSync(manifest).mtimeMs).toBeGreaterThanOrEqual(newest);
  });
});
