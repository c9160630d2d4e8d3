import {Args} from '@oclif/core'

import {ClusterCommand} from '../base-command.js'
import {dryRunFlags, waitFlags} from '../flags/index.js'

export default class Unexpose extends ClusterCommand<typeof Unexpose> {
  static override summary = 'Stop exposing a service: removes its local Service and its routes on every client.'
  static override description = 'The proxies reload in place; with --wait (the default) the command returns when every proxy runs without the service. Needs no access to Secrets.'
  static override examples = ['<%= config.bin %> unexpose nginx', '<%= config.bin %> unexpose nginx api', '<%= config.bin %> unexpose nginx --dry-run']
  static override strict = false
  static override args = {
    name: Args.string({description: 'Name of the exposed service (as "kubectl svcgw list" shows it).', required: true}),
  }
  static override flags = {...waitFlags, ...dryRunFlags}

  async run(): Promise<unknown> {
    const {unexposeServices} = await import('../gateway/expose.js')
    return this.finish(await unexposeServices(await this.home(), [...new Set(this.positionals)], this.live(), this.reporter))
  }
}
