import {KubeConfig} from '@kubernetes/client-node'

import {usageError} from '../errors.js'
import {Cluster} from './cluster.js'

export interface KubeconfigSource {
  kubeconfig?: string
}

function load(source: KubeconfigSource): KubeConfig {
  const kc = new KubeConfig()
  try {
    if (source.kubeconfig) kc.loadFromFile(source.kubeconfig)
    else kc.loadFromDefault()
  } catch (error) {
    throw usageError(`cannot read kubeconfig ${source.kubeconfig ?? ''}: ${(error as Error).message.split('\n')[0]}`, 'pass --kubeconfig PATH or set KUBECONFIG')
  }
  return kc
}

/** Every context name in the kubeconfig, for prompts and error messages. */
export function contextNames(source: KubeconfigSource): string[] {
  return load(source).getContexts().map((c) => c.name)
}

/** The context --context names, or the kubeconfig's current one. */
export function currentContextName(source: KubeconfigSource): string {
  return load(source).getCurrentContext()
}

/** A Cluster for one context, with a KubeConfig of its own. */
export function openCluster(source: KubeconfigSource, context?: string): Cluster {
  const kc = load(source)
  const names = kc.getContexts().map((c) => c.name)
  if (names.length === 0) throw usageError('the kubeconfig has no contexts', 'pass --kubeconfig PATH or set KUBECONFIG')
  const name = context ?? kc.getCurrentContext()
  const found = kc.getContextObject(name)
  if (!found) {
    throw usageError(`no context "${name}" in the kubeconfig`, `use one of: ${names.join(', ')}`)
  }
  kc.setCurrentContext(name)
  return new Cluster(name, kc, found.namespace)
}
