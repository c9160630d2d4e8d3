import {conflictError, notFoundError} from '../errors.js'
import {Cluster, isConflict} from '../kube/cluster.js'
import type {ConfigMap} from '../kube/object.js'
import type {ServerSettings} from '../registry/settings.js'
import type {Registry} from '../registry/types.js'
import {names} from '../render/names.js'
import {registryConfigMap, registryFromData} from '../render/registry-configmap.js'

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
 * The one place that reads or writes it.
 */
export class RegistryStore {
  constructor(
    readonly cluster: Cluster,
    readonly namespace: string,
  ) {}

  private get ref() {
    return {apiVersion: 'v1', kind: 'ConfigMap', name: names.registry, namespace: this.namespace}
  }

  private parse(cm: ConfigMap): Stored {
    return {...registryFromData(cm.data), resourceVersion: cm.metadata.resourceVersion ?? ''}
  }

  async find(): Promise<Stored | undefined> {
    const cm = await this.cluster.read<ConfigMap>(this.ref)
    return cm ? this.parse(cm) : undefined
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
  async update<T>(change: (registry: Registry, settings: ServerSettings) => T): Promise<{stored: Stored; result: T; previous: Stored}> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const current = await this.load()
      const registry = structuredClone(current.registry)
      const settings = structuredClone(current.settings)
      const result = change(registry, settings)
      const body = registryConfigMap(registry, settings, this.namespace)
      body.metadata.resourceVersion = current.resourceVersion
      try {
        // `previous` is exactly the version this write replaced: what changed is the difference.
        return {stored: this.parse(await this.cluster.replace<ConfigMap>(body)), result, previous: current}
      } catch (error) {
        if (!isConflict(error)) throw error
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
      return {stored: this.parse(await this.cluster.create<ConfigMap>(registryConfigMap(registry, settings, this.namespace))), created: true}
    } catch (error) {
      if (isConflict(error)) return {stored: await this.load(), created: false}
      throw error
    }
  }
}
