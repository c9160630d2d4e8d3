import {STATS_PORT} from '../../dataplane/layout.js'
import {conflictError, notFoundError, timeoutError} from '../../errors.js'
import type {Cluster} from '../../kube/cluster.js'
import {type Deployment, type EndpointSlice, podReady, refOf, type Service} from '../../kube/object.js'
import {listPods, podHttpGet} from '../../kube/pods.js'
import {sleep} from '../../kube/wait.js'
import type {KubeObject} from '../../render/objects.js'
import {labelSelectorFor} from '../../render/objects.js'
import {exposedServices} from '../../render/server.js'
import type {Reporter} from '../../ui/reporter.js'
import {applyAll, compensate, withCompensation} from '../apply.js'
import type {Home} from '../home.js'
import {until} from '../live.js'
import {readServerHealth, STATS_PATH} from '../server-health.js'
import {describeTakeover} from './index.js'
import {keepingLivePortNames, notConnected, notConnectedFix, routesOnlyTo, scaleDownOrder, servicesWithoutBackend} from './finish-plan.js'

/**
 * After the consumer Services route to the plugin's server only, the time
 * given to every node's kube-proxy to apply it before the chart's server
 * stops: the API says when the endpoints changed, not when each node has
 * programmed them (kube-proxy syncs within about a second).
 */
const SETTLE_MS = 5000

export interface FinishResult {
  context: string
  namespace: string
  dryRun: boolean
  /** Consumer Services now routing to the plugin's server. */
  switched: string[]
  /** The chart's Deployments scaled to 0 (or that would be). */
  scaled: string[]
  remaining: string[]
  summary: string
}

/**
 * Finishes a chart's take-over: checks (nothing written) that the plugin's
 * server sees every adopted client connected and a backend up for every
 * service; then switches the consumer Services to the plugin's server
 * (both servers serve meanwhile, so no request fails), waits until their
 * endpoints are the plugin's pods only, scales the chart's Deployments to
 * 0 (server, then each client) and clears the pending mark. A failure
 * before the scale-down puts the Services back as they were.
 */
export async function finishTakeover(home: Home, options: {timeoutMs: number}, reporter: Reporter): Promise<FinishResult> {
  const {cluster, namespace} = home
  const deadline = Date.now() + options.timeoutMs
  const state = await home.store.find()
  if (!state) throw notFoundError(`namespace "${namespace}" of context "${cluster.context}" holds no gateway registry`, 'pass -n with the namespace the chart was adopted in (default server)')
  const {registry} = state
  const takeover = registry.takeover
  if (!takeover) throw conflictError(`no take-over is pending in namespace "${namespace}" of context "${cluster.context}"`, 'it is finished already ("kubectl svcgw status" shows the gateway), or adopt the chart first')
  const where = {context: cluster.context, namespace}

  // Every check reads only: a refusal changes nothing.
  const pods = (await listPods(cluster, namespace, labelSelectorFor('server'))).filter((p) => p.status?.phase === 'Running' && podReady(p))
  if (pods.length === 0) {
    throw conflictError(`the plugin's server has no ready pod in namespace "${namespace}" of context "${cluster.context}"`, `install it beside the chart's: "kubectl svcgw server install --context ${cluster.context} -n ${namespace}"`)
  }
  const views = await Promise.all(pods.map((p) => readServerHealth(() => podHttpGet(cluster, namespace, p.metadata.name, STATS_PORT, STATS_PATH, 5000))))
  const missing = notConnected(takeover, views)
  if (missing.length > 0) throw conflictError(`client(s) ${missing.join(', ')} not connected to the plugin's server yet`, notConnectedFix(takeover, missing, where))
  const dead = servicesWithoutBackend(registry, views)
  if (dead.length > 0) {
    throw conflictError(`the plugin's server has no backend up for ${dead.join(', ')}: switching would fail their requests`, `find the broken hop with "kubectl svcgw doctor --context ${cluster.context} -n ${namespace}", then run adopt --finish again`)
  }
  reporter.step(`the plugin's server sees ${takeover.clients.map((c) => c.name).join(', ')} connected and every service backed`)

  const rendered = exposedServices(registry, namespace)
  const before = await Promise.all(rendered.map((s) => cluster.read<Service>(refOf(s))))
  const services = rendered.map((s, i) => keepingLivePortNames(s, before[i]))
  try {
    await applyAll(cluster, services, reporter)
    if (!cluster.dryRun) {
      await waitEndpoints(cluster, namespace, services, pods.map((p) => p.metadata.name), deadline)
      reporter.step(`the consumer Services route to the plugin's server only; ${SETTLE_MS / 1000} s for every node's kube-proxy to follow`)
      await sleep(SETTLE_MS)
    }
  } catch (error) {
    throw withCompensation(error, await compensate('the consumer Services as they were', () => restoreServices(cluster, services, before)))
  }

  const scaled: string[] = []
  for (const target of scaleDownOrder(takeover)) {
    const at: Cluster = target.context ? home.session.open(target.context) : cluster
    const ref = {apiVersion: 'apps/v1', kind: 'Deployment', name: target.deployment, namespace: target.namespace}
    const what = `deployment ${target.deployment} (namespace ${target.namespace} of ${at.context})`
    if (!(await at.read<Deployment>(ref))) {
      reporter.warn(`${what} is gone already: nothing to scale`)
      continue
    }
    await at.mergePatch(ref, {spec: {replicas: 0}})
    scaled.push(what)
    reporter.step(`${cluster.dryRun ? 'would scale' : 'scaled'} ${what} to 0`)
  }
  await home.store.update((reg) => {
    delete reg.takeover
  })
  const remaining = finishedSteps(home, describeTakeover(takeover))
  const verb = cluster.dryRun ? 'would switch' : 'switched'
  return {
    context: cluster.context,
    namespace,
    dryRun: cluster.dryRun,
    switched: services.map((s) => s.metadata.name),
    scaled,
    remaining,
    summary: [
      `${verb} ${services.length} consumer Service(s) to the plugin's server and ${cluster.dryRun ? 'would scale' : 'scaled'} ${scaled.length} of the chart's Deployment(s) to 0: the take-over is ${cluster.dryRun ? 'not finished (dry run)' : 'finished'}`,
      'still to do:',
      ...remaining.map((r, i) => `  ${i + 1}. ${r}`),
    ].join('\n'),
  }
}

async function waitEndpoints(cluster: Cluster, namespace: string, services: KubeObject[], pods: string[], deadline: number): Promise<void> {
  let pending: string[] = []
  await until(
    deadline,
    async () => {
      const slices = await Promise.all(
        services.map((s) => cluster.list<EndpointSlice>({apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', namespace, labelSelector: `kubernetes.io/service-name=${s.metadata.name}`})),
      )
      pending = services.filter((_, i) => !routesOnlyTo(slices[i], pods)).map((s) => s.metadata.name)
      return pending.length === 0
    },
    () =>
      timeoutError(
        `the endpoints of ${pending.join(', ')} did not move to the plugin's server pod in time; the consumer Services were put back`,
        `check "kubectl --context ${cluster.context} -n ${namespace} get endpointslices", or raise --timeout`,
      ),
  )
}

/** Puts back the selector and ports each Service had before the switch; one the switch created goes. */
async function restoreServices(cluster: Cluster, services: KubeObject[], before: Array<Service | undefined>): Promise<void> {
  for (const [i, service] of services.entries()) {
    const old = before[i]
    const ref = refOf(service)
    if (!old) {
      await cluster.remove(ref)
      continue
    }
    const ours = (service.spec as {selector: Record<string, string>}).selector
    const spec = old.spec as {selector?: Record<string, string>; ports?: unknown[]}
    // A merge patch merges maps: the keys the switch added are removed by name.
    const selector = {...Object.fromEntries(Object.keys(ours).map((k) => [k, null])), ...spec.selector}
    await cluster.mergePatch(ref, {spec: {selector, ports: spec.ports}})
  }
}

/** What the operator must still do once the plugin's workloads carry the tunnels. */
export function finishedSteps(home: Home, chartDeployments: string[]): string[] {
  return [
    `watch the gateway: "kubectl svcgw status --context ${home.cluster.context} -n ${home.namespace}"`,
    'do not run "helm uninstall" on the chart\'s releases: it deletes what their stored manifests list, the consumer Services the plugin now owns and the certificate Secrets included ' +
      '(a helm.sh/resource-policy annotation on the live objects does not stop it); make Helm forget each release instead: ' +
      '"kubectl delete secret -n NAMESPACE -l owner=helm,name=RELEASE" (its release records; configmap for the ConfigMap storage driver) in the server namespace and in each provider\'s (docs/migration.md)',
    `then delete the chart's leftovers by hand: ${chartDeployments.join(', ')}, its tunnel Service and ConfigMaps (never the Secrets service-gw-*-certificates, which the plugin uses)`,
  ]
}
