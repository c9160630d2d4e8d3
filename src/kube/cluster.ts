import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node'

import {KubeObject} from '../render/objects.js'
import {mapKubeError} from './errors.js'

export const FIELD_MANAGER = 'kubectl-svcgw'

/**
 * One cluster reached through one kubeconfig context. Each has its own
 * KubeConfig, so credentials are never mixed between contexts.
 */
export class Cluster {
  readonly objects: KubernetesObjectApi
  readonly core: CoreV1Api
  readonly apps: AppsV1Api

  constructor(
    readonly context: string,
    readonly kc: KubeConfig,
    /** The context's own namespace, if it sets one. */
    readonly contextNamespace: string | undefined,
  ) {
    this.objects = KubernetesObjectApi.makeApiClient(kc)
    this.core = kc.makeApiClient(CoreV1Api)
    this.apps = kc.makeApiClient(AppsV1Api)
  }

  /** The API server URL: two contexts with the same one are the same cluster. */
  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? ''
  }

  /** Runs one API call, turning its failure into a one-line error that names this context. */
  async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      throw mapKubeError(error, this.context, doing)
    }
  }

  /** Server-side apply with our field manager; force, since we own these objects. */
  async apply(object: KubeObject): Promise<KubernetesObject> {
    return this.call(`applying ${object.kind.toLowerCase()}/${object.metadata.name}`, () =>
      this.objects.patch(object as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply),
    )
  }

  /** The object, or undefined when it does not exist. */
  async read<T extends KubernetesObject = KubernetesObject>(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<T | undefined> {
    try {
      return (await this.objects.read({
        apiVersion: object.apiVersion,
        kind: object.kind,
        metadata: {name: object.metadata.name, namespace: object.metadata.namespace},
      })) as T
    } catch (error) {
      if ((error as {code?: number}).code === 404) return undefined
      throw mapKubeError(error, this.context, `reading ${object.kind.toLowerCase()}/${object.metadata.name}`)
    }
  }

  /** Deletes the object; a missing one is already the wanted state. */
  async remove(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<boolean> {
    try {
      await this.objects.delete(
        {apiVersion: object.apiVersion, kind: object.kind, metadata: {name: object.metadata.name, namespace: object.metadata.namespace}},
        undefined,
        undefined,
        undefined,
        undefined,
        'Background',
      )
      return true
    } catch (error) {
      if ((error as {code?: number}).code === 404) return false
      throw mapKubeError(error, this.context, `deleting ${object.kind.toLowerCase()}/${object.metadata.name}`)
    }
  }
}
