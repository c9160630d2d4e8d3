import {SvcgwError} from '../errors.js'
import {Cluster} from '../kube/cluster.js'
import {describeRef, type KubeObject, refOf} from '../kube/object.js'
import type {Reporter} from '../ui/reporter.js'

/** What an apply created, so a failed install can remove exactly that. */
export interface AppliedSet {
  cluster: Cluster
  created: KubeObject[]
}

/** Requests in flight at once: enough to hide round trips, few enough to stay polite. */
const PARALLEL = 8
/** Kinds whose pods need the other objects of an apply (ServiceAccount, Secrets, ConfigMaps) to exist. */
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job'])

/**
 * Applies objects side by side. With `applied`, remembers which did not
 * exist before (one read more each), for an atomic rollback; without it,
 * converges with applies alone.
 */
export async function applyAll(cluster: Cluster, objects: KubeObject[], reporter: Reporter, applied?: AppliedSet): Promise<void> {
  const created: KubeObject[] = []
  const pool = async (wave: KubeObject[]) => {
    // A pool, not chunks: a slow request holds up one lane instead of the whole chunk behind it.
    let next = 0
    const lane = async () => {
      while (next < wave.length) {
        const object = wave[next++]
        const existed = applied ? (await cluster.read(refOf(object))) !== undefined : true
        await cluster.apply(object)
        if (!existed) created.push(object)
      }
    }
    await Promise.all(Array.from({length: Math.min(PARALLEL, wave.length)}, lane))
  }
  // Workloads last: a Deployment applied beside its ServiceAccount could land first, and its
  // ReplicaSet's pod is then refused ("serviceaccount not found"), which a rollout wait reports as
  // a failed install (seen with 20 clients installed side by side).
  await pool(objects.filter((o) => !WORKLOADS.has(o.kind)))
  await pool(objects.filter((o) => WORKLOADS.has(o.kind)))
  // Keep apply order, so a rollback removes dependants first.
  if (applied) applied.created.push(...objects.filter((o) => created.includes(o)))
  if (objects.length > 0) reporter.step(`${cluster.dryRun ? 'would apply' : 'applied'} ${objects.length} objects in ${cluster.context}`)
}

/**
 * Removes what an apply created, newest first. Returns what it could not
 * remove: the caller reports it with the failure that caused the rollback.
 */
export async function rollback(applied: AppliedSet, reporter: Reporter): Promise<string[]> {
  // A dry run created nothing to take back.
  if (applied.created.length === 0 || applied.cluster.dryRun) return []
  reporter.warn(`rolling back ${applied.created.length} objects created in ${applied.cluster.context}`)
  const failed: string[] = []
  for (const object of [...applied.created].reverse()) {
    try {
      await applied.cluster.remove(refOf(object))
    } catch (error) {
      failed.push(`${describeRef(refOf(object))} in ${applied.cluster.context} (${(error as Error).message})`)
    }
  }
  return failed
}

/**
 * The error to raise after a failed step and its compensation: the
 * original, plus whatever the compensation could not undo, never dropped.
 */
export function withCompensation(error: unknown, leftovers: string[]): unknown {
  if (leftovers.length === 0) return error
  const left = `; undoing it also failed, left behind: ${leftovers.join(', ')}`
  if (error instanceof SvcgwError) return new SvcgwError(error.errorClass, `${error.message}${left}`, error.fix, {cause: error})
  return new Error(`${(error as Error).message}${left}`, {cause: error})
}

/** Runs a compensating step, turning its failure into a leftover line instead of hiding it. */
export async function compensate(what: string, step: () => Promise<unknown>): Promise<string[]> {
  try {
    await step()
    return []
  } catch (error) {
    return [`${what} (${(error as Error).message})`]
  }
}
