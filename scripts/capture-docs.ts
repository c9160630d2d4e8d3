// Runs the stories of the task pages (docs/*.md) against the two test clusters and writes what
// each command printed into the page, between `<!-- capture:ID -->` and `<!-- /capture -->`.
// The pages' outputs are real: serials, ports and addresses are this run's.
//   npx tsx scripts/capture-docs.ts        (root: the test clusters run real nodes)
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {buildAll} from '../test/cluster/builds.js'
import {up} from '../test/cluster/up.js'
import {apply, kubectl as kubectlIn, probePod, until, waitFor, webBackend} from '../test/cluster/workloads.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const BIN = join(ROOT, 'bin', 'run.js')

const built = buildAll('inherit')
if ('missing' in built) throw new Error(`the test clusters cannot run here: ${built.missing}`)
const set = await up(built, {clusters: 2})
const captures = new Map<string, string>()
const work = mkdtempSync(join(tmpdir(), 'svcgw-docs-'))

try {
  // The reader's kubeconfig: ctx-a (home) is the current context, as in the pages.
  const kubeconfig = join(work, 'config')
  writeFileSync(kubeconfig, readFileSync(set.kubeconfig, 'utf8'))
  spawnSync('kubectl', ['--kubeconfig', kubeconfig, 'config', 'use-context', 'ctx-a'])
  const env = {...process.env, KUBECONFIG: kubeconfig, NO_COLOR: '1', COLUMNS: '100'}

  /** Runs what the reader types (`kubectl svcgw …` or `kubectl …`) and records it with its output (stderr too, in order). */
  const step = (id: string, line: string, expectStatus = 0) => {
    const words = line.split(' ')
    const argv = words[1] === 'svcgw' ? [process.execPath, BIN, ...words.slice(2)] : words
    const r = spawnSync('bash', ['-c', '"$@" 2>&1', 'step', ...argv], {encoding: 'utf8', env, cwd: work})
    if (r.status !== expectStatus) throw new Error(`${line}: exit ${r.status}\n${r.stdout}`)
    captures.set(id, `${captures.get(id) ?? ''}$ ${line}\n${r.stdout}`)
    return r.stdout
  }

  // connect.md
  step('connect-server', 'kubectl svcgw server install --service-type NodePort --node-port 31194 --port 31194')
  step('connect-client', 'kubectl svcgw client install --to ctx-b')
  step('connect-status', 'kubectl svcgw status')

  // expose.md: a web backend in the provider, a pod in the consumer to call it from.
  kubectlIn(set, 'ctx-b', ['create', 'namespace', 'shop'])
  apply(set, 'ctx-b', 'shop', webBackend('web', 'b'))
  waitFor(set, 'ctx-b', 'shop', 'deployment/web')
  apply(set, 'ctx-a', 'default', [probePod('probe')])
  waitFor(set, 'ctx-a', 'default', 'pod/probe')
  step('expose-dry-run', 'kubectl svcgw expose web --port 80 --service-namespace shop --dry-run')
  step('expose-expose', 'kubectl svcgw expose web --port 80 --service-namespace shop')
  step('expose-list', 'kubectl svcgw list')
  await until('the exposed service answers in the consumer', async () => spawnSync('kubectl', ['exec', 'probe', '--', 'wget', '-qO-', 'http://web.svcgw'], {env}).status === 0)
  step('expose-call', 'kubectl exec probe -- wget -qO- http://web.svcgw')

  // rotate.md
  step('rotate-status-before', 'kubectl svcgw certs status')
  step('rotate-rotate', 'kubectl svcgw certs rotate --to ctx-b')
  step('rotate-status-after', 'kubectl svcgw certs status')

  // air-gapped.md: a provider reached only by files (here ctx-b again, in a namespace of its own).
  // The address the provider's nodes dial: here node A's, where the server's NodePort listens.
  const nodeA = set.nodes.find((n) => n.context === 'ctx-a')!.ip
  step('airgap-export', `kubectl svcgw certs export --client edge --client-namespace edge --address ${nodeA} --file edge.yaml`)
  step('airgap-apply', 'kubectl --context ctx-b apply -f edge.yaml')
  let last = ''
  const edgeConnected = async () => {
    last = spawnSync(process.execPath, [BIN, 'status', '-o', 'json'], {env, encoding: 'utf8'}).stdout
    // Connected, and checked up for every service by the server's reloaded proxy (before that
    // reload the gateway looks healthy without it): the page shows what a user sees a moment later.
    const report = JSON.parse(last || '{}') as {verdict?: string; clients?: Array<{name: string; connected: boolean | null}>; services?: Array<{backends: Array<{client: string; state: string}>}>}
    const serves = report.services?.every((s) => s.backends.some((b) => b.client === 'edge' && b.state === 'up'))
    return report.verdict === 'healthy' && serves && report.clients?.some((c) => c.name === 'edge' && c.connected)
  }
  await until('the exported client connects and serves', edgeConnected, 180_000).catch((error: Error) => {
    throw new Error(`${error.message}\n${last}\n${spawnSync('kubectl', ['--context', 'ctx-b', '-n', 'edge', 'get', 'pods', '-o', 'wide'], {env, encoding: 'utf8'}).stdout}`)
  })
  step('airgap-status', 'kubectl svcgw status')
  step('airgap-config', 'kubectl svcgw certs export --client edge --client-namespace edge --config-only --file edge-config.yaml')
} finally {
  await set.stop()
}

const stamp = new Date().toISOString().slice(0, 10)
for (const page of ['connect', 'expose', 'rotate', 'air-gapped']) {
  const path = join(ROOT, 'docs', `${page}.md`)
  const text = readFileSync(path, 'utf8').replace(/<!-- capture:(\S+) -->[\s\S]*?<!-- \/capture -->/g, (all, id: string) => {
    const output = captures.get(id)
    if (!output) throw new Error(`${page}.md: no capture named ${id}`)
    return `<!-- capture:${id} -->\n\`\`\`console\n${output.trimEnd()}\n\`\`\`\n<!-- /capture -->`
  })
  writeFileSync(path, text.replace(/Captured from the test clusters on \d{4}-\d{2}-\d{2}/g, `Captured from the test clusters on ${stamp}`))
}
console.error(`captured ${captures.size} outputs into docs/`)
