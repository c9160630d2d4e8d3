// What bin/run.js starts: oclif's execute, taken from the bundle (scripts/bundle.mjs) so that
// oclif and everything it loads are read from a few files instead of some 170 modules.
export {execute} from '@oclif/core'
