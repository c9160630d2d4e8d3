import {Cluster} from '../kube/cluster.js'
import {type KubeObject, refOf, type Service} from '../kube/object.js'
import {EXPOSED_LABEL, RENDERED_ANNOTATION} from '../render/server.js'

/** The consumer Services the plugin made in the server's namespace, as the cluster holds them: one request. */
export const listExposedServices = (cluster: Cluster, namespace: string): Promise<Service[]> =>
  cluster.list<Service>({apiVersion: 'v1', kind: 'Service', namespace, labelSelector: `${EXPOSED_LABEL}=true`})

type Spec = {type?: string; selector?: Record<string, string>; ports?: Array<{port?: number; targetPort?: number | string; protocol?: string}>}

/**
 * Whether the cluster holds this Service as rendered: the same digest of
 * what was rendered, and the fields that route traffic unchanged, so one
 * edited by hand since is applied again, as a re-run should repair it.
 */
function heldAsRendered(live: Service, rendered: KubeObject): boolean {
  const digest = rendered.metadata.annotations?.[RENDERED_ANNOTATION]
  if (!digest || live.metadata.annotations?.[RENDERED_ANNOTATION] !== digest) return false
  // The apiserver returns a selector's keys sorted (a Go map), not in the order rendered.
  const sorted = (selector: Record<string, string> = {}) => Object.entries(selector).sort(([a], [b]) => a.localeCompare(b))
  const routing = (spec: Spec | undefined) =>
    JSON.stringify([spec?.type ?? 'ClusterIP', sorted(spec?.selector), (spec?.ports ?? []).map((p) => [p.port, String(p.targetPort), p.protocol ?? 'TCP'])])
  return routing(live.spec as Spec) === routing(rendered.spec as Spec)
}

/**
 * `objects` without the consumer Services the cluster already holds as
 * rendered: a re-run of install at 1000 services read and applied 1000
 * Services that had not changed (12 s), where one list answers it.
 */
export function notYetLive(objects: KubeObject[], live: Service[]): KubeObject[] {
  const byName = new Map(live.map((s) => [s.metadata.name, s]))
  return objects.filter((o) => {
    if (o.kind !== 'Service') return true
    const held = byName.get(o.metadata.name)
    return !held || !heldAsRendered(held, o)
  })
}

/** Deletes consumer Services of services no longer exposed; apply alone never removes anything. */
export async function pruneExposedServices(cluster: Cluster, live: Service[], keep: Set<string>): Promise<void> {
  for (const service of live.filter((s) => !keep.has(s.metadata.name))) await cluster.remove(refOf(service))
}
