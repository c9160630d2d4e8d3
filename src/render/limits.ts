import {conflictError} from '../errors.js'
import type {ServerSettings} from '../registry/settings.js'
import type {Registry} from '../registry/types.js'
import {clientConfig} from './client.js'
import type {KubeObject} from './objects.js'
import {registryConfigMap} from './registry-configmap.js'
import {serverConfig} from './server.js'

/**
 * The apiserver refuses a ConfigMap whose data passes 1 MiB. A margin is
 * kept for the metadata the object carries besides its data.
 */
export const CONFIGMAP_LIMIT = 1_048_576
const MARGIN = 16_384

const dataSize = (object: KubeObject): number =>
  Object.values((object.data as Record<string, string> | undefined) ?? {}).reduce((sum, value) => sum + Buffer.byteLength(value), 0)

const mib = (bytes: number) => `${(bytes / CONFIGMAP_LIMIT).toFixed(2)} MiB`

/**
 * Refuses a registry whose own ConfigMap, or any ConfigMap rendered from
 * it (the server's proxy config grows with services × clients serving
 * each, a client's with the services it serves), would pass the limit: a
 * one-line error before anything is written, instead of an apply that
 * fails halfway. docs/design.md gives the numbers it allows.
 */
export function assertWithinLimits(registry: Registry, settings: ServerSettings, namespace: string): void {
  const candidates: Array<{object: KubeObject; where: string}> = [
    {object: registryConfigMap(registry, settings, namespace), where: 'the registry'},
    ...serverConfig(registry, settings, namespace)
      .filter((o) => o.kind === 'ConfigMap')
      .map((object) => ({object, where: 'the server'})),
    ...registry.clients.map((client) => ({
      object: clientConfig(registry, settings, {clientName: client.name, namespace, serverAddress: 'limit.check', serverPort: settings.port}),
      where: `client ${client.name}`,
    })),
  ]
  for (const {object, where} of candidates) {
    const size = dataSize(object)
    if (size > CONFIGMAP_LIMIT - MARGIN) {
      throw conflictError(
        `this change would make ConfigMap ${object.metadata.name} of ${where} ${mib(size)}, over Kubernetes' 1 MiB limit (${registry.services.length} services, ${registry.clients.length} clients)`,
        'unexpose services no longer needed, or serve services from fewer clients (expose --to)',
      )
    }
  }
}
