#!/usr/bin/env node
// The CLI is bundled into dist/ (scripts/bundle.mjs): oclif comes from there, not from node_modules.
import {execute} from '../dist/run.js'

await execute({dir: import.meta.url})
