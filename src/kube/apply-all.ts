import {KubeObject} from '../render/objects.js'
import {Reporter} from '../ui/reporter.js'
import {Cluster} from './cluster.js'
import {ensureNamespace} from './namespaces.js'

/** What an apply created, so a failed install can remove exactly that. */
export interface AppliedSet {
  cluster: Cluster
  created: KubeObject[]
}

/**
 * Applies objects in order (namespace first), remembering which did not
 * exist before, for an atomic rollback.
 */
export async function applyAll(cluster: Cluster, objects: KubeObject[], reporter: Reporter, applied: AppliedSet): Promise<void> {
  for (const object of objects) {
    if (object.kind === 'Namespace') {
      if (await ensureNamespace(cluster, object)) applied.created.push(object)
      continue
    }
    const existed = (await cluster.read(object)) !== undefined
    await cluster.apply(object)
    if (!existed) applied.created.push(object)
  }
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
