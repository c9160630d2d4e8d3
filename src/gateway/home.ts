import {Cluster} from '../kube/cluster.js'
import {RegistryStore} from '../registry/store.js'
import {DEFAULT_NAMESPACE} from '../render/names.js'
import {validateNamespaceName} from '../registry/validate.js'

/** The server side: its cluster, its namespace and the registry kept there. */
export class Home {
  readonly store: RegistryStore

  constructor(
    readonly cluster: Cluster,
    readonly namespace: string,
  ) {
    validateNamespaceName(namespace)
    this.store = new RegistryStore(cluster, namespace)
  }
}

/** kubectl's order: the flag, then the context's namespace, then ours. */
export const resolveNamespace = (flag: string | undefined, cluster: Cluster): string => flag ?? cluster.contextNamespace ?? DEFAULT_NAMESPACE
