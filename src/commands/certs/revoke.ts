import {Flags} from '@oclif/core'

import {ClusterCommand} from '../../base-command.js'
import {dryRunFlags, waitFlags, yesFlag} from '../../flags/index.js'

export default class CertsRevoke extends ClusterCommand<typeof CertsRevoke> {
  static override summary = "Revoke a client's certificate and cut its open session at once."
  static override description = `Adds the serial to the revocation list, makes the server pod see it and, with --wait (the default), disconnects the client now through OpenVPN's management interface: its reconnect is refused. With --superseded, revokes only the certificates an export or a rotation without --wait replaced.`
  static override examples = ['<%= config.bin %> certs revoke --client eu-west --yes', '<%= config.bin %> certs revoke --client air-gapped --superseded --yes']
  static override flags = {
    client: Flags.string({description: 'Name of the client whose certificate to revoke.', required: true}),
    superseded: Flags.boolean({description: 'Revoke only its superseded certificates (after the provider applied a new one).'}),
    ...yesFlag,
    ...waitFlags,
    ...dryRunFlags,
  }

  async run(): Promise<unknown> {
    const home = await this.home()
    const what = this.flags.superseded ? 'the superseded certificates' : 'the certificate'
    await this.confirm(`Revoke ${what} of client ${this.flags.client}?${this.flags.superseded ? '' : ' It will be disconnected'}`)
    const {revokeClient} = await import('../../gateway/certs/revoke.js')
    return this.finish(await revokeClient(home, {client: this.flags.client, superseded: this.flags.superseded}, this.live(), this.reporter))
  }
}
