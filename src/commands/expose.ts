import {Args, Flags} from '@oclif/core'

import {ClusterCommand} from '../base-command.js'
import {usageError} from '../errors.js'
import {dryRunFlags, port, waitFlags} from '../flags/index.js'
import type {ExposeRequest} from '../gateway/expose.js'
import type {Home} from '../gateway/home.js'

export default class Expose extends ClusterCommand<typeof Expose> {
  static override summary = 'Expose a Service of the provider clusters as a local Service here.'
  static override description = `Checks that the Service and port exist in each provider, allocates an internalPort, records it in the registry and updates the server and every client that serves it. Their proxies reload in place (no tunnel drops); the command makes the pods pick the change up at once and, with --wait (the default), returns when every proxy runs it.
Needs no access to Secrets (see docs/rbac.md). -f accepts the original Helm chart's values.yaml (its services: list).`
  static override examples = [
    '<%= config.bin %> expose nginx --port 80',
    '<%= config.bin %> expose api --port 8080 --service-namespace shop --as shop-api --local-port 80',
    '<%= config.bin %> expose db --port 5432 --to ctx-b',
    '<%= config.bin %> expose -f values.yaml',
    '<%= config.bin %> expose nginx --port 80 --dry-run',
  ]
  static override args = {
    service: Args.string({description: 'Name of the Service in the provider clusters.'}),
  }
  static override flags = {
    port: port({char: 'p', description: 'Port of the Service in the providers.'}),
    'service-namespace': Flags.string({description: 'Namespace of the Service in the providers.', default: 'default'}),
    as: Flags.string({description: 'Name of the local Service (default: the Service name).'}),
    'local-port': port({description: 'Port of the local Service (default: --port).'}),
    to: Flags.string({description: 'Serve it only from the clients of these contexts (repeatable; default: every client).', multiple: true}),
    filename: Flags.string({char: 'f', description: "The original chart's values.yaml, or a services: list ('-' for stdin).", exclusive: ['service', 'port', 'as', 'local-port']}),
    overwrite: Flags.boolean({description: 'Retarget a service that is already exposed (same local Service and internalPort, so nothing drops).'}),
    yes: Flags.boolean({char: 'y', description: 'Never prompt (for the Service picker).'}),
    ...waitFlags,
    ...dryRunFlags,
  }

  async run(): Promise<unknown> {
    const home = await this.home()
    const {exposeServices, servingClientNames} = await import('../gateway/expose.js')
    let requests: ExposeRequest[]
    if (this.flags.filename) {
      const {readChartServices} = await import('../gateway/values-file.js')
      requests = readChartServices(this.flags.filename)
    } else {
      const service = this.args.service ?? (await this.pickService(home))
      if (this.flags.port === undefined) throw usageError('missing --port', 'pass --port with the port of the Service in the providers')
      const clients = this.flags.to ? servingClientNames((await home.store.load()).registry, this.flags.to) : undefined
      requests = [
        {
          name: this.flags.as ?? service,
          port: this.flags['local-port'] ?? this.flags.port,
          clientService: {name: service, namespace: this.flags['service-namespace'], port: this.flags.port},
          ...(clients ? {clients} : {}),
        },
      ]
    }
    return this.finish(await exposeServices(home, requests, this.live(), this.reporter, {overwrite: this.flags.overwrite}))
  }

  /** On a terminal, a picker over the Services of the first provider; otherwise the error naming the argument. */
  private async pickService(home: Home): Promise<string> {
    const missing = usageError('no Service named', 'pass the Service name, e.g. "kubectl svcgw expose nginx --port 80"')
    const {canPrompt, pickOne} = await import('../ui/prompts.js')
    if (!canPrompt(this.flags.yes)) throw missing
    const {listProviderServices} = await import('../gateway/expose.js')
    const choices = await listProviderServices(home, this.flags['service-namespace'])
    return pickOne(`Service in namespace ${this.flags['service-namespace']}`, choices, {yes: this.flags.yes, missing})
  }
}
