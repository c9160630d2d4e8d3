// kubectl_complete-svcgw: kubectl ≥ 1.26 runs it with the words after `kubectl svcgw` when the
// user presses TAB. It must answer at once, so it boots neither oclif nor the Kubernetes client:
// commands and flags come from oclif.manifest.json, values from the kubeconfig and, with a short
// timeout, from kubectl itself. Any failure offers nothing rather than printing an error.
import {readRegistry, serviceNames} from './cluster.js'
import {complete, Directive, formatCompletion} from './complete.js'
import {kubeconfigFiles} from '../kube/kubeconfig-files.js'
import {contextNames} from './kubeconfig.js'
import {loadCliSpec} from './manifest.js'

export async function main(words: string[]): Promise<string> {
  try {
    return formatCompletion(
      await complete(loadCliSpec(), words, {
        contexts: (kubeconfig) => contextNames(kubeconfigFiles(kubeconfig).files),
        registry: readRegistry,
        services: serviceNames,
      }),
    )
  } catch {
    return formatCompletion({candidates: [], directive: Directive.noFileComp})
  }
}
