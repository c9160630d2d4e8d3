import type {EndpointSlice} from '../../kube/object.js'
import {servedBy, type Registry, type Takeover} from '../../registry/types.js'
import type {ServerHealth} from '../server-health.js'

/** The take-over's clients that some pod of the plugin's server does not see connected. */
export function notConnected(takeover: Takeover, views: ServerHealth[]): string[] {
  return takeover.clients.filter((c) => views.length === 0 || views.some((v) => v.tunnels[c.name]?.up !== true)).map((c) => c.name)
}

const isUp = (status: string | undefined) => status === 'UP' || Boolean(status?.startsWith('UP '))

/** Exposed services that some pod of the plugin's server has no backend up for: switching them would fail their requests. */
export function servicesWithoutBackend(registry: Registry, views: ServerHealth[]): string[] {
  return registry.services
    .filter((s) => views.some((v) => !registry.clients.some((c) => servedBy(s, c.name) && isUp(v.backends[s.name]?.[c.name]))))
    .map((s) => s.name)
}

/** Whether a Service's endpoints (all its slices) route to these pods only, and to at least one of them. */
export function routesOnlyTo(slices: EndpointSlice[], pods: string[]): boolean {
  const ready = slices.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false))
  return ready.length > 0 && ready.every((e) => e.targetRef?.kind === 'Pod' && pods.includes(e.targetRef.name ?? ''))
}

/** The chart's Deployments to scale to 0, in order: the server first (no consumer request reaches it any more), then each client. */
export function scaleDownOrder(takeover: Takeover): Array<{context?: string; namespace: string; deployment: string}> {
  return [takeover.server, ...takeover.clients.map((c) => ({context: c.context, namespace: c.namespace, deployment: c.deployment}))]
}

/** The one-line refusal when clients are not connected to the plugin's server yet, naming each and the command that fixes it. */
export function notConnectedFix(takeover: Takeover, missing: string[], home: {context: string; namespace: string}): string {
  const contexts = takeover.clients.filter((c) => missing.includes(c.name)).map((c) => `--to ${c.context}`)
  return `install the plugin's client beside the chart's: "kubectl svcgw client install --context ${home.context} -n ${home.namespace} ${contexts.join(' ')}", then run adopt --finish again`
}
