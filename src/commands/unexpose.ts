import {Args, Flags} from '@oclif/core'

import {ClusterCommand} from '../base-command.js'
import {usageError} from '../errors.js'
import {dryRunFlags, waitFlags} from '../flags/index.js'

export default class Unexpose extends ClusterCommand<typeof Unexpose> {
  static override summary = 'Stop exposing a service: removes its local Service and its routes on every client.'
  static override description = 'The proxies reload in place; with --wait (the default) the command returns when every proxy runs without the service. Several names, or --all, go in one registry update and one apply round per cluster. Needs no access to Secrets.'
  static override examples = ['<%= config.bin %> unexpose nginx', '<%= config.bin %> unexpose nginx api', '<%= config.bin %> unexpose --all --dry-run']
  static override strict = false
  static override args = {
    name: Args.string({description: 'Name of the exposed service (as "kubectl svcgw list" shows it).'}),
  }
  static override flags = {
    all: Flags.boolean({description: 'Unexpose every exposed service.'}),
    ...waitFlags,
    ...dryRunFlags,
  }

  async run(): Promise<unknown> {
    const names = [...new Set(this.positionals)]
    if (this.flags.all && names.length > 0) throw usageError('--all and service names were both given', 'give names, or --all')
    if (!this.flags.all && names.length === 0) throw usageError('no service named', 'name the services to unexpose, or pass --all')
    const home = await this.home()
    const {unexposeServices} = await import('../gateway/expose.js')
    const targets = this.flags.all ? (await home.store.load()).registry.services.map((s) => s.name) : names
    if (targets.length === 0) return this.finish({services: [], summary: 'no service is exposed: nothing to unexpose'})
    return this.finish(await unexposeServices(home, targets, this.live(), this.reporter))
  }
}
