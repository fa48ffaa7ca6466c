// What the cluster-file loader hands each section parser (ring, storage, topology): the file, its
// directory for relative paths, the line of a YAML node, and a fail() that throws ConfigError at that line.
// A module of its own so section parsers in other files need not import the loader (no cycle).
import type { Node, Pair } from 'yaml';
import type { DiagnosticSink } from './diagnostics.js';

export interface SectionContext {
  file: string;
  dir: string;
  line(node: Node | Pair | null | undefined): number | undefined;
  fail(message: string, node: Node | Pair | null | undefined, expected?: string): never;
  sink: DiagnosticSink;
}
