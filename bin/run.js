#!/usr/bin/env node
import module from 'node:module'

// Node ≥ 22.1 keeps V8's compiled code of the bundle between runs (in the OS temp directory;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off): about a tenth of a cold start. Node 20 has no such cache.
module.enableCompileCache?.()

if (process.argv[2] === '__complete') {
  // cobra's hidden completion entry, as kubectl_complete-svcgw runs it: no oclif start.
  const {main} = await import('../dist/completion/main.js')
  process.stdout.write(await main(process.argv.slice(3)))
} else if (
  // `list` with plain arguments and kubeconfig answers without oclif or the Kubernetes client
  // (dist/fastpath/list.js); it declines anything else and the CLI below runs as usual.
  // SVCGW_FULL_CLI=1 skips it (the tests compare both paths).
  !(process.argv[2] === 'list' && !process.env.SVCGW_FULL_CLI && (await (await import('../dist/fastpath/list.js')).fastList(process.argv.slice(3))))
) {
  // The CLI is bundled into dist/ (scripts/bundle.mjs): oclif comes from there, not from node_modules.
  const {execute} = await import('../dist/run.js')
  await execute({dir: import.meta.url})
}
