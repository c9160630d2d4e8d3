import {SvcgwError} from '../errors.js'
import {applyAll, AppliedSet, rollback} from '../kube/apply-all.js'
import {waitForRollout} from '../kube/wait.js'
import {emptyRegistry} from '../registry/types.js'
import {names} from '../render/names.js'
import {renderServer} from '../render/server.js'
import {ServerSettings} from '../render/settings.js'
import {Reporter} from '../ui/reporter.js'
import {discoverEndpoint, Endpoint} from './endpoint.js'
import {Home} from './home.js'
import {readServerSecrets} from './key-material.js'
import {freshServerSecrets, Lifetimes} from './secrets.js'

export interface ServerInstallResult {
  context: string
  namespace: string
  freshPki: boolean
  created: string[]
  endpoint?: Endpoint
  summary: string
}

export interface WaitOptions {
  wait: boolean
  timeoutMs: number
}

/**
 * Installs or converges the server. Key material and the registry are kept
 * across re-runs; on failure, whatever this run created is removed again.
 */
export async function installServer(
  home: Home,
  settings: ServerSettings,
  lifetimes: Lifetimes,
  options: WaitOptions,
  reporter: Reporter,
): Promise<ServerInstallResult> {
  const {cluster, namespace} = home
  const existing = await readServerSecrets(cluster, namespace)
  const secrets = existing ?? freshServerSecrets(lifetimes)
  reporter.step(existing ? 'keeping the existing CA and server certificate' : 'created a new CA and server certificate')
  const stored = await home.store.find()
  const registry = stored?.registry ?? emptyRegistry()
  // The registry is written only through the store (optimistic concurrency), never by a blind apply.
  const objects = renderServer(registry, secrets, settings, namespace).filter((o) => o.metadata.name !== names.registry)
  const applied: AppliedSet = {cluster, created: []}
  try {
    await applyAll(cluster, objects.slice(0, 1), reporter, applied)
    const {created} = await home.store.ensure(registry, settings)
    if (created) applied.created.push({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: names.registry, namespace}})
    else await home.store.saveSettings(settings)
    await applyAll(cluster, objects.slice(1), reporter, applied)
    if (options.wait) await waitForRollout(cluster, namespace, names.serverDeployment, options.timeoutMs, reporter)
  } catch (error) {
    await rollback(applied, reporter)
    throw error
  }
  const endpoint = await discoverEndpoint(cluster, namespace, settings, true).catch((error: unknown) => {
    if (error instanceof SvcgwError) return undefined
    throw error
  })
  const where = endpoint ? `clients dial ${endpoint.address}:${endpoint.port}` : 'the endpoint address is not assigned yet (see "kubectl svcgw status")'
  return {
    context: cluster.context,
    namespace,
    freshPki: !existing,
    created: applied.created.map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`),
    ...(endpoint ? {endpoint} : {}),
    summary: `gateway server ${existing ? 'updated' : 'installed'} in namespace ${namespace} of ${cluster.context}; ${where}`,
  }
}
