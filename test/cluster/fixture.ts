import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {fileURLToPath} from 'node:url'
import {CoreV1Api, KubeConfig} from '@kubernetes/client-node'

import {ClusterSet, up} from './up.js'

const BUILD = fileURLToPath(new URL('build.sh', import.meta.url))

let starting: Promise<ClusterSet | undefined> | undefined
let skipReason: string | undefined

async function start(): Promise<ClusterSet | undefined> {
  const build = spawnSync('bash', [BUILD], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 45 * 60_000})
  if (build.status !== 0) {
    skipReason = `the test control plane could not be built (${build.status === 3 ? 'no Go toolchain' : build.stderr.trim().split('\n').slice(-3).join(' | ')})`
    return undefined
  }
  const set = await up(build.stdout.trim(), {clusters: 2, log: process.env.SVCGW_CP_LOG ? (l) => process.stderr.write(`${l}\n`) : undefined})
  process.env.KUBECONFIG = set.kubeconfig
  return set
}

/**
 * Two real clusters (ctx-a, ctx-b), started once per mocha run on first use
 * and stopped after the run. Undefined when they cannot be built here: the
 * caller skips, saying why.
 */
export async function clusters(): Promise<ClusterSet | undefined> {
  starting ??= start()
  const set = await starting
  if (!set && skipReason) process.stderr.write(`  cluster suite skipped: ${skipReason}\n`)
  return set
}

/** A KubeConfig of its own for one context of the test clusters. */
export function kubeConfig(set: ClusterSet, context: string): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromFile(set.kubeconfig)
  kc.setCurrentContext(context)
  return kc
}

/** A namespace of its own for a test; the returned function deletes it. */
export async function freshNamespace(set: ClusterSet, context: string, prefix = 't'): Promise<{name: string; remove: () => Promise<void>}> {
  const core = kubeConfig(set, context).makeApiClient(CoreV1Api)
  const name = `${prefix}-${randomBytes(4).toString('hex')}`
  await core.createNamespace({body: {metadata: {name}}})
  return {name, remove: async () => void (await core.deleteNamespace({name}).catch(() => undefined))}
}

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000)
    if (starting) await (await starting)?.stop()
  },
}
