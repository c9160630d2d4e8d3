// Loader hooks run on a thread of their own, so each URL is appended to the log at once.
import {appendFileSync} from 'node:fs'

export async function load(url, context, nextLoad) {
  appendFileSync(process.env.SVCGW_LOAD_LOG, `${url}\n`)
  return nextLoad(url, context)
}
