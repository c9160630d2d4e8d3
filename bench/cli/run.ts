// CLI benchmark, measured side by side in one run (ratios, since machines are noisy):
// 1. cold start of `kubectl-svcgw --help` and `version` against `kubectl version --client`;
// 2. `server install` + 50 `expose` against `kubectl apply --server-side` of the same
//    rendered objects, on the real test control plane.
// Run: npx tsx bench/cli/run.ts [--rounds 10] [--exposes 50]
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import yaml from 'js-yaml'

import {interleaved} from './startup.js'
import {timeOnce} from './startup.js'
import {buildAll} from '../../test/cluster/builds.js'
import {up} from '../../test/cluster/up.js'

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const ROUNDS = arg('--rounds', 10)
const EXPOSES = arg('--exposes', 50)

const startup = interleaved(
  [
    {name: 'kubectl version --client', run: () => timeOnce('kubectl', ['version', '--client'])},
    {name: 'kubectl-svcgw --help', run: () => timeOnce(process.execPath, [BIN, '--help'])},
    {name: 'kubectl-svcgw version', run: () => timeOnce(process.execPath, [BIN, 'version'])},
  ],
  ROUNDS,
)
const base = startup['kubectl version --client']
console.log('| cold start (median of %d) | ms | × kubectl version --client |', ROUNDS)
console.log('| --- | --- | --- |')
for (const [name, ms] of Object.entries(startup)) console.log(`| ${name} | ${ms.toFixed(0)} | ${(ms / base).toFixed(2)} |`)

const built = buildAll('inherit')
if ('missing' in built) throw new Error(`the test clusters cannot run here: ${built.missing}`)
const set = await up(built, {clusters: 2})
try {
  const env = {...process.env, KUBECONFIG: set.kubeconfig, NO_COLOR: '1'}
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {env, encoding: 'utf8'})
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }
  const kubectl = (args: string[], input?: string) => {
    const r = spawnSync('kubectl', ['--kubeconfig', set.kubeconfig, ...args], {encoding: 'utf8', input})
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`)
    return r.stdout
  }
  kubectl(['--context', 'ctx-b', 'create', 'namespace', 'bench-app'])
  kubectl(['--context', 'ctx-b', '-n', 'bench-app', 'create', 'service', 'clusterip', 'web', '--tcp=80:8080'])
  const home = ['--context', 'ctx-a', '-n', 'bench-gw']

  // The plugin: install, one client (not timed: it sets up the providers), then the exposes.
  let started = process.hrtime.bigint()
  run(['server', 'install', ...home, '--address', '192.0.2.1', '--no-wait'])
  const installMs = Number(process.hrtime.bigint() - started) / 1e6
  run(['client', 'install', ...home, '--to', 'ctx-b', '--client-namespace', 'bench-gwc', '--no-wait'])
  // What each expose applies on the server side, captured before it runs (not timed), for kubectl to apply.
  const perExpose: string[] = []
  let exposeMs = 0
  for (let i = 0; i < EXPOSES; i++) {
    perExpose.push(run(['expose', 'web', '--port', '80', '--service-namespace', 'bench-app', '--as', `web-${i}`, ...home, '--dry-run', '-o', 'yaml']))
    started = process.hrtime.bigint()
    run(['expose', 'web', '--port', '80', '--service-namespace', 'bench-app', '--as', `web-${i}`, ...home])
    exposeMs += Number(process.hrtime.bigint() - started) / 1e6
  }

  // kubectl: the same server objects by hand, into another namespace.
  const installObjects = (yaml.loadAll(run(['server', 'install', '--dry-run', '-o', 'yaml', '-n', 'bench-kubectl', '--address', '192.0.2.1'])) as Array<{metadata: {namespace?: string}}>)
  const retarget = (text: string) => text.replaceAll('namespace: bench-gw', 'namespace: bench-kubectl')
  started = process.hrtime.bigint()
  kubectl(['--context', 'ctx-a', 'apply', '--server-side', '--field-manager', 'bench', '-f', '-'], installObjects.map((o) => `---\n${yaml.dump(o)}`).join('\n'))
  const kubectlInstallMs = Number(process.hrtime.bigint() - started) / 1e6
  started = process.hrtime.bigint()
  for (const objects of perExpose) kubectl(['--context', 'ctx-a', 'apply', '--server-side', '--force-conflicts', '--field-manager', 'bench', '-f', '-'], retarget(objects))
  const kubectlExposeMs = Number(process.hrtime.bigint() - started) / 1e6

  console.log('')
  console.log(`| on the test control plane | kubectl-svcgw ms | kubectl apply --server-side ms | ratio |`)
  console.log('| --- | --- | --- | --- |')
  console.log(`| server install | ${installMs.toFixed(0)} | ${kubectlInstallMs.toFixed(0)} | ${(installMs / kubectlInstallMs).toFixed(2)} |`)
  console.log(`| ${EXPOSES} × expose | ${exposeMs.toFixed(0)} | ${kubectlExposeMs.toFixed(0)} | ${(exposeMs / kubectlExposeMs).toFixed(2)} |`)
  console.log(`| per expose | ${(exposeMs / EXPOSES).toFixed(0)} | ${(kubectlExposeMs / EXPOSES).toFixed(0)} | ${(exposeMs / kubectlExposeMs).toFixed(2)} |`)
} finally {
  await set.stop()
}
