// CLI benchmark, measured side by side in one run (ratios, since machines are noisy):
// 1. start-up: CPU time of `--help`, every `<command> --help`, `version` and a completion, paired
//    with `kubectl version --client` (10 pairs, medians), run by the machine's node and by the
//    release archive's launcher and runtime (what krew and the archives install);
// 2. `list` against a test cluster, paired with `kubectl get configmap` of the registry;
// 3. `server install` + 50 `expose` against `kubectl apply --server-side` of the same
//    rendered objects, on the real test control plane (wall time).
// Run: npx tsx bench/cli/run.ts [--rounds 10] [--exposes 50] [--startup-only | --list-only]
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import yaml from 'js-yaml'

import {cpuOnce, type PairedFigure, paired} from './startup.js'
import {buildAll} from '../../test/cluster/builds.js'
import {up} from '../../test/cluster/up.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BIN = join(ROOT, 'bin', 'run.js')
const COMPLETE = join(ROOT, 'bin', 'complete.js')
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const ROUNDS = arg('--rounds', 10)
const EXPOSES = arg('--exposes', 50)

function table(title: string, figures: PairedFigure[], baseline: string): void {
  console.log(`| ${title} | CPU ms | ${baseline} CPU ms | ratio (median of ${ROUNDS} pairs) |`)
  console.log('| --- | --- | --- | --- |')
  for (const f of figures) console.log(`| ${f.name} | ${f.cpu.toFixed(0)} | ${f.baseCpu.toFixed(0)} | ${f.ratio.toFixed(2)} |`)
  console.log('')
}

/** The linux/amd64 release archive, built (cached) and unpacked: its launchers run its own Node.js. */
function unpackedArchive(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined
  const out = execFileSync('bash', [join(ROOT, 'release', 'build.sh'), '--platforms', 'linux-amd64', '--out', mkdtempSync(join(tmpdir(), 'svcgw-bench-'))], {
    encoding: 'utf8',
    env: {...process.env, SVCGW_RELEASE_NO_BUILD: '1'},
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const dir = mkdtempSync(join(tmpdir(), 'svcgw-bench-archive-'))
  execFileSync('tar', ['-xzf', /^archive linux-amd64 (.+)$/m.exec(out)![1], '-C', dir])
  return dir
}

const kubectlVersion = () => cpuOnce('kubectl', ['version', '--client'])
const commandIds = Object.keys((JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: object}).commands).sort()
const startupCases = (plugin: string[], complete: string[]) => [
  {name: '--help', run: () => cpuOnce(plugin[0], [...plugin.slice(1), '--help'])},
  {name: 'version', run: () => cpuOnce(plugin[0], [...plugin.slice(1), 'version'])},
  ...commandIds.map((id) => ({name: `${id.replaceAll(':', ' ')} --help`, run: () => cpuOnce(plugin[0], [...plugin.slice(1), ...id.split(':'), '--help'])})),
  {name: 'completion (kubectl_complete-svcgw expose --)', run: () => cpuOnce(complete[0], [...complete.slice(1), 'expose', '--'])},
  // A fresh install's first run has no compiled code cached yet (Node ≥ 22; Node 20 never has).
  {name: '--help, no compile cache (a first run)', run: () => cpuOnce(plugin[0], [...plugin.slice(1), '--help'], {...process.env, NODE_DISABLE_COMPILE_CACHE: '1'})},
]

const listOnly = process.argv.includes('--list-only')
const nodeVersion = spawnSync(process.execPath, ['--version'], {encoding: 'utf8'}).stdout.trim()
if (!listOnly) table(`start-up, this machine's node ${nodeVersion} (node bin/run.js)`, paired(kubectlVersion, startupCases([process.execPath, BIN], [process.execPath, COMPLETE]), ROUNDS), 'kubectl version --client')
const archive = unpackedArchive()
if (archive && !listOnly) {
  const runtime = spawnSync(join(archive, 'node', 'bin', 'node'), ['--version'], {encoding: 'utf8'}).stdout.trim()
  table(`start-up, release archive (launcher + node ${runtime})`, paired(kubectlVersion, startupCases([join(archive, 'kubectl-svcgw')], [join(archive, 'kubectl_complete-svcgw')]), ROUNDS), 'kubectl version --client')
}
if (process.argv.includes('--startup-only')) process.exit(0)

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
  // A command that reads the cluster: `list` (kubeconfig, client library, one ConfigMap) against kubectl reading the same ConfigMap.
  const listEnv = {...env}
  // `list` is answered by bin/run.js's fast path (src/fastpath); SVCGW_FULL_CLI=1 measures the full CLI beside it.
  const fullEnv = {...listEnv, SVCGW_FULL_CLI: '1'}
  const listCases = [
    {name: `list (node ${nodeVersion})`, run: () => cpuOnce(process.execPath, [BIN, 'list', ...home], listEnv)},
    {name: `list, full CLI (node ${nodeVersion})`, run: () => cpuOnce(process.execPath, [BIN, 'list', ...home], fullEnv)},
  ]
  if (archive) {
    listCases.push({name: 'list (release archive)', run: () => cpuOnce(join(archive, 'kubectl-svcgw'), ['list', ...home], listEnv)})
    listCases.push({name: 'list, full CLI (release archive)', run: () => cpuOnce(join(archive, 'kubectl-svcgw'), ['list', ...home], fullEnv)})
  }
  table('on a test cluster', paired(() => cpuOnce('kubectl', ['--kubeconfig', set.kubeconfig, ...home, 'get', 'configmap', 'svcgw-registry'], listEnv), listCases, ROUNDS), 'kubectl get configmap svcgw-registry')
  if (listOnly) {
    await set.stop()
    process.exit(0)
  }
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
  const installObjects = (yaml.loadAll(run(['server', 'install', '--dry-run', '--show-secrets', '-o', 'yaml', '-n', 'bench-kubectl', '--address', '192.0.2.1'])) as Array<{metadata: {namespace?: string}}>)
  // The server side of each expose (the dry run also lists the provider's objects, and what the
  // apiserver filled in: a dry-run clusterIP, resourceVersion), moved to kubectl's namespace.
  type Applied = {metadata: {namespace?: string; resourceVersion?: string; uid?: string; creationTimestamp?: string; managedFields?: unknown}; spec?: {clusterIP?: string; clusterIPs?: string[]}}
  const retarget = (text: string) =>
    (yaml.loadAll(text) as Applied[])
      .filter((o) => o.metadata.namespace === 'bench-gw')
      .map((o) => {
        o.metadata.namespace = 'bench-kubectl'
        for (const key of ['resourceVersion', 'uid', 'creationTimestamp', 'managedFields'] as const) delete o.metadata[key]
        delete o.spec?.clusterIP
        delete o.spec?.clusterIPs
        return `---\n${yaml.dump(o)}`
      })
      .join('\n')
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
