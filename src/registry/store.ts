import {V1ConfigMap} from '@kubernetes/client-node'

import {notFoundError, conflictError} from '../errors.js'
import {Cluster} from '../kube/cluster.js'
import {mapKubeError} from '../kube/errors.js'
import {REGISTRY_KEY, registryConfigMap, SETTINGS_KEY} from '../render/registry-configmap.js'
import {names} from '../render/names.js'
import {ServerSettings} from '../render/settings.js'
import {Registry} from './types.js'

export interface Stored {
  registry: Registry
  settings: ServerSettings
  resourceVersion: string
}

const MAX_ATTEMPTS = 20

/**
 * The registry ConfigMap, read and written with optimistic concurrency:
 * an update carries the resourceVersion it read, so two writers racing
 * never lose each other's change; the loser re-reads and tries again.
 */
export class RegistryStore {
  constructor(
    readonly cluster: Cluster,
    readonly namespace: string,
  ) {}

  private parse(cm: V1ConfigMap): Stored {
    return {
      registry: JSON.parse(cm.data?.[REGISTRY_KEY] ?? '{"services":[],"clients":[],"revoked":[]}') as Registry,
      settings: JSON.parse(cm.data?.[SETTINGS_KEY] ?? '{}') as ServerSettings,
      resourceVersion: cm.metadata?.resourceVersion ?? '',
    }
  }

  async find(): Promise<Stored | undefined> {
    try {
      return this.parse(await this.cluster.core.readNamespacedConfigMap({name: names.registry, namespace: this.namespace}))
    } catch (error) {
      if ((error as {code?: number}).code === 404) return undefined
      throw mapKubeError(error, this.cluster.context, 'reading the registry')
    }
  }

  async load(): Promise<Stored> {
    const stored = await this.find()
    if (!stored) {
      throw notFoundError(
        `no gateway server in namespace "${this.namespace}" of context "${this.cluster.context}"`,
        'run "kubectl svcgw server install" first, or pass the right --context/-n',
      )
    }
    return stored
  }

  /**
   * Applies `change` to the latest registry and writes it back only if
   * nobody wrote in between; otherwise re-reads and re-applies. `change`
   * must therefore be a pure function of what it is given.
   */
  async update<T>(change: (registry: Registry, settings: ServerSettings) => T): Promise<{stored: Stored; result: T}> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const current = await this.load()
      const registry = structuredClone(current.registry)
      const settings = structuredClone(current.settings)
      const result = change(registry, settings)
      const body = registryConfigMap(registry, settings, this.namespace) as V1ConfigMap
      body.metadata!.resourceVersion = current.resourceVersion
      try {
        const written = await this.cluster.core.replaceNamespacedConfigMap({name: names.registry, namespace: this.namespace, body})
        return {stored: this.parse(written), result}
      } catch (error) {
        if ((error as {code?: number}).code !== 409) throw mapKubeError(error, this.cluster.context, 'writing the registry')
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * attempt))
      }
    }
    throw conflictError('the registry kept changing under this command', 'run it again')
  }

  /** Creates the registry if absent; an existing one is kept as it is. */
  async ensure(registry: Registry, settings: ServerSettings): Promise<{stored: Stored; created: boolean}> {
    const existing = await this.find()
    if (existing) return {stored: existing, created: false}
    try {
      const written = await this.cluster.core.createNamespacedConfigMap({
        namespace: this.namespace,
        body: registryConfigMap(registry, settings, this.namespace) as V1ConfigMap,
      })
      return {stored: this.parse(written), created: true}
    } catch (error) {
      if ((error as {code?: number}).code === 409) return {stored: await this.load(), created: false}
      throw mapKubeError(error, this.cluster.context, 'creating the registry')
    }
  }

  /** Replaces the stored settings (server install re-run with other flags). */
  async saveSettings(settings: ServerSettings): Promise<Stored> {
    return (await this.update((_registry, current) => Object.assign(current, settings))).stored
  }
}
