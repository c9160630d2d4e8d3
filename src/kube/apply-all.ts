import {KubeObject} from '../render/objects.js'
import {Reporter} from '../ui/reporter.js'
import {Cluster} from './cluster.js'
import {ensureNamespace} from './namespaces.js'

/** What an apply created, so a failed install can remove exactly that. */
export interface AppliedSet {
  cluster: Cluster
  created: KubeObject[]
}

/** Requests in flight at once: enough to hide round trips, few enough to stay polite. */
const PARALLEL = 8

/**
 * Applies objects, namespaces first and the rest side by side. With
 * `applied`, remembers which did not exist before (one read more each),
 * for an atomic rollback; without it, converges with applies alone.
 */
export async function applyAll(cluster: Cluster, objects: KubeObject[], reporter: Reporter, applied?: AppliedSet): Promise<void> {
  for (const ns of objects.filter((o) => o.kind === 'Namespace')) {
    if ((await ensureNamespace(cluster, ns)) && applied) applied.created.push(ns)
  }
  const rest = objects.filter((o) => o.kind !== 'Namespace')
  const created: KubeObject[] = []
  for (let i = 0; i < rest.length; i += PARALLEL) {
    await Promise.all(
      rest.slice(i, i + PARALLEL).map(async (object) => {
        const existed = applied ? (await cluster.read(object)) !== undefined : true
        await cluster.apply(object)
        if (!existed) created.push(object)
      }),
    )
  }
  // Keep apply order, so a rollback removes dependants first.
  if (applied) applied.created.push(...rest.filter((o) => created.includes(o)))
  reporter.step(`applied ${objects.length} objects in ${cluster.context}`)
}

/** Removes what an apply created, newest first; best effort, as the original failure is what matters. */
export async function rollback(applied: AppliedSet, reporter: Reporter): Promise<void> {
  if (applied.created.length === 0) return
  reporter.warn(`rolling back ${applied.created.length} objects created in ${applied.cluster.context}`)
  for (const object of [...applied.created].reverse()) {
    try {
      await applied.cluster.remove(object)
    } catch (error) {
      reporter.warn(`could not remove ${object.kind.toLowerCase()}/${object.metadata.name}: ${(error as Error).message}`)
    }
  }
}
