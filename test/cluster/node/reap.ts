// The watchdog's command: `tsx test/cluster/node/reap.ts <run id>` tears down
// one run whose test process died (see watchdog.ts).
import {claimRun} from './runs.js'
import {teardown} from './teardown.js'

const record = process.argv[2] ? claimRun(process.argv[2]) : undefined
if (record) await teardown(record)
