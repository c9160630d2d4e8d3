import {SvcgwError, timeoutError} from '../errors.js'
import {Cluster} from '../kube/cluster.js'
import type {Pod} from '../kube/object.js'
import {PodHttpSession} from '../kube/pod-http-session.js'
import {execInPod, listPods, podHttpGet} from '../kube/pods.js'
import {sleep} from '../kube/wait.js'
import {CONFIG_ID_PATH} from '../dataplane/config-id.js'
import {STATS_PORT} from '../dataplane/layout.js'
import {readServerHealth, STATS_PATH} from './server-health.js'
import type {Reporter} from '../ui/reporter.js'

/**
 * Bumped on a pod after a ConfigMap it mounts changed. The kubelet refreshes
 * ConfigMap volumes only when it syncs a pod: at its periodic sync (a minute
 * by default), or at once when the pod itself changes. So a command that
 * changed a config makes the pod change.
 */
export const SYNC_ANNOTATION = 'svcgw.dev/config-changed-at'

const POLL_MS = 250
const REREAD_MS = 2000
/**
 * How many pods a command looks into at each POLL_MS. A look is a request on a port-forward kept
 * open (PodHttpSession): a new port-forward per look (a websocket through the apiserver, the
 * kubelet and the runtime) made 20 providers polled every 250 ms cost more CPU than the reloads
 * they waited for. Beyond this many, targets are looked at less often.
 */
const LOOKS_PER_POLL = 20
export const pollInterval = (targets: number): number => POLL_MS * Math.max(1, Math.ceil(targets / LOOKS_PER_POLL))

/** Makes the kubelet refresh the ConfigMap volumes of these pods now. Returns the pods nudged. */
export async function nudgePods(cluster: Cluster, namespace: string, selector: string): Promise<Pod[]> {
  if (cluster.dryRun) return []
  const pods = (await listPods(cluster, namespace, selector)).filter((p) => p.status?.phase === 'Running' || p.status?.phase === 'Pending')
  const stamp = new Date().toISOString()
  await Promise.all(
    pods.map(async (pod) => {
      try {
        await cluster.mergePatch({apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace}, {metadata: {annotations: {[SYNC_ANNOTATION]: stamp}}})
      } catch (error) {
        // A pod that went away meanwhile needs no refresh: its successor mounts the new config.
        if (!(error instanceof SvcgwError && error.errorClass === 'notFound')) throw error
      }
    }),
  )
  return pods
}

/** Polls `check` until it is true or the deadline passes; the last failure explains the timeout. */
export async function until(deadline: number, check: () => Promise<boolean>, onTimeout: (last?: string) => SvcgwError, pollMs = POLL_MS): Promise<void> {
  let last: string | undefined
  for (;;) {
    try {
      if (await check()) return
      last = undefined
    } catch (error) {
      if (!(error instanceof SvcgwError) || error.errorClass === 'forbidden') throw error
      last = error.message
    }
    if (Date.now() >= deadline) throw onTimeout(last)
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())))
  }
}

export interface ProxyTarget {
  cluster: Cluster
  namespace: string
  selector: string
  /** For messages: "the server", "client eu-west". */
  what: string
}

/**
 * Waits until every running pod's HAProxy answers the config ID expected
 * now, i.e. runs the latest config. Read through port-forward to the stats
 * port on the pod's loopback: no exec, so no access to the pod's files.
 */
export async function confirmProxyConfig(target: ProxyTarget, expectedId: () => Promise<string | undefined>, deadline: number, reporter: Reporter, pollMs = POLL_MS): Promise<void> {
  if (target.cluster.dryRun) return
  const {cluster, namespace, selector} = target
  const pods = (await listPods(cluster, namespace, selector)).filter((p) => p.status?.phase === 'Running')
  if (pods.length === 0) {
    reporter.warn(`${target.what} has no running pod in ${cluster.context}: its proxy takes the new config when it starts`)
    return
  }
  // The expected ID is rendered from the registry, read again only when a pod has loaded another
  // config or every REREAD_MS: a concurrent command's change reaches the pods after the registry,
  // and a read and render per poll cost 40 ms of CPU at 1000 services.
  let want: string | undefined
  let seen: string | undefined
  let readAt = 0
  const sessions = pods.map((p) => new PodHttpSession(cluster, namespace, p.metadata.name, STATS_PORT))
  try {
    await until(
      deadline,
      async () => {
        const ids = (await Promise.all(sessions.map((s) => s.get(CONFIG_ID_PATH, 5000)))).map((id) => id.trim())
        const key = ids.join(' ')
        if (want === undefined || key !== seen || Date.now() - readAt >= REREAD_MS) {
          want = await expectedId()
          readAt = Date.now()
        }
        seen = key
        return want !== undefined && ids.every((id) => id === want)
      },
      (last) =>
        timeoutError(
          `the proxy of ${target.what} in ${cluster.context} did not load the new config in time${last ? ` (${last})` : ''}`,
          `check "kubectl --context ${cluster.context} -n ${namespace} logs -l ${selector} -c proxy", or raise --timeout`,
        ),
      pollMs,
    )
  } finally {
    for (const session of sessions) session.close()
  }
  reporter.step(`${target.what} in ${cluster.context} runs the new proxy config`)
}

/**
 * Waits until the server's proxy has checked a client's tunnel and found it
 * up: a client pod is Ready once it is connected, but the server sees it
 * only at its next check, and until then status would call it not connected.
 */
export async function confirmTunnelUp(target: ProxyTarget, client: string, deadline: number, reporter: Reporter): Promise<void> {
  const {cluster, namespace, selector} = target
  if (cluster.dryRun) return
  const pods = (await listPods(cluster, namespace, selector)).filter((p) => p.status?.phase === 'Running')
  if (pods.length === 0) return
  await until(
    deadline,
    async () => {
      const views = await Promise.all(pods.map((p) => readServerHealth(() => podHttpGet(cluster, namespace, p.metadata.name, STATS_PORT, STATS_PATH, 5000))))
      return views.every((v) => v.tunnels[client]?.up === true)
    },
    (last) =>
      timeoutError(
        `the server in ${cluster.context} did not see client ${client}'s tunnel up in time${last ? ` (${last})` : ''}`,
        `run "kubectl svcgw doctor" to find the broken hop, or raise --timeout`,
      ),
  )
  reporter.step(`the server sees client ${client} connected`)
}

/**
 * Waits until the files OpenVPN reads per connection (client-config-dir,
 * revocation dir) are as wanted inside the running server pod. Read by
 * exec: only the install and certificate commands, whose role allows it,
 * call this.
 */
export async function confirmServerFiles(
  target: Omit<ProxyTarget, 'what'>,
  want: {present?: string[]; absent?: string[]},
  deadline: number,
): Promise<Pod | undefined> {
  const {cluster, namespace, selector} = target
  if (cluster.dryRun) return undefined
  const pod = (await listPods(cluster, namespace, selector)).find((p) => p.status?.phase === 'Running')
  if (!pod) return undefined
  const tests = [...(want.present ?? []).map((f) => `[ -e '${f}' ]`), ...(want.absent ?? []).map((f) => `[ ! -e '${f}' ]`)]
  await until(
    deadline,
    async () => {
      await execInPod(cluster, namespace, pod.metadata.name, 'openvpn', ['/bin/sh', '-c', `${tests.join(' && ')} || { echo not yet >&2; exit 1; }`], 5000)
      return true
    },
    (last) =>
      timeoutError(
        `the server pod ${pod.metadata.name} in ${cluster.context} did not see the new config in time${last ? ` (${last})` : ''}`,
        `check "kubectl --context ${cluster.context} -n ${namespace} describe pod ${pod.metadata.name}", or raise --timeout`,
      ),
  )
  return pod
}
