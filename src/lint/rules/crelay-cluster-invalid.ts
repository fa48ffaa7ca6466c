// crelay-cluster-invalid (R16): carbon-c-relay refuses a cluster that breaks its limits (replication above
// the member count, more than 128 members, one host:port with two instances or types). The reader reports
// the relay's refusal through this rule; which member or count is wrong is for a person to say.
import { defineRule } from '../rule-definition.js';

export const rule = defineRule({
  meta: {
    id: 'crelay-cluster-invalid',
    ref: 'R16',
    severity: 'error',
    summary: 'A carbon-c-relay cluster breaks the relay limits (replication, size, one instance per address)',
    fixable: 'advice',
    messages: {
      fixConfig: 'keep replication ≤ members, ≤ 128 members per hash cluster, and one instance and type per host:port across all clusters',
      fixCluster: 'keep replication ≤ members and ≤ 128 members per hash cluster',
    },
  },
});
