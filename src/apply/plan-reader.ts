// Reading a plan file (src/plan/plan-file.ts) as a stream, with every record checked for the fields apply
// relies on. A first pass checks the whole file (header first, footer last with matching counts, so a
// truncated plan is refused) and hashes it: journals name the plan by that sha256.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { UsageError } from '../errors.js';
import {
  PHASED_PLAN_VERSION,
  PLAN_FORMAT,
  PLAN_VERSIONS,
  type FileStamp,
  type PlanAction,
  type PlanFooter,
  type PlanHeader,
  type PlanRecord,
} from '../plan/plan-file.js';
import { checkRelPath } from '../storage/driver.js';

export interface PlanLine {
  rec: PlanRecord;
  line: number;
}

/** Records of a plan in file order, in batches, with 1-based line numbers. `onChunk` sees the raw bytes. */
export async function* planLines(path: string, onChunk?: (b: Buffer) => void): AsyncGenerator<PlanLine[]> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let line = 0;
  try {
    for await (const chunk of stream) {
      onChunk?.(chunk as Buffer);
      const text = carry + decoder.write(chunk as Buffer);
      const out: PlanLine[] = [];
      let start = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        line++;
        const s = text.slice(start, nl);
        start = nl + 1;
        if (s.trim() !== '') out.push({ rec: parseRecord(s, path, line), line });
      }
      carry = text.slice(start);
      if (out.length > 0) yield out;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EACCES') {
      throw new UsageError(`cannot read the plan: ${(err as NodeJS.ErrnoException).code}`, {
        file: path,
        expected: 'a plan file written by ringshift plan',
      });
    }
    throw err;
  }
  carry += decoder.end();
  if (carry.trim() !== '') {
    line++;
    yield [{ rec: parseRecord(carry, path, line), line }];
  }
}

function bad(path: string, line: number, message: string, expected?: string): never {
  throw new UsageError(message, { file: path, line, ...(expected === undefined ? {} : { expected }) });
}

function parseRecord(s: string, path: string, line: number): PlanRecord {
  let rec: unknown;
  try {
    rec = JSON.parse(s);
  } catch {
    bad(path, line, 'not a JSON record', 'one JSON object a line (a plan written by ringshift plan)');
  }
  if (typeof rec !== 'object' || rec === null) bad(path, line, 'not a JSON object');
  const r = rec as Record<string, unknown>;
  switch (r.type) {
    case 'header':
      return checkHeader(r, path, line);
    case 'action':
      return checkAction(r, path, line);
    case 'skip':
    case 'footer':
    case 'runbook':
      return r as unknown as PlanRecord;
    default:
      return bad(path, line, `unknown record type ${JSON.stringify(r.type)}`, 'header, action, skip or footer');
  }
}

function checkHeader(r: Record<string, unknown>, path: string, line: number): PlanHeader {
  if (r.format !== PLAN_FORMAT) bad(path, line, `not a ringshift plan (format ${JSON.stringify(r.format)})`, PLAN_FORMAT);
  if (typeof r.version !== 'number' || !PLAN_VERSIONS.includes(r.version))
    bad(
      path,
      line,
      `plan version ${JSON.stringify(r.version)} is not supported by this ringshift`,
      `version ${PLAN_VERSIONS.join(' or ')}`,
    );
  if (r.version === PHASED_PLAN_VERSION && r.phased !== true)
    bad(path, line, 'a version 2 plan must be phased', 'a plan written by ringshift plan --phased');
  if (typeof r.ringFingerprint !== 'string' || !Array.isArray(r.locations) || typeof r.cluster !== 'string') {
    bad(path, line, 'plan header lacks ringFingerprint, cluster or locations');
  }
  for (const l of r.locations as unknown[]) {
    const loc = l as Record<string, unknown>;
    if (typeof loc?.id !== 'string' || typeof loc.url !== 'string' || !Array.isArray(loc.members)) {
      bad(path, line, 'plan header: a location lacks id, url or members');
    }
  }
  return r as unknown as PlanHeader;
}

function isStamp(x: unknown): x is FileStamp {
  const s = x as FileStamp;
  return typeof s === 'object' && s !== null && Number.isFinite(s.size) && s.size >= 0 && Number.isFinite(s.mtimeMs);
}

function isIdList(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0);
}

function checkAction(r: Record<string, unknown>, path: string, line: number): PlanAction {
  const id = r.id;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xfffffffe) bad(path, line, 'action id must be an integer ≥ 0');
  if (typeof r.path !== 'string') bad(path, line, 'action without a path');
  try {
    checkRelPath(r.path as string);
  } catch {
    bad(path, line, `action path ${JSON.stringify(r.path)} leaves the storage root`, 'a relative path like a/b/c.wsp');
  }
  if (typeof r.metric !== 'string') bad(path, line, 'action without a metric');
  if (!isStamp(r.source)) bad(path, line, 'action without a source stamp {size, mtimeMs}');
  switch (r.op) {
    case 'copy':
    case 'fill':
      if (typeof r.from !== 'string' || typeof r.to !== 'string') bad(path, line, `${r.op} action needs from and to`);
      if (r.toPath !== undefined) {
        if (typeof r.toPath !== 'string') bad(path, line, 'toPath must be a path');
        try {
          checkRelPath(r.toPath as string);
        } catch {
          bad(path, line, `action toPath ${JSON.stringify(r.toPath)} leaves the storage root`, 'a relative path like a/b/c.wsp');
        }
      }
      if (r.from === r.to && (r.toPath === undefined || r.toPath === r.path))
        bad(path, line, `${r.op} action from and to are the same file`);
      if (r.op === 'fill' && !isStamp(r.dest)) bad(path, line, 'fill action without a dest stamp');
      if (r.op === 'fill' && r.after !== undefined && !isIdList(r.after)) bad(path, line, 'fill after must be a list of action ids');
      break;
    case 'delete':
      if (typeof r.at !== 'string') bad(path, line, 'delete action needs at');
      if (!isIdList(r.after)) bad(path, line, 'delete action needs after: [action ids]');
      break;
    default:
      bad(path, line, `unknown action op ${JSON.stringify(r.op)}`, 'copy, fill or delete');
  }
  return r as unknown as PlanAction;
}

/** What the first pass learns: the header, footer, the file's sha256 and counts. */
export interface PlanSummary {
  header: PlanHeader;
  footer: PlanFooter;
  sha256: string;
  actions: number;
  skips: number;
}

/**
 * Check the whole plan (header on line 1, known locations, unique ids, footer last with matching
 * counts), hash it, and hand every action to `visit`.
 */
export async function scanPlan(
  path: string,
  visit: (a: PlanAction, header: PlanHeader) => void,
  opts: { phased?: boolean; onRecord?: (rec: PlanRecord) => void } = {},
): Promise<PlanSummary> {
  const hash = createHash('sha256');
  let header: PlanHeader | undefined;
  let footer: PlanFooter | undefined;
  let actions = 0;
  let skips = 0;
  let locs = new Set<string>();
  const seen = new IdSet();
  for await (const batch of planLines(path, (b) => hash.update(b))) {
    for (const { rec, line } of batch) {
      if (header === undefined) {
        if (rec.type !== 'header') bad(path, line, 'the first record of a plan must be its header');
        header = rec;
        // A phased runbook runs phase by phase (src/apply/phase-runner.ts), never as one plain plan.
        if (header.version === PHASED_PLAN_VERSION && opts.phased !== true)
          bad(
            path,
            line,
            'this is a phased plan (plan --phased): its phases run one at a time',
            'ringshift apply PLAN (it runs the next phase that is due)',
          );
        locs = new Set(header.locations.map((l) => l.id));
        continue;
      }
      if (footer !== undefined) bad(path, line, 'records after the footer');
      switch (rec.type) {
        case 'header':
          bad(path, line, 'a second header');
          break;
        case 'footer':
          footer = rec;
          break;
        case 'skip':
          skips++;
          break;
        case 'runbook':
          if (header.version !== PHASED_PLAN_VERSION) bad(path, line, 'a runbook record in a plan that is not phased');
          opts.onRecord?.(rec);
          break;
        case 'action': {
          for (const l of rec.op === 'delete' ? [rec.at] : [rec.from, rec.to]) {
            if (!locs.has(l)) bad(path, line, `action names location ${JSON.stringify(l)}, which the header does not list`);
          }
          if (!seen.add(rec.id)) bad(path, line, `duplicate action id ${rec.id}`);
          actions++;
          visit(rec, header);
        }
      }
    }
  }
  if (header === undefined) throw new UsageError('empty plan', { file: path, expected: 'a plan written by ringshift plan' });
  if (footer === undefined)
    throw new UsageError('the plan has no footer: it is truncated (or still being written)', { file: path, expected: 'a complete plan' });
  if (footer.actions !== actions || footer.skips !== skips) {
    throw new UsageError(`the footer counts ${footer.actions} actions and ${footer.skips} skips, the file holds ${actions} and ${skips}`, {
      file: path,
      expected: 'an unmodified plan',
    });
  }
  return { header, footer, sha256: hash.digest('hex'), actions, skips };
}

/** A set of non-negative integer ids as a growable bitmap (plans number their actions densely). */
export class IdSet {
  private bits = new Uint8Array(1024);
  add(id: number): boolean {
    const byte = id >>> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    const mask = 1 << (id & 7);
    if (this.bits[byte]! & mask) return false;
    this.bits[byte]! |= mask;
    return true;
  }
  has(id: number): boolean {
    const byte = id >>> 3;
    return byte < this.bits.length && (this.bits[byte]! & (1 << (id & 7))) !== 0;
  }
}
