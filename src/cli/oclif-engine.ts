// The part of oclif that runs a command line, behind one module that run-cli.ts imports only when a
// command line needs it (`--version` never loads oclif). A static import here, not `await
// import('@oclif/core')` there: in the esbuild bundle (scripts/bundle-cli.mjs) a dynamically imported
// CommonJS package has only a default export, while static named imports work in both forms.
export { Config, flush, run } from '@oclif/core';
