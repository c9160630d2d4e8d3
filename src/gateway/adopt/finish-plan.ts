import type {EndpointSlice, Service} from '../../kube/object.js'
import type {KubeObject} from '../../render/objects.js'
import {servedBy, type Registry, type Takeover} from '../../registry/types.js'
import {statusIsUp} from '../../health/index.js'
import type {ServerHealth} from '../server-health.js'

/** The take-over's clients that some pod of the plugin's server does not see connected. */
export function notConnected(takeover: Takeover, views: ServerHealth[]): string[] {
  return takeover.clients.filter((c) => views.length === 0 || views.some((v) => v.tunnels[c.name]?.up !== true)).map((c) => c.name)
}

/** Exposed services that some pod of the plugin's server has no backend up for: switching them would fail their requests. */
export function servicesWithoutBackend(registry: Registry, views: ServerHealth[]): string[] {
  return registry.services
    .filter((s) => views.some((v) => !registry.clients.some((c) => servedBy(s, c.name) && statusIsUp(v.backends[s.name]?.[c.name]))))
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

type Port = {name?: string; port?: number; protocol?: string}

/**
 * The consumer Service to apply over the chart's: each port the chart's
 * Service has (same port and protocol) keeps the chart's name, or none.
 * kube-proxy takes a renamed port for another service port, and in the
 * take-over test the rename held a request for a second (no request
 * failed); with the name kept, none took over 0.25 s. The rendered digest
 * is left as it was, so a later re-run does not apply it again for the
 * name alone.
 */
export function keepingLivePortNames(rendered: KubeObject, live: Service | undefined): KubeObject {
  const livePorts = ((live?.spec as {ports?: Port[]} | undefined)?.ports ?? []) as Port[]
  const spec = rendered.spec as {ports: Port[]}
  const ports = spec.ports.map((p) => {
    const held = livePorts.find((l) => l.port === p.port && (l.protocol ?? 'TCP') === (p.protocol ?? 'TCP'))
    if (!held) return p
    const {name: _, ...rest} = p
    return held.name ? {...rest, name: held.name} : rest
  })
  return {...rendered, spec: {...(rendered.spec as object), ports}}
}
