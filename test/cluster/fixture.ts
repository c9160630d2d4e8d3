import {randomBytes} from 'node:crypto'
import {CoreV1Api, KubeConfig} from '@kubernetes/client-node'

import {buildAll} from './builds.js'
import {nodePrerequisites} from './node/host.js'
import {type ClusterSet, up} from './up.js'

let starting: Promise<ClusterSet | undefined> | undefined
let skipReason: string | undefined

async function start(): Promise<ClusterSet | undefined> {
  skipReason = nodePrerequisites()
  if (skipReason) return undefined
  // A cache hit when `npm test` ran test/build-all.sh before mocha.
  const built = buildAll()
  if ('missing' in built) {
    skipReason = `the test clusters cannot be built here (${built.missing})`
    return undefined
  }
  const set = await up(built, {clusters: 2, log: process.env.SVCGW_CP_LOG ? (l) => process.stderr.write(`${l}\n`) : undefined})
  process.env.KUBECONFIG = set.kubeconfig
  return set
}

/**
 * Two real clusters (ctx-a, ctx-b), each with a real node, started once per
 * mocha run on first use and stopped after the run. Undefined when this
 * machine cannot run them: the caller skips, saying why. A failure to start
 * them on a machine that can rejects (the suite fails, it does not skip).
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

/** A namespace of its own for a test; the returned function deletes it (without waiting for its pods to go). */
export async function freshNamespace(set: ClusterSet, context: string, prefix = 't'): Promise<{name: string; remove: () => Promise<void>}> {
  const core = kubeConfig(set, context).makeApiClient(CoreV1Api)
  const name = `${prefix}-${randomBytes(4).toString('hex')}`
  await core.createNamespace({body: {metadata: {name}}})
  return {name, remove: async () => void (await core.deleteNamespace({name}).catch(() => undefined))}
}

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000)
    // A start that failed has cleaned up after itself already.
    if (starting) await (await starting.catch(() => undefined))?.stop()
  },
}
