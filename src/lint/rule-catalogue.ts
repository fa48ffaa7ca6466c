// The rule catalogue: every check `ringshift lint` can make, one module per rule (src/lint/rules/<id>.ts,
// documented in docs/rules/<id>.md), in the order of the consistency rules they implement (R1–R21).
// This list is the registry: the rule ids are a type derived from it, so a misspelt id fails `tsc`.
import { rule as ringMembersMismatch } from './rules/ring-members-mismatch.js';
import { rule as carbonlinkMembersMismatch } from './rules/carbonlink-members-mismatch.js';
import { rule as webappSettingUnresolved } from './rules/webapp-setting-unresolved.js';
import { rule as hashTypeMismatch } from './rules/hash-type-mismatch.js';
import { rule as jumpHashNoWebapp } from './rules/jump-hash-no-webapp.js';
import { rule as fnv1aInstances } from './rules/fnv1a-instances.js';
import { rule as ringOrderMismatch } from './rules/ring-order-mismatch.js';
import { rule as collisionSemantics } from './rules/collision-semantics.js';
import { rule as replicationMismatch } from './rules/replication-mismatch.js';
import { rule as webappReplicationExceedsServers } from './rules/webapp-replication-exceeds-servers.js';
import { rule as replicaDiversityMismatch } from './rules/replica-diversity-mismatch.js';
import { rule as destinationPortMismatch } from './rules/destination-port-mismatch.js';
import { rule as carbonlinkPortMismatch } from './rules/carbonlink-port-mismatch.js';
import { rule as cachePortConflict } from './rules/cache-port-conflict.js';
import { rule as instanceStorageDir } from './rules/instance-storage-dir.js';
import { rule as dataDirNotRead } from './rules/data-dir-not-read.js';
import { rule as storageHostNotQueried } from './rules/storage-host-not-queried.js';
import { rule as relayRulesInvalid } from './rules/relay-rules-invalid.js';
import { rule as relayRulesUnknownDestination } from './rules/relay-rules-unknown-destination.js';
import { rule as amqpBindingsOverlap } from './rules/amqp-bindings-overlap.js';
import { rule as amqpUnboundKeys } from './rules/amqp-unbound-keys.js';
import { rule as metricPrefixMismatch } from './rules/metric-prefix-mismatch.js';
import { rule as routingKeyRewritten } from './rules/routing-key-rewritten.js';
import { rule as aggregationRulesMismatch } from './rules/aggregation-rules-mismatch.js';
import { rule as configUnparseable } from './rules/config-unparseable.js';
import { rule as carbonInlineComment } from './rules/carbon-inline-comment.js';
import { rule as carbonPercentInterpolation } from './rules/carbon-percent-interpolation.js';
import { rule as carbonUnknownKey } from './rules/carbon-unknown-key.js';
import { rule as carbonDestinationAsKey } from './rules/carbon-destination-as-key.js';
import { rule as carbonBadValue } from './rules/carbon-bad-value.js';
import { rule as carbonUnknownHashType } from './rules/carbon-unknown-hash-type.js';
import { rule as carbonUnknownRelayMethod } from './rules/carbon-unknown-relay-method.js';
import { rule as carbonSectionIgnored } from './rules/carbon-section-ignored.js';
import { rule as configWarning } from './rules/config-warning.js';
import { rule as duplicateRingMember } from './rules/duplicate-ring-member.js';
import { rule as crelayClusterInvalid } from './rules/crelay-cluster-invalid.js';
import { rule as relayngRouteInvalid } from './rules/relayng-route-invalid.js';
import { rule as relayRingsDiffer } from './rules/relay-rings-differ.js';
import { rule as tagHashingDiffers } from './rules/tag-hashing-differs.js';
import { rule as storageSchemasDiffer } from './rules/storage-schemas-differ.js';
import { rule as dynamicRoutingStrays } from './rules/dynamic-routing-strays.js';
import { rule as toolModelsWrongTier } from './rules/tool-models-wrong-tier.js';
import { rule as fileNotRecognized } from './rules/file-not-recognized.js';
import type { LintFinding } from './lint-finding.js';
import type { AnyRule } from './rule-definition.js';
import type { RuleMeta } from './rule-meta.js';

export const RULES = [
  ringMembersMismatch,
  carbonlinkMembersMismatch,
  webappSettingUnresolved,
  hashTypeMismatch,
  jumpHashNoWebapp,
  fnv1aInstances,
  ringOrderMismatch,
  collisionSemantics,
  replicationMismatch,
  webappReplicationExceedsServers,
  replicaDiversityMismatch,
  destinationPortMismatch,
  carbonlinkPortMismatch,
  cachePortConflict,
  instanceStorageDir,
  dataDirNotRead,
  storageHostNotQueried,
  relayRulesInvalid,
  relayRulesUnknownDestination,
  amqpBindingsOverlap,
  amqpUnboundKeys,
  metricPrefixMismatch,
  routingKeyRewritten,
  aggregationRulesMismatch,
  configUnparseable,
  carbonInlineComment,
  carbonPercentInterpolation,
  carbonUnknownKey,
  carbonDestinationAsKey,
  carbonBadValue,
  carbonUnknownHashType,
  carbonUnknownRelayMethod,
  carbonSectionIgnored,
  configWarning,
  duplicateRingMember,
  crelayClusterInvalid,
  relayngRouteInvalid,
  relayRingsDiffer,
  tagHashingDiffers,
  storageSchemasDiffer,
  dynamicRoutingStrays,
  toolModelsWrongTier,
  fileNotRecognized,
] as const satisfies readonly AnyRule[];

/** A rule id: `'ring-members-mismatch' | 'carbonlink-members-mismatch' | …`. */
export type RuleId = (typeof RULES)[number]['meta']['id'];

/** Every rule's meta, in catalogue order (docs index, --rules, SARIF, JUnit). */
export const RULE_METAS: readonly RuleMeta<RuleId>[] = RULES.map((r) => r.meta);

const IDS = new Set<string>(RULES.map((r) => r.meta.id));

/** A run's finding as a catalogue rule's (every rule reports through its own meta; anything else is a bug). */
export function catalogueFinding(f: LintFinding): LintFinding<RuleId> {
  if (!IDS.has(f.rule)) throw new Error(`lint: a finding of '${f.rule}', which is not in the rule catalogue`);
  return f as LintFinding<RuleId>;
}
