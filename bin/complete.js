#!/usr/bin/env node
// kubectl_complete-svcgw: shell completion for `kubectl svcgw …` (kubectl ≥ 1.26 runs it on TAB),
// bundled apart from the CLI (dist/completion/main.js) so that it never starts oclif.
// `kubectl-svcgw __complete …` runs the same (bin/run.js hands it here).
import module from 'node:module'

module.enableCompileCache?.()
const {main} = await import('../dist/completion/main.js')
process.stdout.write(await main(process.argv.slice(2)))
